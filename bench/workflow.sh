#!/usr/bin/env bash
# Workflow speed on SQLite, measured from a second process:
#   generation including storing, for `large` (20,202 jobs) and a synthetic 100k-job
#   configuration (10 dates x 20 members x 100 chunks x 5 sections, plus 200 INI jobs);
#   target < 1 s at 100k;
#   the job-list API page, one job, its parents, the summary, tree levels, and the server-rendered jobs
#   and overview pages and the quick view at 100k jobs (target < 20 ms);
#   the graph layout, first (computed; target < 1 s) and cached (target < 50 ms), the statuses,
#   and the graph page in Chromium until drawn and interactive (target < 2 s).
# Usage: bench/workflow.sh [seconds]
seconds="${1:-5}"
source "$(dirname "$0")/lib.sh"
base="http://127.0.0.1:$port"

# configure NAME DIR: creates an experiment holding DIR's YAML files; prints its id.
configure() {
  python3 - "$base" "$1" "$2" <<'PY'
import http.client, json, pathlib, sys, urllib.parse
base, label, folder = sys.argv[1:]
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port)
conn.request("POST", "/v4/experiments", json.dumps({"description": label}), {"content-type": "application/json"})
expid = json.loads(conn.getresponse().read())["name"]
files = {p.name: p.read_text() for p in sorted(pathlib.Path(folder).glob("*.yml"))}
conn.request("PUT", f"/v4/experiments/{expid}/config", json.dumps({"files": files}), {"content-type": "application/json"})
res = conn.getresponse()
res.read()
assert res.status == 200, res.status
print(expid)
PY
}

# generate LABEL EXPID: three generations (the 2nd and 3rd replace a stored graph).
generate() {
  local label="$1" expid="$2" times=()
  for _ in 1 2 3; do
    local out
    out="$(curl -s -w '\n%{http_code} %{time_total}' -X POST "$base/v4/experiments/$expid?action=generate")"
    local code seconds_taken
    read -r code seconds_taken <<<"$(tail -1 <<<"$out")"
    [ "$code" = 200 ] || { echo "generate $expid answered $code: $(head -1 <<<"$out")"; exit 1; }
    times+=("$seconds_taken")
  done
  local jobs edges
  jobs="$(head -1 <<<"$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["jobs"], d["edges"])')"
  printf '%-52s %s (jobs edges); seconds: %s\n' "generate $label" "$jobs" "${times[*]}"
}

large="$(configure large server/tests/data/autosubmit-cases/large)"
big="$(configure synthetic-100k bench/configs/synthetic-100k)"
echo "workflow benchmark, SQLite; views: wrk 1 thread, 1 connection (latency), ${seconds}s each"
generate "large (Autosubmit 4.1.17.1: 4.6 s)" "$large"
generate "synthetic 100k" "$big"

job="${big}_19950101_fc10_50_STATS"
wrk_line "API  GET …/jobs?page_size=100 (100k jobs)" "$base/v4/experiments/$big/jobs?page_size=100" "$seconds" 1
wrk_line "API  GET …/jobs?status=READY&page_size=100" "$base/v4/experiments/$big/jobs?status=READY&page_size=100" "$seconds" 1
wrk_line "API  GET …/jobs?job_name=*_fc10_5*_SIM&page_size=100" "$base/v4/experiments/$big/jobs?job_name=*_fc10_5*_SIM&page_size=100" "$seconds" 1
wrk_line "API  GET …/jobs/{name}" "$base/v4/experiments/$big/jobs/$job" "$seconds" 1
wrk_line "API  GET …/jobs/{name}/parents" "$base/v4/experiments/$big/jobs/$job/parents?include_status=true" "$seconds" 1
wrk_line "API  GET …/summary (100k jobs)" "$base/v4/experiments/$big/summary" "$seconds" 1
wrk_line "API  GET …/tree (root: 10 dates, 100k jobs)" "$base/v4/experiments/$big/tree" "$seconds" 1
wrk_line "API  GET …/tree?date=19950101 (20 members)" "$base/v4/experiments/$big/tree?date=19950101" "$seconds" 1
wrk_line "API  GET …/tree?date=…&member=fc10 (5 sections)" "$base/v4/experiments/$big/tree?date=19950101&member=fc10" "$seconds" 1
wrk_line "Page GET /experiments/{expid}/jobs (100k jobs)" "$base/experiments/$big/jobs" "$seconds" 1
wrk_line "Page GET /experiments/{expid}/jobs?status=READY" "$base/experiments/$big/jobs?status=READY" "$seconds" 1
wrk_line "Page GET …/jobs?view=quick (500 names, counts)" "$base/experiments/$big/jobs?view=quick" "$seconds" 1
wrk_line "Page GET /experiments/{expid} (overview, summary)" "$base/experiments/$big" "$seconds" 1

# The graph view: the first request computes the layout, later ones are served from memory.
for expid in "$large" "$big"; do
  first="$(curl -s -o /dev/null -H 'accept-encoding: gzip' -w '%{time_total}s, %{size_download} bytes gzipped' "$base/v4/experiments/$expid/graph")"
  printf '%-52s %s\n' "API  GET …/graph first (layout of $expid)" "$first"
done
wrk_line "API  GET …/graph cached, gzip (100k jobs)" "$base/v4/experiments/$big/graph" "$seconds" 1 "Accept-Encoding: gzip"
wrk_line "API  GET …/graph/statuses (100k jobs)" "$base/v4/experiments/$big/graph/statuses" "$seconds" 1 "Accept-Encoding: gzip"
node bench/graph-page.cjs "$base/experiments/$big/graph" 3

# Setting statuses by hand: every job of one start date (10,020 jobs), in one transaction.
for status in COMPLETED WAITING; do
  took="$(curl -s -o /tmp/hindcast-set-status.json -w '%{time_total}' -X POST -H 'content-type: application/json' \
    -d "{\"status\": \"$status\", \"filter\": {\"date\": \"19950101\"}}" "$base/v4/experiments/$big/jobs/status")"
  changed="$(python3 -c 'import json; d=json.load(open("/tmp/hindcast-set-status.json")); print(len(d["changed"]), "changed,", len(d["now_ready"]), "now ready,", len(d["now_waiting"]), "now waiting")')"
  printf '%-52s %ss (%s)\n' "API  POST …/jobs/status → $status (one date)" "$took" "$changed"
done
