#!/usr/bin/env python3
"""Runs `experiments` fan-outs of fan/experiments no-op jobs at once, each asked of the next
server in the list, and prints jobs per second from the first run's start to the last end."""
import sys, time
from datetime import datetime

from hindcast_api import Api

label, fan, experiments, ports = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), [int(p) for p in sys.argv[4:]]
apis = [Api("127.0.0.1", p) for p in ports]
per = fan // experiments
EXPDEF = ("DEFAULT:\n  EXPID: a000\n  HPCARCH: LOCAL\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: '{members}'\n"
          "  CHUNKSIZEUNIT: day\n  CHUNKSIZE: 1\n  NUMCHUNKS: 1\n  CALENDAR: standard\nPLATFORMS: {{}}\n")
JOBS = ("JOBS:\n  ROOT:\n    RUNNING: once\n    SCRIPT: 'true'\n"
        "  LEAF:\n    RUNNING: member\n    DEPENDENCIES: ROOT\n    SCRIPT: 'true'\n")
planned = []
for i in range(experiments):
    api = apis[i % len(apis)]
    expid = api.call("POST", "/v4/experiments", {"description": label})["name"]
    members = " ".join(f"m{j}" for j in range(per))
    api.call("PUT", f"/v4/experiments/{expid}/config", {"files": {"expdef.yml": EXPDEF.format(members=members), "jobs.yml": JOBS, "config.yml": "CONFIG:\n  TOTALJOBS: 64\n"}})
    api.call("POST", f"/v4/experiments/{expid}?action=generate")
    planned.append((api, expid))
runs = [(api, expid, api.call("POST", f"/v4/experiments/{expid}/runs", {})["id"]) for api, expid in planned]
ended = []
for api, expid, run_id in runs:
    while True:
        run = api.call("GET", f"/v4/experiments/{expid}/runs/{run_id}")
        if run["status"] not in ("queued", "running"):
            break
        time.sleep(0.1)
    assert run["status"] == "passed", run
    ended.append(run)
start = min(datetime.fromisoformat(r["started_at"]) for r in ended)
end = max(datetime.fromisoformat(r["finished_at"]) for r in ended)
seconds = (end - start).total_seconds()
jobs = experiments * (per + 1)
print(f"{label:<34} {jobs:>6} jobs  {seconds:6.2f} s  {jobs / seconds:7.0f} jobs/s")
