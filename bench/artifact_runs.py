#!/usr/bin/env python3
"""bench/artifacts.sh's measurements.
archive FAN SIZE PORT: runs a fan-out whose jobs write SIZE KiB outputs and prints how fast
  the server copied their attempts to the object store.
read FAN SIZE STORE_PORT FOLDER_PORT: read latencies (p50, p99 over 200 requests) of the
  same files from the object store and from the data folder."""
import os, statistics, sys, time
from datetime import datetime

from hindcast_api import Api

mode, fan, size_kib, ports = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), [int(p) for p in sys.argv[4:]]
EXPDEF = ("DEFAULT:\n  EXPID: a000\n  HPCARCH: LOCAL\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: '{members}'\n"
          "  CHUNKSIZEUNIT: day\n  CHUNKSIZE: 1\n  NUMCHUNKS: 1\n  CALENDAR: standard\nPLATFORMS: {{}}\n")
JOBS = ("JOBS:\n  ROOT:\n    RUNNING: once\n    SCRIPT: 'true'\n"
        "  LEAF:\n    RUNNING: member\n    DEPENDENCIES: ROOT\n    SCRIPT: |\n"
        "      head -c {bytes} /dev/urandom > out.bin\n      seq -f 'log line %g of the job' 1 200\n")


def when(text):
    return datetime.fromisoformat(text)


if mode == "archive":
    api = Api("127.0.0.1", ports[0])
    expid = api.call("POST", "/v4/experiments", {"description": "artifacts bench"})["name"]
    members = " ".join(f"m{j}" for j in range(fan))
    files = {"expdef.yml": EXPDEF.format(members=members), "jobs.yml": JOBS.format(bytes=size_kib * 1024), "config.yml": "CONFIG:\n  TOTALJOBS: 64\n"}
    api.call("PUT", f"/v4/experiments/{expid}/config", {"files": files})
    api.call("POST", f"/v4/experiments/{expid}?action=generate")
    run_id = api.call("POST", f"/v4/experiments/{expid}/runs", {})["id"]
    while (run := api.call("GET", f"/v4/experiments/{expid}/runs/{run_id}"))["status"] in ("queued", "running"):
        time.sleep(0.1)
    assert run["status"] == "passed", run
    deadline = time.time() + 600
    while True:
        attempts = api.call("GET", f"/v4/experiments/{expid}/runs/{run_id}/attempts")["attempts"]
        if all(a.get("archived_at") for a in attempts) or time.time() > deadline:
            break
        time.sleep(0.2)
    archived = [a for a in attempts if a.get("archived_at")]
    assert len(archived) == len(attempts), f"{len(archived)} of {len(attempts)} archived"
    first_end = min(when(a["finished_at"]) for a in attempts)
    last_copy = max(when(a["archived_at"]) for a in archived)
    span = (last_copy - first_end).total_seconds()
    run_span = (when(run["finished_at"]) - when(run["started_at"])).total_seconds()
    mib = fan * size_kib / 1024
    print(expid, file=open(os.environ["BENCH_EXPID_FILE"], "w"))
    objects = sum(len(files) for root, _, files in os.walk(os.path.join(os.environ["BENCH_DATA"], "experiments", expid, "jobs")))
    print(f"run of {len(attempts)} jobs ({fan} outputs of {size_kib} KiB): {run_span:.2f} s")
    print(f"archived {len(attempts)} attempts, {mib:.0f} MiB of outputs, in {span:.2f} s from the first job's end: "
          f"{len(attempts) / span:.0f} attempts/s, {objects / span:.0f} objects/s, {mib / span:.1f} MiB/s; last copy {(last_copy - when(run['finished_at'])).total_seconds():.2f} s after the run's end")
elif mode == "floor":
    # The store's own rate: PUTs of 1 KB objects from 16 threads, no Hindcast in between.
    import http.client, threading
    count, port = 800, ports[0]
    def put(keys):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for key in keys:
            conn.request("PUT", f"/bench/floor/{key}", b"x" * 1000)
            conn.getresponse().read()
    threads = [threading.Thread(target=put, args=(range(i, count, 16),)) for i in range(16)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"the store alone: {count / (time.perf_counter() - start):.0f} PUT/s (1 KB objects, 16 clients)")
else:
    def timed(api, path, count=200):
        times = []
        for _ in range(count):
            start = time.perf_counter()
            api.call("GET", path)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        return statistics.median(times), times[int(len(times) * 0.99) - 1]

    store, folder = Api("127.0.0.1", ports[0]), Api("127.0.0.1", ports[1])
    expid = os.environ["BENCH_EXPID"]
    job = f"{expid}_20000101_m7_LEAF"
    for label, path in [("log tail (4 KiB)", f"/v4/experiments/{expid}/jobs/{job}/log?tail=4096"),
                        (f"output file ({size_kib} KiB)", f"/v4/experiments/{expid}/jobs/{job}/outputs/out.bin"),
                        ("outputs zip (1 file)", f"/v4/experiments/{expid}/jobs/{job}/outputs"),
                        ("logs zip (3 files)", f"/v4/experiments/{expid}/jobs/{job}/logs")]:
        (s50, s99), (f50, f99) = timed(store, path), timed(folder, path)
        print(f"{label:<24} object store p50 {s50:6.2f} ms p99 {s99:6.2f} ms | data folder p50 {f50:6.2f} ms p99 {f99:6.2f} ms")
