#!/usr/bin/env bash
# Catalogue speed with 10,000 experiments on SQLite, measured by wrk from a second process:
#   GET /v4/experiments?query=…  (target: p50 < 5 ms, >= 2,000 req/s on 2 cores)
#   GET /experiments?query=…     (server-rendered list page; target: p50 < 20 ms)
# and the wasm bundle's raw and gzip size (target: gzip < 400 KB).
# Usage: bench/catalogue.sh [experiments] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-10000}"
seconds="${2:-10}"
source scripts/ensure-tools
ensure_build_tools
command -v wrk >/dev/null || apt_install wrk
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hindcast/target}"
cargo leptos build --release >/dev/null 2>&1

tmp="$(mktemp -d)"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
DATABASE_URL="sqlite://$tmp/bench.db" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$CARGO_TARGET_DIR/site" \
  RUST_LOG=warn "$CARGO_TARGET_DIR/release/hindcast" serve &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

python3 bench/seed_catalogue.py 127.0.0.1 "$port" "$count"

run() {
  local label="$1" url="$2"
  local out
  out="$(wrk -t1 -c8 -d"${seconds}s" --latency "$url")"
  local p50 rps
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  rps="$(awk '$1 == "Requests/sec:" {print $2}' <<<"$out")"
  printf '%-44s p50 %-9s %10s req/s\n' "$label" "$p50" "$rps"
}

# Warm the caches (and let the WAL settle after seeding) before measuring.
wrk -t1 -c8 -d2s "http://127.0.0.1:$port/v4/experiments?query=warm&only_active=false" >/dev/null
echo "catalogue of $count experiments, SQLite, wrk 1 thread 8 connections ${seconds}s each"
run "API  GET /v4/experiments?query=sea ice" "http://127.0.0.1:$port/v4/experiments?query=sea%20ice&only_active=false"
run "API  GET /v4/experiments?query=a00" "http://127.0.0.1:$port/v4/experiments?query=a00&only_active=false"
run "API  GET /v4/experiments (default page)" "http://127.0.0.1:$port/v4/experiments?only_active=false"
run "Page GET /experiments?query=sea ice" "http://127.0.0.1:$port/experiments?query=sea%20ice"
run "Page GET /experiments" "http://127.0.0.1:$port/experiments"

wasm="$CARGO_TARGET_DIR/site/pkg/hindcast.wasm"
echo "wasm bundle: $(stat -c %s "$wasm") bytes raw, $(gzip -9 -c "$wasm" | wc -c) bytes gzip"
