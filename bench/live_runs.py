#!/usr/bin/env python3
"""Bulk status changes while many clients follow the experiment's events, and the tail of a
1 GB job log. Prints the figures."""
import socket, statistics, sys, threading, time

from hindcast_api import Api

host, port, jobs, clients = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
api = Api(host, port)
call = api.call
conn = api.conn

EXPDEF = "DEFAULT:\n  EXPID: a000\n  HPCARCH: LOCAL\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: '{members}'\n" \
         "  CHUNKSIZEUNIT: day\n  CHUNKSIZE: 1\n  NUMCHUNKS: 1\n  CALENDAR: standard\nPLATFORMS: {{}}\n"
JOBS = "JOBS:\n  ROOT:\n    RUNNING: once\n    SCRIPT: yes 'a line of a very long log, as a model writes it' | head -c 1073741824\n" \
       "  LEAF:\n    RUNNING: member\n    DEPENDENCIES: ROOT\n    SCRIPT: 'true'\n"
expid = call("POST", "/v4/experiments", {"description": "live bench"})["name"]
members = " ".join(f"m{i}" for i in range(jobs))
call("PUT", f"/v4/experiments/{expid}/config", {"files": {"expdef.yml": EXPDEF.format(members=members), "jobs.yml": JOBS}})
total = call("POST", f"/v4/experiments/{expid}?action=generate")["jobs"]

# Followers: each counts the `jobs` events it receives and how many jobs they name.
received = [0] * clients
ready = threading.Barrier(clients + 1)
def follower(i):
    s = socket.create_connection((host, port))
    s.sendall(f"GET /v4/experiments/{expid}/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
    f = s.makefile("rb")
    ready.wait()
    for line in f:
        if line.startswith(b"event: jobs"):
            received[i] += 1
for i in range(clients):
    threading.Thread(target=follower, args=(i,), daemon=True).start()
ready.wait()
time.sleep(0.5)

timings = []
for round_, status in enumerate(["COMPLETED", "WAITING", "COMPLETED", "WAITING", "COMPLETED"]):
    began = time.monotonic()
    out = call("POST", f"/v4/experiments/{expid}/jobs/status", {"status": status, "filter": {"section": "LEAF"}})
    timings.append(time.monotonic() - began)
    assert len(out["changed"]) == jobs, len(out["changed"])
deadline = time.monotonic() + 10
while min(received) < len(timings) and time.monotonic() < deadline:
    time.sleep(0.05)
print(f"set status of {jobs} jobs, {clients} clients following: "
      f"median {statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms; "
      f"every client got {min(received)} of {len(timings)} change events")

# A 1 GB log, then its tail.
run = call("POST", f"/v4/experiments/{expid}/runs", {"mode": "selected_only", "jobs": [f"{expid}_ROOT"]})
while run["status"] in ("queued", "running"):
    time.sleep(0.2)
    run = call("GET", f"/v4/experiments/{expid}/runs/{run['id']}")
assert run["status"] == "passed", run
tails = []
for _ in range(50):
    began = time.monotonic()
    conn.request("GET", f"/v4/experiments/{expid}/jobs/{expid}_ROOT/log?tail=65536")
    res = conn.getresponse()
    body = res.read()
    tails.append(time.monotonic() - began)
    size = int(res.getheader("x-log-size"))
assert len(body) == 65536 and size == 1073741824, (len(body), size)
print(f"tail (64 KiB) of a {size / 2**30:.0f} GiB log: median {statistics.median(tails) * 1000:.2f} ms, max {max(tails) * 1000:.2f} ms")
