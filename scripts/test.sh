#!/usr/bin/env bash
# The test command (README, .ci/run): sets up everything it needs on a new machine (Node 24 and
# pnpm from the npm registry, the pipeline tools, Python gRPC interop peers), reusing caches on a
# warm one, then builds, lints, type-checks, checks the packages' exports, and runs every test
# (unit and end-to-end against the real collector, Jaeger, Prometheus and Alertmanager) on Node 24,
# and the package tests again on Node 22.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
faultline_use_node

stage() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
started=$SECONDS

stage "install (pnpm, frozen lockfile)"
pnpm install --frozen-lockfile

stage "pipeline tools (collector, Jaeger, Prometheus, Alertmanager)"
bash scripts/setup-tools.sh

stage "database servers (PostgreSQL, MariaDB, Redis)"
bash scripts/setup-databases.sh

if [ -f packages/grpc/test/python/setup.sh ]; then
  stage "Python gRPC interop peers (grpcio-status)"
  bash packages/grpc/test/python/setup.sh
fi

stage "build"
pnpm build

stage "lint and types"
pnpm lint
pnpm typecheck

stage "package exports (publint, are-the-types-wrong)"
pnpm check:packages

report_dir="$(mktemp -d)"
trap 'rm -rf "$report_dir"' EXIT

stage "tests on Node $(node --version)"
status=0
pnpm vitest run --reporter=default --reporter=json --outputFile.json="$report_dir/node24.json" || status=$?

stage "package tests on Node $FAULTLINE_NODE22_VERSION"
node22_bin="$(faultline_node_dir "$FAULTLINE_NODE22_VERSION")"
PATH="$node22_bin:$PATH" pnpm vitest run --project unit --reporter=default --reporter=json \
  --outputFile.json="$report_dir/node22.json" || status=$?

node scripts/test-summary.mjs "$report_dir"/node24.json "$report_dir"/node22.json || status=$?
echo "test.sh finished in $((SECONDS - started)) s"
exit "$status"
