# Shared by the benchmarks: build Hindcast, start it on a fresh SQLite file on a free port,
# and measure URLs with wrk from a second process. Source it; it sets $port and $tmp.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ensure-tools
ensure_build_tools
command -v wrk >/dev/null || apt_install wrk
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hindcast/target}"
cargo leptos build --release >/dev/null 2>&1

tmp="$(mktemp -d)"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
# No login unless the caller asks (the figures are the views' own; the session layer and the
# guard still run on every request).
DATABASE_URL="sqlite://$tmp/bench.db" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$CARGO_TARGET_DIR/site" \
  PROTECTION_LEVEL="${PROTECTION_LEVEL:-NONE}" HINDCAST_DEV=true RUST_LOG=warn "$CARGO_TARGET_DIR/release/hindcast" serve &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

# wrk_line LABEL URL [SECONDS] [CONNECTIONS] [HEADER]: p50 latency and requests per second
# (1 thread, 8 connections unless told).
wrk_line() {
  local label="$1" url="$2" seconds="${3:-10}" connections="${4:-8}" header=()
  [ -n "${5:-}" ] && header=(-H "$5")
  local out
  out="$(wrk -t1 -c"$connections" -d"${seconds}s" --latency "${header[@]}" "$url")"
  local p50 rps
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  rps="$(awk '$1 == "Requests/sec:" {print $2}' <<<"$out")"
  printf '%-52s p50 %-9s %10s req/s\n' "$label" "$p50" "$rps"
}
