#!/usr/bin/env bash
# Engine speed on SQLite: no-op `bash` jobs through the local executor, end to end (planned,
# spawned, watched, statuses and attempts stored), as jobs per second between the run's start
# and end (target >= 500 jobs/s; spawning processes caps near 2,000/s on this machine):
#   a fan-out of one job then 10,000 children, and a chain of 1,000 jobs.
# Usage: bench/engine.sh [fan-out] [chain]
fan="${1:-10000}"
chain="${2:-1000}"
source "$(dirname "$0")/lib.sh"
python3 bench/engine_runs.py 127.0.0.1 "$port" "$fan" "$chain"
