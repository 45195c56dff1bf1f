#!/usr/bin/env python3
"""Runs no-op jobs through Hindcast's local executor and prints jobs dispatched per second:
a fan-out (one job, then N children) and a chain (N jobs one after the other)."""
import os, shutil, sys, tempfile, time
from datetime import datetime

from hindcast_api import Api

host, port, fan, chain = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
api = Api(host, port)
call = api.call

EXPDEF = "DEFAULT:\n  EXPID: a000\n  HPCARCH: LOCAL\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: '{members}'\n" \
         "  CHUNKSIZEUNIT: day\n  CHUNKSIZE: 1\n  NUMCHUNKS: {chunks}\n  CALENDAR: standard\nPLATFORMS: {{}}\n"
CONFIG = "CONFIG:\n  TOTALJOBS: 64\n"

def measure(label, expdef, jobs_yml):
    expid = call("POST", "/v4/experiments", {"description": label})["name"]
    call("PUT", f"/v4/experiments/{expid}/config", {"files": {"expdef.yml": expdef, "jobs.yml": jobs_yml, "config.yml": CONFIG}})
    total = call("POST", f"/v4/experiments/{expid}?action=generate")["jobs"]
    began = time.monotonic()
    run = call("POST", f"/v4/experiments/{expid}/runs", {})
    while run["status"] in ("queued", "running"):
        time.sleep(0.05)
        run = call("GET", f"/v4/experiments/{expid}/runs/{run['id']}")
    wall = time.monotonic() - began
    assert run["status"] == "passed", run
    start = datetime.fromisoformat(run["started_at"])
    end = datetime.fromisoformat(run["finished_at"])
    seconds = (end - start).total_seconds()
    print(f"{label:<34} {total:>6} jobs  {seconds:6.2f} s  {total / seconds:7.0f} jobs/s "
          f"(request to end {wall:.2f} s)")

def bash_floor(runs=300):
    """Starting bash on a script like a job's (writing its exit code to a new file), one after
    the other: the cost no engine that runs each job in its own bash avoids. This machine's
    speed varies by tens of per cent from minute to minute, so it is measured next to the
    figures."""
    with tempfile.TemporaryDirectory() as folder:
        script = os.path.join(folder, "script.sh")
        with open(script, "w") as f:
            f.write("trap 'echo $? > \"$0.$$\"' EXIT\ntrue\n")
        bash = shutil.which("bash")
        began = time.perf_counter()
        for _ in range(runs):
            # posix_spawn, as the server starts jobs (Python's subprocess costs more than bash).
            _, status = os.waitpid(os.posix_spawn(bash, [bash, script], dict(os.environ)), 0)
            assert status == 0
        per_job = (time.perf_counter() - began) / runs
    print(f"{'bash alone, one after the other':<34} {per_job * 1000:6.2f} ms per job  ({1 / per_job:5.0f} jobs/s at best)")

bash_floor()
measure(f"fan-out 1 -> {fan}", EXPDEF.format(members=" ".join(f"m{i}" for i in range(fan)), chunks=1),
        "JOBS:\n  ROOT:\n    RUNNING: once\n    SCRIPT: 'true'\n"
        "  LEAF:\n    RUNNING: member\n    DEPENDENCIES: ROOT\n    SCRIPT: 'true'\n")
measure(f"chain of {chain}", EXPDEF.format(members="fc0", chunks=chain),
        "JOBS:\n  STEP:\n    RUNNING: chunk\n    DEPENDENCIES: STEP-1\n    SCRIPT: 'true'\n")
