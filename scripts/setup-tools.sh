#!/usr/bin/env bash
# Installs or builds the pipeline tools the Faultline stack runs, pinned, into a cache outside the
# repo, and reuses them when the stamp says they are current:
#
#   $CACHE/bin/otelcol-faultline  OpenTelemetry Collector built by ocb from collector/builder-config.yaml
#   $CACHE/bin/jaeger             Jaeger v2 built from its Go module (APIs only, no UI bundle)
#   $CACHE/bin/prometheus, promtool, alertmanager, amtool
#                                 links to the Debian bookworm packages (prometheus, prometheus-alertmanager)
#   $CACHE/bin/ocb                the OpenTelemetry Collector Builder
#   $CACHE/bin/victoria-logs      VictoriaLogs (log store, web UI embedded), from its Go module
#   $CACHE/bin/victoria-metrics   VictoriaMetrics single node (long-term remote_write store)
#   $CACHE/bin/telemetrygen       the collector-contrib OTLP load generator (benchmarks)
#   $CACHE/bin/compose-check      tools/compose-check: the real Compose loader (compose-go), no engine
#
# CACHE is ${FAULTLINE_CACHE:-$HOME/.cache/faultline}. Non-interactive; run as root (apt-get) or with
# the Debian packages already installed. Environment:
#   FAULTLINE_GO_PARALLEL  go build -p (default 2: the machines have 2 cores shared with others)
#   FAULTLINE_SKIP_APT=1   never call apt-get (fail if prometheus/alertmanager are missing)
set -euo pipefail

OTELCOL_VERSION=0.161.0            # ocb and every component in collector/builder-config.yaml
JAEGER_MODULE=github.com/jaegertracing/jaeger
JAEGER_MODULE_VERSION=v1.76.0      # the tag of the v1.76.0 / v2.13.0 release commit
JAEGER_RELEASE=v2.13.0
PROMETHEUS_UPSTREAM=2.42.0         # Debian bookworm: prometheus 2.42.0+ds-5+deb12u1
ALERTMANAGER_UPSTREAM=0.25.0       # Debian bookworm: prometheus-alertmanager 0.25.0-1+b4
VICTORIALOGS_VERSION=v1.52.1       # github.com/VictoriaMetrics/VictoriaLogs (Apache-2.0)
VICTORIAMETRICS_VERSION=v1.151.0   # github.com/VictoriaMetrics/VictoriaMetrics (Apache-2.0); newer needs Go 1.27
TELEMETRYGEN_VERSION=v0.161.0      # collector-contrib cmd/telemetrygen, same release as the collector

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$REPO/scripts/env.sh" # FAULTLINE_CACHE and its one default
CACHE="$FAULTLINE_CACHE"
BIN="$CACHE/bin"
STAMPS="$CACHE/stamps"
BUILD="$CACHE/build"
mkdir -p "$BIN" "$STAMPS" "$BUILD"

export GOTOOLCHAIN=local           # build with the machine's Go; never download a toolchain
export GOFLAGS="${GOFLAGS:-} -buildvcs=false -p=${FAULTLINE_GO_PARALLEL:-2}"
export GOMAXPROCS="${GOMAXPROCS:-2}"

T0=$(date +%s)
log() { printf '[setup-tools %3ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
die() { log "ERROR: $*"; exit 1; }

# A stamp records what a cached binary was built from; a different content means rebuild.
stamp_ok() { [ -x "$BIN/$1" ] && [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }

need_go() {
  command -v go >/dev/null 2>&1 || die "Go is needed to build $1 (Go >= 1.25 on PATH)"
}

# ---------------------------------------------------------------- Prometheus, Alertmanager (apt)
upstream_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed -E 's/^[0-9]+://; s/[+~-].*$//'; }

install_debian_packages() {
  local missing=()
  [ "$(upstream_version prometheus)" = "$PROMETHEUS_UPSTREAM" ] || missing+=(prometheus)
  [ "$(upstream_version prometheus-alertmanager)" = "$ALERTMANAGER_UPSTREAM" ] || missing+=(prometheus-alertmanager)
  if [ ${#missing[@]} -eq 0 ]; then
    log "reusing Debian prometheus $(dpkg-query -W -f='${Version}' prometheus), prometheus-alertmanager $(dpkg-query -W -f='${Version}' prometheus-alertmanager)"
  else
    faultline_apt_install "$CACHE/apt.log" prometheus prometheus-alertmanager || die "could not install ${missing[*]}"
    [ "$(upstream_version prometheus)" = "$PROMETHEUS_UPSTREAM" ] ||
      die "prometheus is $(upstream_version prometheus), expected $PROMETHEUS_UPSTREAM (Debian bookworm)"
    [ "$(upstream_version prometheus-alertmanager)" = "$ALERTMANAGER_UPSTREAM" ] ||
      die "prometheus-alertmanager is $(upstream_version prometheus-alertmanager), expected $ALERTMANAGER_UPSTREAM"
  fi
  ln -sfn /usr/bin/prometheus "$BIN/prometheus"
  ln -sfn /usr/bin/promtool "$BIN/promtool"
  ln -sfn /usr/bin/prometheus-alertmanager "$BIN/alertmanager"
  ln -sfn /usr/bin/amtool "$BIN/amtool"
}

# ---------------------------------------------------------------- ocb + collector
build_collector() {
  local manifest="$REPO/collector/builder-config.yaml"
  local want
  want="otelcol=$OTELCOL_VERSION manifest=$(sha256sum "$manifest" | cut -c1-16)"
  if stamp_ok otelcol-faultline "$want"; then
    log "reusing $BIN/otelcol-faultline ($want)"
    return
  fi
  need_go "the collector"
  if stamp_ok ocb "ocb=v$OTELCOL_VERSION"; then
    log "reusing $BIN/ocb v$OTELCOL_VERSION"
  else
    log "installing ocb v$OTELCOL_VERSION"
    local tmp="$BUILD/ocb-install"
    rm -rf "$tmp" && mkdir -p "$tmp"
    GOBIN="$tmp" nice -n 10 go install "go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION" >"$BUILD/ocb-install.log" 2>&1 ||
      { tail -20 "$BUILD/ocb-install.log"; die "go install of ocb failed (log: $BUILD/ocb-install.log)"; }
    mv -f "$tmp/builder" "$BIN/ocb" && rm -rf "$tmp"
    echo "ocb=v$OTELCOL_VERSION" >"$STAMPS/ocb"
  fi

  log "building otelcol-faultline $OTELCOL_VERSION with ocb (a few minutes on a cold machine)"
  local dir="$BUILD/otelcol-faultline"
  local out="$dir/otelcol-faultline"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$manifest" "$dir/builder-config.yaml"
  if ! (cd "$dir" && nice -n 10 "$BIN/ocb" --config builder-config.yaml) >"$dir/ocb.log" 2>&1; then
    # The Go proxy these machines use lacks some modules that only the components' *tests*
    # import (e.g. contrib pkg/golden), and ocb's plain `go mod tidy` gives up on them. tidy -e
    # tolerates them; the build itself never needs them. Strictness is kept by checking that
    # every component resolved to the pinned version, as ocb would.
    grep -q 'failed to update go.mod' "$dir/ocb.log" && [ -f "$out/go.mod" ] ||
      { tail -30 "$dir/ocb.log"; die "ocb failed (log: $dir/ocb.log)"; }
    log "ocb's go mod tidy stopped on test-only modules missing from the proxy; finishing with tidy -e + go build"
    (cd "$out" && go mod tidy -e -compat=1.25) >>"$dir/ocb.log" 2>&1 || { tail -30 "$dir/ocb.log"; die "go mod tidy -e failed"; }
    local mod ver
    while read -r mod ver; do
      grep -qE "^[[:space:]]*$mod $ver( |$)" "$out/go.mod" || die "$mod resolved to another version than $ver (see $out/go.mod)"
    done < <(sed -nE 's/^[[:space:]]*- gomod: ([^ ]+) ([^ ]+).*/\1 \2/p' "$manifest")
    (cd "$out" && nice -n 10 go build -trimpath -ldflags='-s -w' -o otelcol-faultline .) >>"$dir/ocb.log" 2>&1 ||
      { tail -30 "$dir/ocb.log"; die "go build of the collector failed (log: $dir/ocb.log)"; }
  fi
  "$out/otelcol-faultline" --version >/dev/null || die "the built collector does not run"
  mv -f "$out/otelcol-faultline" "$BIN/otelcol-faultline"
  echo "$want" >"$STAMPS/otelcol-faultline"
  log "built $BIN/otelcol-faultline ($("$BIN/otelcol-faultline" --version))"
}

# ---------------------------------------------------------------- Jaeger v2
build_jaeger() {
  local want="jaeger=$JAEGER_RELEASE module=$JAEGER_MODULE@$JAEGER_MODULE_VERSION"
  if stamp_ok jaeger "$want"; then
    log "reusing $BIN/jaeger ($want)"
    return
  fi
  need_go "Jaeger"
  log "building Jaeger $JAEGER_RELEASE from $JAEGER_MODULE@$JAEGER_MODULE_VERSION (a few minutes on a cold machine)"
  # `go install …/cmd/jaeger@version` refuses modules with replace directives, so build inside a
  # copy of the module source fetched through the Go proxy.
  local src
  src="$(cd "$BUILD" && go mod download -json "$JAEGER_MODULE@$JAEGER_MODULE_VERSION" | sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')"
  [ -n "$src" ] && [ -d "$src" ] || die "go mod download of $JAEGER_MODULE@$JAEGER_MODULE_VERSION failed"
  local dir="$BUILD/jaeger-$JAEGER_MODULE_VERSION"
  rm -rf "$dir" && cp -r "$src" "$dir" && chmod -R u+w "$dir"
  local v=github.com/jaegertracing/jaeger/internal/version
  (cd "$dir" && nice -n 10 go build -trimpath \
    -ldflags "-s -w -X $v.latestVersion=$JAEGER_RELEASE -X $v.commitSHA=$JAEGER_MODULE_VERSION" \
    -o "$BIN/jaeger.new" ./cmd/jaeger) >"$BUILD/jaeger-build.log" 2>&1 ||
    { tail -30 "$BUILD/jaeger-build.log"; die "Jaeger build failed (log: $BUILD/jaeger-build.log)"; }
  mv -f "$BIN/jaeger.new" "$BIN/jaeger"
  rm -rf "$dir"
  echo "$want" >"$STAMPS/jaeger"
  log "built $BIN/jaeger"
}

# ---------------------------------------------------------------- plain Go modules
# go_install NAME PACKAGE VERSION: `go install PACKAGE@VERSION` into $BIN/NAME, stamped.
go_install() {
  local name="$1" pkg="$2" version="$3"
  local want="$name=$pkg@$version"
  if stamp_ok "$name" "$want"; then
    log "reusing $BIN/$name ($want)"
    return
  fi
  need_go "$name"
  log "building $name from $pkg@$version"
  local tmp="$BUILD/$name-install"
  rm -rf "$tmp" && mkdir -p "$tmp"
  GOBIN="$tmp" nice -n 10 go install -trimpath -ldflags='-s -w' "$pkg@$version" >"$BUILD/$name-install.log" 2>&1 ||
    { tail -20 "$BUILD/$name-install.log"; die "go install of $pkg@$version failed (log: $BUILD/$name-install.log)"; }
  mv -f "$tmp/$(basename "$pkg")" "$BIN/$name" && rm -rf "$tmp"
  echo "$want" >"$STAMPS/$name"
  log "built $BIN/$name"
}

# compose-check is this repo's own small Go program (tools/compose-check) on compose-go.
build_compose_check() {
  local src="$REPO/tools/compose-check"
  local want
  want="compose-check=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
  if stamp_ok compose-check "$want"; then
    log "reusing $BIN/compose-check ($want)"
    return
  fi
  need_go "compose-check"
  log "building compose-check (compose-go $(sed -nE 's#^[[:space:]]*(require )?github.com/compose-spec/compose-go/v2 ([^ ]+).*#\2#p' "$src/go.mod"))"
  (cd "$src" && nice -n 10 go build -mod=readonly -trimpath -ldflags='-s -w' -o "$BIN/compose-check.new" .) >"$BUILD/compose-check.log" 2>&1 ||
    { tail -20 "$BUILD/compose-check.log"; die "compose-check build failed (log: $BUILD/compose-check.log)"; }
  mv -f "$BIN/compose-check.new" "$BIN/compose-check"
  echo "$want" >"$STAMPS/compose-check"
  log "built $BIN/compose-check"
}

install_debian_packages
build_collector
build_jaeger
go_install victoria-logs github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs "$VICTORIALOGS_VERSION"
go_install victoria-metrics github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics "$VICTORIAMETRICS_VERSION"
go_install telemetrygen github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen "$TELEMETRYGEN_VERSION"
build_compose_check
log "tools ready in $BIN:"
for b in otelcol-faultline jaeger prometheus promtool alertmanager amtool victoria-logs victoria-metrics telemetrygen compose-check; do
  printf '  %-18s %s\n' "$b" "$(readlink -f "$BIN/$b")"
done
