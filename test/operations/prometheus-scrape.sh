#!/usr/bin/env bash
# A real Prometheus (Debian's `prometheus` package) scrapes the server's GET /metrics: starts the
# server (test/interop/serve-fixture.ts, the fake engine: the counts are the point, not the model),
# starts Prometheus on loopback with a config that scrapes it every second, sends CALLS ListModels
# calls (Connect protocol, JSON over HTTP/1.1, with curl), then asks Prometheus' HTTP API for
# florence2_requests_total until it equals CALLS. Prints PASS/FAIL lines; exits non-zero on a FAIL.
# Run by .ci/interop; runnable alone after `npm ci` with prometheus and curl on PATH.
set -uo pipefail
cd "$(dirname "$0")/../.."

CALLS=${CALLS:-7}
work=$(mktemp -d)
server_pid=""
prom_pid=""
failed=0

pass() { echo "PASS prometheus: $*"; }
fail() { echo "FAIL prometheus: $*"; failed=1; }

cleanup() {
  for pid in $prom_pid $server_pid; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! command -v prometheus >/dev/null; then
  fail "no 'prometheus' on PATH (Debian: apt-get install prometheus; .ci/run installs it)"
  exit 1
fi

# The value of a Prometheus instant query (the first sample's), or nothing.
query() {
  curl -s --max-time 5 --get --data-urlencode "query=$1" "http://127.0.0.1:$prom_port/api/v1/query" |
    node -e '
      let text = ""; process.stdin.on("data", (c) => (text += c)).on("end", () => {
        try { const r = JSON.parse(text); const v = r.data?.result?.[0]?.value?.[1]; if (v !== undefined) console.log(v); } catch {}
      });'
}

node --import tsx test/interop/serve-fixture.ts --port 0 --engine fake >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
port=""
for _ in $(seq 1 600); do
  port=$(sed -n 's/^PORT=\([0-9][0-9]*\)$/\1/p' "$work/server.out" | head -1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  fail "the server did not start within 60 s: $(tail -5 "$work/server.err")"
  exit 1
fi

prom_port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: florence2
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:$port"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
prom_pid=$!
if ! timeout 30 bash -c "until curl -sf http://127.0.0.1:$prom_port/-/ready >/dev/null; do sleep 0.2; done"; then
  fail "Prometheus did not become ready within 30 s: $(tail -5 "$work/prometheus.log")"
  exit 1
fi

answered=0
for _ in $(seq 1 "$CALLS"); do
  if curl -sf --max-time 10 -X POST -H 'content-type: application/json' -d '{}' \
    "http://127.0.0.1:$port/florence.v1.ModelService/ListModels" >/dev/null; then
    answered=$((answered + 1))
  fi
done
[ "$answered" -eq "$CALLS" ] || fail "only $answered of $CALLS ListModels calls were answered"

# Scrapes happen every second; a sample with all CALLS counted shows up within a few.
total=""
for _ in $(seq 1 60); do
  total=$(query 'sum(florence2_requests_total)')
  [ "$total" = "$CALLS" ] && break
  sleep 0.5
done
if [ "$total" = "$CALLS" ]; then
  pass "sum(florence2_requests_total) = $CALLS through Prometheus' HTTP API, the calls this test made"
else
  fail "sum(florence2_requests_total) should be $CALLS, Prometheus says '${total}'; targets: $(curl -s "http://127.0.0.1:$prom_port/api/v1/targets" | head -c 600)"
fi
by_method=$(query 'florence2_requests_total{method="florence.v1.ModelService/ListModels",code="ok"}')
if [ "$by_method" = "$CALLS" ]; then
  pass "florence2_requests_total{method=\"florence.v1.ModelService/ListModels\",code=\"ok\"} = $CALLS"
else
  fail "florence2_requests_total for ListModels/ok should be $CALLS, got '${by_method}'"
fi
up=$(query 'up{job="florence2"}')
histogram=$(query 'sum(florence2_request_duration_seconds_count)')
if [ "$up" = "1" ] && [ "$histogram" = "$CALLS" ]; then
  pass "target up, florence2_request_duration_seconds counted $CALLS calls"
else
  fail "up should be 1 and the duration histogram count $CALLS; got up='$up', count='$histogram'"
fi
exit "$failed"
