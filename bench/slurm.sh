#!/usr/bin/env bash
# The Slurm executor on the local one-node cluster (scripts/slurm-cluster; as root):
#   sbatch alone, one after the other (the floor any submitter pays);
#   submission throughput: a fan-out of N no-op jobs, from the run's start until every job
#   has its Slurm id, and until the run ends;
#   status tracking: the server's CPU time while K jobs run, per second and per job, and
#   the time of one squeue call for K ids.
# Usage: bench/slurm.sh [fan-out] [running]
fan="${1:-500}"
running="${2:-100}"
source "$(dirname "$0")/lib.sh"
scripts/slurm-cluster start
python3 bench/slurm_runs.py 127.0.0.1 "$port" "$fan" "$running" "$server"
