#!/usr/bin/env bash
# Validates the pipeline configs with the pinned tools from scripts/setup-tools.sh:
#   - otelcol-faultline validate: collector/otelcol.yaml (loopback defaults and compose-like env)
#   - jaeger validate: collector/jaeger.yaml
#   - promtool check config: prometheus/prometheus.yml as written (compose) and rendered for loopback
#   - amtool check-config: prometheus/alertmanager.yml, when it exists
# With --smoke it also starts the collector, Jaeger, Prometheus (and Alertmanager) on free loopback
# ports, sends one OTLP/HTTP JSON span with an error status, and checks that the trace reaches
# Jaeger (/api/v3/traces/{id} and /api/traces/{id}) scrubbed, that the span metric and its exemplar
# reach the collector's Prometheus exporter and Prometheus, and that Jaeger SPM reads them back;
# then it stops what it started.
#
# Usage: scripts/check-configs.sh [--smoke]
#        scripts/check-configs.sh --render-prometheus OUT   (write the loopback prometheus.yml)
# Tools missing from the cache are installed first (scripts/setup-tools.sh) unless
# FAULTLINE_NO_SETUP=1. FAULTLINE_CHECK_KEEP=1 keeps the work dir (logs, rendered config).
# Prints "checks: N passed, N failed" last; exits non-zero when a check failed.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FAULTLINE_CACHE:-$HOME/.cache/faultline}"
BIN="$CACHE/bin"
PASSED=0
FAILED=0

ok() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$1"; }
bad() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     /' | tail -25; }
check() { # check NAME CMD...: runs CMD, passes on exit 0, shows its output otherwise
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then ok "$name"; else bad "$name" "$out"; fi
}

# Loopback rendering of prometheus/prometheus.yml (Prometheus 2.42 expands no env vars). Each
# compose `host:port` target becomes 127.0.0.1 and the port from the env var the stack exports;
# a demo service without a port gets an empty target list; rule_files become absolute.
render_prometheus() {
  local out="$1" gateway="[]" worker="[]" extra=()
  [ -n "${FAULTLINE_GATEWAY_METRICS_PORT:-}" ] && gateway="['127.0.0.1:$FAULTLINE_GATEWAY_METRICS_PORT']"
  [ -n "${FAULTLINE_WORKER_METRICS_PORT:-}" ] && worker="['127.0.0.1:$FAULTLINE_WORKER_METRICS_PORT']"
  [ -n "${FAULTLINE_PROMETHEUS_SCRAPE_INTERVAL:-}" ] &&
    extra=(-e "s#^(\s*)scrape_interval: .*#\1scrape_interval: $FAULTLINE_PROMETHEUS_SCRAPE_INTERVAL#")
  sed -E \
    -e "s#'localhost:9090'#'127.0.0.1:${FAULTLINE_PROMETHEUS_PORT:-9090}'#" \
    -e "s#'alertmanager:9093'#'127.0.0.1:${FAULTLINE_ALERTMANAGER_PORT:-9093}'#" \
    -e "s#'otel-collector:8889'#'127.0.0.1:${FAULTLINE_COLLECTOR_PROMETHEUS_PORT:-8889}'#" \
    -e "s#'otel-collector:8888'#'127.0.0.1:${FAULTLINE_COLLECTOR_TELEMETRY_PORT:-8888}'#" \
    -e "s#'jaeger:14269'#'127.0.0.1:${FAULTLINE_JAEGER_METRICS_PORT:-14269}'#" \
    -e "s#\['gateway:9464'\]#$gateway#" \
    -e "s#\['worker:9464'\]#$worker#" \
    -e "s#^(\s*-\s*)rules/#\1$REPO/prometheus/rules/#" \
    "${extra[@]}" \
    "$REPO/prometheus/prometheus.yml" >"$out"
}

if [ "${1:-}" = --render-prometheus ]; then
  [ -n "${2:-}" ] || { echo "usage: $0 --render-prometheus OUT" >&2; exit 2; }
  render_prometheus "$2"
  exit
fi
SMOKE=0
[ "${1:-}" = --smoke ] && SMOKE=1

for b in otelcol-faultline jaeger promtool amtool; do
  if [ ! -x "$BIN/$b" ]; then
    [ "${FAULTLINE_NO_SETUP:-}" = 1 ] && { echo "missing $BIN/$b (run scripts/setup-tools.sh)" >&2; exit 1; }
    bash "$REPO/scripts/setup-tools.sh" || exit 1
    break
  fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/faultline-check.XXXXXX")"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "${FAULTLINE_CHECK_KEEP:-}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- static validation
check "collector config validates (loopback defaults)" \
  "$BIN/otelcol-faultline" validate --config "$REPO/collector/otelcol.yaml"
check "collector config validates (compose env, logs also over OTLP/HTTP)" \
  env FAULTLINE_BIND_HOST=0.0.0.0 FAULTLINE_JAEGER_OTLP_ENDPOINT=jaeger:14317 \
  FAULTLINE_COLLECTOR_LOGS_EXPORTERS='[debug, otlp_http/logs]' FAULTLINE_LOGS_OTLP_ENDPOINT=http://logs:4318 \
  "$BIN/otelcol-faultline" validate --config "$REPO/collector/otelcol.yaml"
check "jaeger config validates" "$BIN/jaeger" validate --config "$REPO/collector/jaeger.yaml"
check "prometheus.yml (compose) passes promtool" "$BIN/promtool" check config "$REPO/prometheus/prometheus.yml"
render_prometheus "$WORK/prometheus.yml"
check "prometheus.yml (rendered for loopback) passes promtool" "$BIN/promtool" check config "$WORK/prometheus.yml"
if [ -f "$REPO/prometheus/alertmanager.yml" ]; then
  check "alertmanager.yml passes amtool" "$BIN/amtool" check-config "$REPO/prometheus/alertmanager.yml"
else
  echo "skip alertmanager.yml (not written yet)"
fi

# ---------------------------------------------------------------- smoke run on loopback
free_ports() { # free_ports N: N distinct free TCP ports on 127.0.0.1
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}
wait_http() { # wait_http URL SECONDS: until URL answers 2xx
  local i
  for ((i = 0; i < $2 * 4; i++)); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.25
  done
  return 1
}
start() { # start NAME CMD...: runs CMD in the background, logging to $WORK/NAME.log
  local name="$1"
  shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

smoke() {
  read -r P_GRPC P_HTTP P_PROMEXP P_TEL P_HEALTH P_ZP J_GRPC J_HTTP J_QHTTP J_QGRPC J_HEALTH J_MET PROM AM <<<"$(free_ports 14)"
  export FAULTLINE_BIND_HOST=127.0.0.1
  export FAULTLINE_COLLECTOR_OTLP_GRPC_PORT=$P_GRPC FAULTLINE_COLLECTOR_OTLP_HTTP_PORT=$P_HTTP
  export FAULTLINE_COLLECTOR_PROMETHEUS_PORT=$P_PROMEXP FAULTLINE_COLLECTOR_TELEMETRY_PORT=$P_TEL
  export FAULTLINE_COLLECTOR_HEALTH_PORT=$P_HEALTH FAULTLINE_COLLECTOR_ZPAGES_PORT=$P_ZP
  export FAULTLINE_JAEGER_OTLP_ENDPOINT=127.0.0.1:$J_GRPC FAULTLINE_JAEGER_OTLP_GRPC_PORT=$J_GRPC
  export FAULTLINE_JAEGER_OTLP_HTTP_PORT=$J_HTTP FAULTLINE_JAEGER_QUERY_HTTP_PORT=$J_QHTTP
  export FAULTLINE_JAEGER_QUERY_GRPC_PORT=$J_QGRPC FAULTLINE_JAEGER_HEALTH_PORT=$J_HEALTH
  export FAULTLINE_JAEGER_METRICS_PORT=$J_MET FAULTLINE_PROMETHEUS_PORT=$PROM FAULTLINE_ALERTMANAGER_PORT=$AM
  export FAULTLINE_PROMETHEUS_URL=http://127.0.0.1:$PROM
  # Fast flushes so the check takes seconds; a span-metrics flush (3s) outlives a scrape (1s), so
  # Prometheus sees each flush's exemplars.
  export FAULTLINE_SPANMETRICS_FLUSH_INTERVAL=3s FAULTLINE_SAMPLING_DECISION_WAIT=2s
  export FAULTLINE_PROMETHEUS_SCRAPE_INTERVAL=1s
  # Nothing sampled by chance: the OK trace below must be counted in span metrics yet not stored.
  export FAULTLINE_SAMPLING_PERCENTAGE=0

  render_prometheus "$WORK/prometheus-smoke.yml"
  start jaeger "$BIN/jaeger" --config "$REPO/collector/jaeger.yaml"
  start collector "$BIN/otelcol-faultline" --config "$REPO/collector/otelcol.yaml"
  start prometheus "$BIN/prometheus" --config.file="$WORK/prometheus-smoke.yml" \
    --storage.tsdb.path="$WORK/tsdb" --web.listen-address="127.0.0.1:$PROM" \
    --enable-feature=exemplar-storage
  if [ -f "$REPO/prometheus/alertmanager.yml" ]; then
    start alertmanager "$BIN/alertmanager" --config.file="$REPO/prometheus/alertmanager.yml" \
      --storage.path="$WORK/alertmanager" --web.listen-address="127.0.0.1:$AM" --cluster.listen-address=
    wait_http "http://127.0.0.1:$AM/-/ready" 30 && ok "alertmanager ready" ||
      bad "alertmanager ready" "$(tail -20 "$WORK/alertmanager.log")"
  fi
  wait_http "http://127.0.0.1:$J_HEALTH/" 30 && ok "jaeger healthy" ||
    { bad "jaeger healthy" "$(tail -20 "$WORK/jaeger.log")"; return; }
  wait_http "http://127.0.0.1:$P_HEALTH/" 30 && ok "collector healthy" ||
    { bad "collector healthy" "$(tail -20 "$WORK/collector.log")"; return; }
  wait_http "http://127.0.0.1:$PROM/-/ready" 30 && ok "prometheus ready" ||
    { bad "prometheus ready" "$(tail -20 "$WORK/prometheus.log")"; return; }

  local tid sid now okid
  tid="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  sid="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  okid="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  now="$(date +%s%N)"
  cat >"$WORK/span.json" <<EOF
{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"faultline-smoke"}}]},
 "scopeSpans":[{"scope":{"name":"check-configs"},"spans":[{"traceId":"$tid","spanId":"$sid","name":"GET /smoke",
  "kind":2,"startTimeUnixNano":"$((now - 42000000))","endTimeUnixNano":"$now",
  "attributes":[{"key":"error.type","value":{"stringValue":"dependency_unavailable"}},
   {"key":"faultline.error.category","value":{"stringValue":"dependency"}},
   {"key":"faultline.error.severity","value":{"stringValue":"high"}},
   {"key":"faultline.error.code","value":{"stringValue":"dependency_unavailable"}},
   {"key":"http.response.status_code","value":{"intValue":"502"}},
   {"key":"app.note","value":{"stringValue":"retry with password=hunter2 for bob@example.com"}}],
  "status":{"code":2,"message":"upstream unavailable"}},
  {"traceId":"$okid","spanId":"$sid","name":"GET /smoke","kind":2,
  "startTimeUnixNano":"$((now - 3000000))","endTimeUnixNano":"$now","status":{}}]}]}]}
EOF
  local code
  code="$(curl -sS -o "$WORK/post.out" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data @"$WORK/span.json" "http://127.0.0.1:$P_HTTP/v1/traces")"
  [ "$code" = 200 ] && ok "collector accepted the OTLP/HTTP JSON span" ||
    { bad "collector accepted the OTLP/HTTP JSON span" "HTTP $code $(cat "$WORK/post.out")"; return; }

  if wait_http "http://127.0.0.1:$J_QHTTP/api/v3/traces/$tid" 30; then
    ok "trace $tid in Jaeger /api/v3/traces/{id}"
    local v3
    v3="$(curl -fsS "http://127.0.0.1:$J_QHTTP/api/v3/traces/$tid")"
    if grep -q 'hunter2\|bob@example.com' <<<"$v3"; then
      bad "secrets scrubbed before Jaeger" "$v3"
    else
      ok "secrets scrubbed before Jaeger"
    fi
  else
    bad "trace $tid in Jaeger /api/v3/traces/{id}" "$(tail -20 "$WORK/collector.log")"
  fi
  check "trace $tid in Jaeger /api/traces/{id}" curl -fsS -o /dev/null "http://127.0.0.1:$J_QHTTP/api/traces/$tid"
  # Both traces were decided in the same tail-sampling tick, so the OK one is settled by now.
  code="$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$J_QHTTP/api/v3/traces/$okid")"
  [ "$code" = 404 ] && ok "fast OK trace dropped by tail sampling (Jaeger: 404)" ||
    bad "fast OK trace dropped by tail sampling (Jaeger: 404)" "Jaeger answered $code for $okid"

  local series='traces_span_metrics_calls_total{.*service_name="faultline-smoke".*status_code="STATUS_CODE_ERROR"'
  local i found=0
  for ((i = 0; i < 40; i++)); do
    curl -fsS "http://127.0.0.1:$P_PROMEXP/metrics" >"$WORK/exporter.txt" 2>/dev/null
    grep -Eq "$series" "$WORK/exporter.txt" && { found=1; break; }
    sleep 0.5
  done
  [ "$found" = 1 ] && ok "span metric on the collector's exporter: $(grep -Eo "$series[^}]*\}" "$WORK/exporter.txt" | head -1)" ||
    bad "span metric on the collector's exporter" "$(grep traces_span_metrics "$WORK/exporter.txt" | head -5)"
  grep -Eq 'traces_span_metrics_calls_total\{.*service_name="faultline-smoke".*status_code="STATUS_CODE_UNSET"' "$WORK/exporter.txt" &&
    ok "the dropped OK trace is still counted in span metrics" ||
    bad "the dropped OK trace is still counted in span metrics" "$(grep traces_span_metrics_calls "$WORK/exporter.txt")"

  # Prometheus: the series via honor_labels, and the exemplar pointing back at the trace.
  local q='traces_span_metrics_duration_milliseconds_bucket{service_name="faultline-smoke"}'
  found=0
  for ((i = 0; i < 60; i++)); do
    curl -fsS -G "http://127.0.0.1:$PROM/api/v1/query_exemplars" --data-urlencode "query=$q" \
      --data-urlencode "start=$(($(date +%s) - 300))" --data-urlencode "end=$(($(date +%s) + 60))" \
      >"$WORK/exemplars.json" 2>/dev/null
    grep -q "$tid" "$WORK/exemplars.json" && { found=1; break; }
    sleep 0.5
  done
  [ "$found" = 1 ] && ok "Prometheus stored the exemplar trace_id=$tid" ||
    bad "Prometheus stored the exemplar trace_id=$tid" "$(cat "$WORK/exemplars.json")"
  curl -fsS -G "http://127.0.0.1:$PROM/api/v1/query" \
    --data-urlencode 'query=traces_span_metrics_calls_total{service_name="faultline-smoke",status_code="STATUS_CODE_ERROR"}' \
    >"$WORK/query.json" 2>/dev/null
  grep -q '"job":"faultline-smoke"' "$WORK/query.json" && ok "Prometheus has the series with job/service_name from the resource" ||
    bad "Prometheus has the series with job/service_name from the resource" "$(cat "$WORK/query.json")"

  # Jaeger SPM reads the same series back from Prometheus.
  found=0
  for ((i = 0; i < 20; i++)); do
    curl -fsS "http://127.0.0.1:$J_QHTTP/api/metrics/calls?service=faultline-smoke&spanKind=server&endTs=$(($(date +%s) * 1000 + 60000))&lookback=300000&step=1000&ratePer=60000" \
      >"$WORK/spm.json" 2>/dev/null
    grep -q '"value"' "$WORK/spm.json" && { found=1; break; }
    sleep 1
  done
  [ "$found" = 1 ] && ok "Jaeger SPM /api/metrics/calls reads span metrics from Prometheus" ||
    bad "Jaeger SPM /api/metrics/calls reads span metrics from Prometheus" "$(cat "$WORK/spm.json"; tail -5 "$WORK/jaeger.log")"
}

[ "$SMOKE" = 1 ] && smoke
echo "checks: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
