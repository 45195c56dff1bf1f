#!/usr/bin/env python3
"""Slurm executor figures: sbatch's own floor, submission throughput of a fan-out, and the
server's CPU cost of following running jobs (see bench/slurm.sh)."""
import os, subprocess, sys, tempfile, time
from datetime import datetime

from hindcast_api import Api

host, port, fan, running, server_pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
api = Api(host, port)
call = api.call
TICKS = os.sysconf("SC_CLK_TCK")

EXPDEF = ("DEFAULT:\n  EXPID: a000\n  HPCARCH: HPC\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: '{members}'\n"
          "  CHUNKSIZEUNIT: day\n  CHUNKSIZE: 1\n  NUMCHUNKS: 1\n  CALENDAR: standard\n"
          "PLATFORMS:\n  HPC:\n    TYPE: slurm\n    PARTITION: debug\n")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def sbatch_floor(runs=50):
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        ids = []
        for _ in range(runs):
            out = subprocess.run(["sbatch", "--parsable", "--wrap", "true", "-o", "/dev/null"], check=True, capture_output=True, text=True, cwd=folder)
            ids.append(out.stdout.strip())
        per = (time.perf_counter() - began) / runs
    print(f"{'sbatch alone, one after the other':<44} {per * 1000:7.1f} ms each  ({1 / per:6.0f} submissions/s)")


def sbatch_parallel(n, at_once=4):
    """n no-op jobs submitted `at_once` at a time by plain sbatch processes, as the executor
    submits them: what the cluster allows while the jobs already submitted start and end."""
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        subprocess.run(f"seq {n} | xargs -P{at_once} -I{{}} sbatch --parsable --wrap true -o /dev/null >/dev/null",
                       shell=True, check=True, cwd=folder)
        seconds = time.perf_counter() - began
    print(f"{f'sbatch alone, {n} jobs {at_once} at a time':<44} {seconds:7.2f} s      ({n / seconds:6.0f} submissions/s)")
    time.sleep(5)  # let them drain


def experiment(label, members, script, total_jobs):
    expid = call("POST", "/v4/experiments", {"description": label})["name"]
    jobs = f"JOBS:\n  LEAF:\n    RUNNING: member\n    PLATFORM: HPC\n    SCRIPT: '{script}'\n"
    config = f"CONFIG:\n  TOTALJOBS: {total_jobs}\n"
    call("PUT", f"/v4/experiments/{expid}/config", {"files": {"expdef.yml": EXPDEF.format(members=" ".join(f"m{i}" for i in range(members))), "jobs.yml": jobs, "config.yml": config}})
    call("POST", f"/v4/experiments/{expid}?action=generate")
    return expid


def submitted(expid, run_id):
    attempts = call("GET", f"/v4/experiments/{expid}/runs/{run_id}/attempts")["attempts"]
    return sum(1 for a in attempts if a.get("executor_id"))


def fan_out(n):
    expid = experiment("slurm fan-out", n, "true", n)
    began = time.monotonic()
    run = call("POST", f"/v4/experiments/{expid}/runs", {})
    all_submitted = None
    while run["status"] in ("queued", "running"):
        time.sleep(0.2)
        if all_submitted is None and submitted(expid, run["id"]) == n:
            all_submitted = time.monotonic() - began
        run = call("GET", f"/v4/experiments/{expid}/runs/{run['id']}")
    if run["status"] != "passed":
        failed = [a for a in call("GET", f"/v4/experiments/{expid}/runs/{run['id']}/attempts")["attempts"] if a["status"] == "FAILED"]
        sys.exit(f"the run did not pass: {run['message']} {failed[:3]}")
    if all_submitted is None:
        all_submitted = time.monotonic() - began
    seconds = (datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])).total_seconds()
    print(f"{f'fan-out of {n}: all submitted':<44} {all_submitted:7.2f} s      ({n / all_submitted:6.0f} submissions/s, ids seen by polling every 0.2 s)")
    print(f"{f'fan-out of {n}: run start to end':<44} {seconds:7.2f} s      ({n / seconds:6.0f} jobs/s, Slurm scheduling included)")


def tracking(k, seconds=10):
    expid = experiment("slurm tracking", k, "sleep 120", k)
    run = call("POST", f"/v4/experiments/{expid}/runs", {})
    deadline = time.monotonic() + 120
    while True:
        count = call("GET", f"/v4/experiments/{expid}/jobs?status=RUNNING&page_size=1")["pagination"]["total_items"]
        if count == k:
            break
        assert time.monotonic() < deadline, f"only {count} of {k} running"
        time.sleep(0.5)
    time.sleep(2)
    before, t0 = cpu_seconds(server_pid), time.monotonic()
    time.sleep(seconds)
    used, wall = cpu_seconds(server_pid) - before, time.monotonic() - t0
    ids = subprocess.run(["squeue", "-h", "-o", "%i", "-t", "RUNNING"], capture_output=True, text=True).stdout.split()
    began = time.perf_counter()
    for _ in range(10):
        subprocess.run(["squeue", "-h", "--states=all", "-o", "%i|%T|%r|%N|%P", "-j", ",".join(ids[:k])], check=True, capture_output=True)
    per_call = (time.perf_counter() - began) / 10
    print(f"{f'tracking {k} running jobs (1 s polls)':<44} {used / wall * 1000:7.1f} ms CPU per s  ({used / wall / k * 1e6:6.0f} us CPU per job per s)")
    print(f"{f'one squeue call for {k} ids':<44} {per_call * 1000:7.1f} ms")
    call("POST", f"/v4/experiments/{expid}?action=stop")


sbatch_floor()
sbatch_parallel(fan)
fan_out(fan)
tracking(running)
