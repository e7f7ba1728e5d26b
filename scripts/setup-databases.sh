#!/usr/bin/env bash
# Installs the database servers that the tests start on loopback (test/support/servers.ts), from
# Debian bookworm's packages:
#
#   postgresql (15)  initdb, postgres, pg_isready, psql   under /usr/lib/postgresql/15/bin
#   mariadb-server   mariadb-install-db, mariadbd, mariadb-admin, mariadb
#   redis-server     redis-server, redis-cli
#
# The tests never use the system services these packages set up: each test starts its own server
# on a free port with a temporary data dir. So service starts are forbidden during the install, and
# any Debian service found running afterwards is stopped and disabled.
#
# Idempotent: when every package is installed (dpkg-query) it only checks the services and exits.
# Non-interactive; run as root. Logs apt's output to $CACHE/apt-databases.log, CACHE being
# ${FAULTLINE_CACHE:-$HOME/.cache/faultline}. Environment:
#   FAULTLINE_SKIP_APT=1   never call apt-get (fail if a package is missing)
set -euo pipefail

PACKAGES=(postgresql postgresql-client mariadb-server mariadb-client redis-server redis-tools)
PG_MAJOR=15

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh" # FAULTLINE_CACHE and its one default
CACHE="$FAULTLINE_CACHE"
mkdir -p "$CACHE"
LOG="$CACHE/apt-databases.log"

T0=$(date +%s)
log() { printf '[setup-databases %3ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
die() { log "ERROR: $*"; exit 1; }

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then
    log "reusing Debian postgresql-$PG_MAJOR $(dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR"), mariadb-server $(dpkg-query -W -f='${Version}' mariadb-server), redis-server $(dpkg-query -W -f='${Version}' redis-server)"
    return
  fi
  faultline_apt_install "$LOG" "${missing[@]}" || die "could not install ${missing[*]}"
  for p in "${PACKAGES[@]}"; do installed "$p" || die "$p is still not installed (log: $LOG)"; done
  log "installed (log: $LOG)"
}

# Stops and disables the system instances the packages may have started (the Debian cluster
# 15/main, the mariadb and redis-server init services); the test servers are left alone.
stop_system_services() {
  local stopped=()
  if command -v pg_lsclusters >/dev/null 2>&1; then
    local ver name status
    while read -r ver name _ status _; do
      [ "$status" = online ] || [ "$status" = "online,recovery" ] || continue
      pg_ctlcluster "$ver" "$name" stop -m fast && stopped+=("postgresql $ver/$name")
    done < <(pg_lsclusters --no-header 2>/dev/null || true)
    # The cluster must not come back with the init script.
    local conf
    for conf in /etc/postgresql/*/*/start.conf; do
      [ -f "$conf" ] && [ "$(grep -v '^#' "$conf" | tr -d '[:space:]')" != disabled ] && echo disabled >"$conf"
    done
  fi
  if [ -s /run/mysqld/mysqld.pid ] && kill -0 "$(cat /run/mysqld/mysqld.pid)" 2>/dev/null; then
    /etc/init.d/mariadb stop >/dev/null && stopped+=(mariadb)
  fi
  if [ -s /run/redis/redis-server.pid ] && kill -0 "$(cat /run/redis/redis-server.pid)" 2>/dev/null; then
    /etc/init.d/redis-server stop >/dev/null && stopped+=(redis-server)
  fi
  local svc
  for svc in postgresql mariadb redis-server; do
    [ -e "/etc/init.d/$svc" ] || continue
    if [ -d /run/systemd/system ]; then
      systemctl disable --now "$svc" >/dev/null 2>&1 || true
    else
      update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  done
  if [ ${#stopped[@]} -gt 0 ]; then log "stopped system services: ${stopped[*]}"; fi
}

check_binaries() {
  local b
  for b in "/usr/lib/postgresql/$PG_MAJOR/bin/initdb" "/usr/lib/postgresql/$PG_MAJOR/bin/postgres" \
    "/usr/lib/postgresql/$PG_MAJOR/bin/pg_isready" "/usr/lib/postgresql/$PG_MAJOR/bin/psql" \
    /usr/bin/mariadb-install-db /usr/sbin/mariadbd /usr/bin/mariadb-admin /usr/bin/mariadb \
    /usr/bin/redis-server /usr/bin/redis-cli; do
    [ -x "$b" ] || die "$b is missing after the install"
  done
  id postgres >/dev/null 2>&1 || die "the postgres user is missing"
  id mysql >/dev/null 2>&1 || die "the mysql user is missing"
}

install_packages
stop_system_services
check_binaries
log "database servers ready: $("/usr/lib/postgresql/$PG_MAJOR/bin/postgres" --version), $(/usr/sbin/mariadbd --version | sed -E 's/ +/ /g'), $(/usr/bin/redis-server --version | cut -d' ' -f1-3)"
