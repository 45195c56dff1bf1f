#!/usr/bin/env python3
"""Runs no-op jobs through Hindcast's local executor and prints jobs dispatched per second:
a fan-out (one job, then N children) and a chain (N jobs one after the other)."""
import sys, time
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

measure(f"fan-out 1 -> {fan}", EXPDEF.format(members=" ".join(f"m{i}" for i in range(fan)), chunks=1),
        "JOBS:\n  ROOT:\n    RUNNING: once\n    SCRIPT: 'true'\n"
        "  LEAF:\n    RUNNING: member\n    DEPENDENCIES: ROOT\n    SCRIPT: 'true'\n")
measure(f"chain of {chain}", EXPDEF.format(members="fc0", chunks=chain),
        "JOBS:\n  STEP:\n    RUNNING: chunk\n    DEPENDENCIES: STEP-1\n    SCRIPT: 'true'\n")
