#!/usr/bin/env bash
# Catalogue speed with 10,000 experiments on SQLite, measured by wrk from a second process:
#   GET /v4/experiments?query=…  (target: p50 < 5 ms, >= 2,000 req/s on 2 cores)
#   GET /experiments?query=…     (server-rendered list page; target: p50 < 20 ms)
# and the wasm bundle's raw and gzip size (target: gzip < 400 KB).
# Usage: bench/catalogue.sh [experiments] [seconds]
count="${1:-10000}"
seconds="${2:-10}"
source "$(dirname "$0")/lib.sh"

python3 bench/seed_catalogue.py 127.0.0.1 "$port" "$count"

# Warm the caches (and let the WAL settle after seeding) before measuring.
wrk -t1 -c8 -d2s "http://127.0.0.1:$port/v4/experiments?query=warm&only_active=false" >/dev/null
echo "catalogue of $count experiments, SQLite, wrk 1 thread 8 connections ${seconds}s each"
wrk_line "API  GET /v4/experiments?query=sea ice" "http://127.0.0.1:$port/v4/experiments?query=sea%20ice&only_active=false" "$seconds"
wrk_line "API  GET /v4/experiments?query=a00" "http://127.0.0.1:$port/v4/experiments?query=a00&only_active=false" "$seconds"
wrk_line "API  GET /v4/experiments (default page)" "http://127.0.0.1:$port/v4/experiments?only_active=false" "$seconds"
wrk_line "Page GET /experiments?query=sea ice" "http://127.0.0.1:$port/experiments?query=sea%20ice" "$seconds"
wrk_line "Page GET /experiments" "http://127.0.0.1:$port/experiments" "$seconds"

wasm="$CARGO_TARGET_DIR/site/pkg/hindcast.wasm"
echo "wasm bundle: $(stat -c %s "$wasm") bytes raw, $(gzip -9 -c "$wasm" | wc -c) bytes gzip"
