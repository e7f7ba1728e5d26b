#!/usr/bin/env bash
# Validates the pipeline configs with the pinned tools from scripts/setup-tools.sh, without
# running anything (running the pipeline is @faultline/stack's job: `faultline-stack up`, and its
# end-to-end tests, packages/stack/test/pipeline.e2e.test.ts):
#   - otelcol-faultline validate: collector/otelcol.yaml (loopback defaults and compose-like env)
#   - the collector starting on it (OS-chosen ports, no backend) until "Everything is ready": what
#     `validate` does not check, such as the tail sampler's OTTL conditions, compiled at start
#   - jaeger validate: collector/jaeger.yaml
#   - promtool check config: prometheus/prometheus.yml as written (compose), and as @faultline/stack
#     renders it for loopback (`faultline-stack render-prometheus`)
#   - amtool check-config: prometheus/alertmanager.yml
# Tools are found the way the stack finds them (`faultline-stack which`); missing ones are
# installed first (scripts/setup-tools.sh) unless FAULTLINE_NO_SETUP=1. FAULTLINE_CHECK_KEEP=1
# keeps the work dir (rendered config).
# Prints "checks: N passed, N failed" last; exits non-zero when a check failed.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$REPO/scripts/env.sh"
faultline_use_node || exit 1
PASSED=0
FAILED=0

ok() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$1"; }
bad() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     /' | tail -25; }
check() { # check NAME CMD...: runs CMD, passes on exit 0, shows its output otherwise
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then ok "$name"; else bad "$name" "$out"; fi
}

[ -f "$REPO/packages/stack/dist/cli.js" ] || pnpm --dir "$REPO" --filter @faultline/stack build >/dev/null || exit 1
stack() { node "$REPO/packages/stack/bin/faultline-stack.mjs" "$@"; }

declare -A TOOL
for t in collector jaeger promtool amtool; do
  if ! TOOL[$t]="$(stack which "$t" 2>/dev/null)"; then
    [ "${FAULTLINE_NO_SETUP:-}" = 1 ] && { echo "missing $t (run scripts/setup-tools.sh)" >&2; exit 1; }
    bash "$REPO/scripts/setup-tools.sh" || exit 1
    TOOL[$t]="$(stack which "$t")" || exit 1
  fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/faultline-check.XXXXXX")"
cleanup() { if [ "${FAULTLINE_CHECK_KEEP:-}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

check "collector config validates (loopback defaults)" \
  "${TOOL[collector]}" validate --config "$REPO/collector/otelcol.yaml"
check "collector config validates (compose env, logs also to the debug exporter)" \
  env FAULTLINE_BIND_HOST=0.0.0.0 FAULTLINE_JAEGER_OTLP_ENDPOINT=jaeger:14317 \
  FAULTLINE_COLLECTOR_LOGS_EXPORTERS='[otlp_http/victorialogs, debug]' FAULTLINE_VICTORIALOGS_URL=http://victorialogs:9428 \
  "${TOOL[collector]}" validate --config "$REPO/collector/otelcol.yaml"
collector_starts() { # runs the collector on ports the OS picks, stops it once ready (10 s at most)
  local log="$WORK/collector-start.log" pid i
  env FAULTLINE_COLLECTOR_OTLP_GRPC_PORT=0 FAULTLINE_COLLECTOR_OTLP_HTTP_PORT=0 \
    FAULTLINE_COLLECTOR_HEALTH_PORT=0 FAULTLINE_COLLECTOR_ZPAGES_PORT=0 \
    FAULTLINE_COLLECTOR_PROMETHEUS_PORT=0 FAULTLINE_COLLECTOR_TELEMETRY_PORT=0 \
    FAULTLINE_JAEGER_OTLP_ENDPOINT=127.0.0.1:1 FAULTLINE_VICTORIALOGS_URL=http://127.0.0.1:1 \
    "${TOOL[collector]}" --config "$REPO/collector/otelcol.yaml" >"$log" 2>&1 &
  pid=$!
  for i in $(seq 1 50); do
    if grep -q 'Everything is ready' "$log"; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  grep -iE 'error|panic' "$log" | tail -5
  return 1
}
check "collector starts with its config (tail-sampling conditions compile)" collector_starts
check "jaeger config validates" "${TOOL[jaeger]}" validate --config "$REPO/collector/jaeger.yaml"
check "prometheus.yml (compose) passes promtool" "${TOOL[promtool]}" check config "$REPO/prometheus/prometheus.yml"
if stack render-prometheus "$WORK/prometheus.yml" >"$WORK/render.log" 2>&1; then
  echo '[]' >"$WORK/services.json"
  check "prometheus.yml (rendered for loopback) passes promtool" \
    "${TOOL[promtool]}" check config "$WORK/prometheus.yml"
else
  bad "prometheus.yml (rendered for loopback) passes promtool" "$(cat "$WORK/render.log")"
fi
check "alertmanager.yml passes amtool" "${TOOL[amtool]}" check-config "$REPO/prometheus/alertmanager.yml"

echo "checks: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
