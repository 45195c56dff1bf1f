#!/usr/bin/env bash
# Engine speed on SQLite: no-op `bash` jobs through the local executor, end to end (planned,
# spawned, watched, statuses and attempts stored), as jobs per second between the run's start
# and end (target >= 500 jobs/s; spawning processes caps near 2,000/s on this machine):
#   a fan-out of one job then 10,000 children, and a chain of 1,000 jobs;
# then bulk status changes while 100 clients follow the events, and the tail of a 1 GB log.
# Usage: bench/engine.sh [fan-out] [chain]
fan="${1:-10000}"
chain="${2:-1000}"
source "$(dirname "$0")/lib.sh"
python3 bench/engine_runs.py 127.0.0.1 "$port" "$fan" "$chain"
# Bulk set-status of 10,000 jobs while 100 clients follow the events (target < 0.5 s), and the
# tail of a 1 GB log (target < 50 ms).
python3 bench/live_runs.py 127.0.0.1 "$port" 10000 100
