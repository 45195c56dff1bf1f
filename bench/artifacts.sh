#!/usr/bin/env bash
# Job artifacts in an S3-compatible object store (moto's S3 server on loopback; a real store
# is slower per request, so these are floors of what the server adds):
#   archiving: a fan-out of N jobs, each writing an output of SIZE KiB and 200 log lines;
#     attempts and MiB copied per second, and how long after the run's end the last copy landed;
#   reading: latency of a log tail, a whole output file and an outputs zip, from the object
#     store (a server with an empty data folder) and from the data folder (a server without
#     a store, on the same database and folder).
# Usage: bench/artifacts.sh [fan-out] [size KiB]
set -euo pipefail
fan="${1:-500}"
size_kib="${2:-256}"
cd "$(dirname "$0")/.."
source scripts/ensure-tools
ensure_build_tools
ensure_test_tools
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hindcast/target}"
cargo leptos build --release >/dev/null 2>&1

tmp="$(mktemp -d)"
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

s3port="$(free_port)"
"$TOOLS_DIR/moto/bin/moto_server" -H 127.0.0.1 -p "$s3port" >"$tmp/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$s3port/" >/dev/null && break; sleep 0.1; done
curl -sf -X PUT "http://127.0.0.1:$s3port/bench" >/dev/null
export AWS_ENDPOINT_URL="http://127.0.0.1:$s3port" AWS_ALLOW_HTTP=true AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench

# start_server DATA_DIR STORE_URL: a server on the shared SQLite file; prints its port.
start_server() {
  local port; port="$(free_port)"
  DATABASE_URL="sqlite://$tmp/bench.db" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$CARGO_TARGET_DIR/site" \
    HINDCAST_DATA_DIR="$1" HINDCAST_ARTIFACTS_URL="$2" PROTECTION_LEVEL=NONE RUST_LOG=warn \
    "$CARGO_TARGET_DIR/release/hindcast" serve >>"$tmp/servers.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  echo "$port"
}
mkdir -p "$tmp/data" "$tmp/empty"
writer="$(start_server "$tmp/data" s3://bench/hindcast)"
python3 bench/artifact_runs.py floor "$fan" "$size_kib" "$s3port"
BENCH_DATA="$tmp/data" BENCH_EXPID_FILE="$tmp/expid" python3 bench/artifact_runs.py archive "$fan" "$size_kib" "$writer"
from_store="$(start_server "$tmp/empty" s3://bench/hindcast)"
from_folder="$(start_server "$tmp/data" "")"
BENCH_EXPID="$(cat "$tmp/expid")" python3 bench/artifact_runs.py read "$fan" "$size_kib" "$from_store" "$from_folder"
