#!/usr/bin/env bash
# Several servers on one PostgreSQL (a throwaway cluster in a temp dir, fsync off), local
# no-op jobs, jobs per second from the first run's start to the last run's end:
#   one server, one experiment: a fan-out of 1 -> N;
#   one server, two experiments of N/2 each, run at once;
#   two servers, the same two experiments, one asked of each server.
# Both servers share this machine's 2 cores, and one run is always driven by one server: the
# second server adds capacity for several experiments, not inside one run.
# Usage: bench/cluster.sh [fan-out]
set -euo pipefail
fan="${1:-10000}"
cd "$(dirname "$0")/.."
source scripts/ensure-tools
ensure_build_tools
ensure_test_tools
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hindcast/target}"
cargo leptos build --release >/dev/null 2>&1

tmp="$(mktemp -d)"
chmod 755 "$tmp"
pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
mkdir -p "$tmp/pg" && chown postgres:postgres "$tmp/pg" 2>/dev/null || true
as_pg "$pgbin/initdb" -A trust -U postgres -E UTF8 --no-sync -D "$tmp/pg" >/dev/null
pgport="$(free_port)"
as_pg "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg/log" -w -o "-p $pgport -c listen_addresses=127.0.0.1 -k $tmp/pg -c fsync=off -c synchronous_commit=off -c max_connections=300" start >/dev/null
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  as_pg "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# start_server DB: starts one server on the database, prints its port.
start_server() {
  local port; port="$(free_port)"
  DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/$1" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$CARGO_TARGET_DIR/site" \
    HINDCAST_DATA_DIR="$tmp/data-$1" PROTECTION_LEVEL=NONE RUST_LOG=warn "$CARGO_TARGET_DIR/release/hindcast" serve >/dev/null 2>&1 &
  servers+=($!)
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  echo "$port"
}
stop_servers() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  servers=()
}

for db in one split two; do as_pg psql -h 127.0.0.1 -p "$pgport" -U postgres -qc "CREATE DATABASE $db" >/dev/null; done

a="$(start_server one)"
python3 bench/cluster_runs.py "one server, one experiment" "$fan" 1 "$a"
stop_servers
a="$(start_server split)"
python3 bench/cluster_runs.py "one server, two experiments" "$fan" 2 "$a" "$a"
stop_servers
a="$(start_server two)"; b="$(start_server two)"
python3 bench/cluster_runs.py "two servers, two experiments" "$fan" 2 "$a" "$b"
