#!/usr/bin/env bash
# Faultline in one command, from a fresh clone:
#
#   bash scripts/demo.sh [--duration S] [--rps N] [--keep] [--mix SPEC] [--crash-at S] [--outage-at S] [--console]
#
# Sets up (Node 24 + pnpm, dependencies, pipeline tools, build), starts the local pipeline
# (collector, Jaeger, VictoriaLogs, Prometheus, Alertmanager on loopback), the demo services (gateway → worker
# over gRPC, gateway → inventory over HTTP, each under `--require @faultline/node/register`), runs a
# bounded load with injected faults, and prints where to look. Everything stops by itself at the
# end (or at Ctrl-C with --keep). FAULTLINE_DEMO_SKIP_SETUP=1 skips install, tools and build on
# reruns. Fault knobs for the services (WORKER_FAULT, INVENTORY_FAULT, GATEWAY_*) pass through:
# see packages/demo/README.md.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
# shellcheck source=scripts/env.sh
source scripts/env.sh
faultline_use_node

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
mkdir -p .run

case " $* " in
  *" --help "* | *" -h "*)
    FAULTLINE_DEMO_SKIP_SETUP=1 ;;
esac

if [ "${FAULTLINE_DEMO_SKIP_SETUP:-}" != 1 ]; then
  step "dependencies (pnpm install --frozen-lockfile)"
  # One install at a time on a shared machine (flock where it exists).
  if command -v flock >/dev/null 2>&1; then
    flock /tmp/faultline-pnpm.lock pnpm install --frozen-lockfile
  else
    pnpm install --frozen-lockfile
  fi

  step "pipeline tools (scripts/setup-tools.sh; cached after the first run)"
  if ! bash scripts/setup-tools.sh 2>&1 | tee .run/setup-tools.log | tail -n 5; then
    echo "!! scripts/setup-tools.sh failed (log: .run/setup-tools.log): the demo runs WITHOUT the pipeline, with console exporters."
  fi

  step "build (pnpm build)"
  if ! pnpm build >.run/build.log 2>&1; then
    tail -n 30 .run/build.log
    echo "!! pnpm build failed (log: .run/build.log)"
    exit 1
  fi
  echo "built (log: .run/build.log)"
fi

# exec: Ctrl-C reaches the demo directly, which stops every process it started.
exec node packages/demo/dist/run.js "$@"
