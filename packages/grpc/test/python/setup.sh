#!/usr/bin/env bash
# Prepares the Python side of the gRPC interop tests: a virtualenv with grpcio, grpcio-status and
# grpcio-tools (pinned in requirements.txt) under the Faultline cache, outside the repo.
# Idempotent and fast when warm: a stamp (hash of requirements.txt and the interpreter version)
# says the venv is complete, so a warm run starts no Python and asks no registry.
# Prints the venv's python path on stdout (the last line); logs go to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${FAULTLINE_CACHE:-$HOME/.cache/faultline}"
venv="$cache/pyenv"
requirements="$here/requirements.txt"
python="${FAULTLINE_PYTHON:-python3}"

log() { printf '[faultline:pyenv] %s\n' "$*" >&2; }

stamp_value() {
  local version
  version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
  printf '%s python-%s\n' "$(sha256sum "$requirements" | cut -d' ' -f1)" "$version"
}

# Warm path first, without starting the interpreter: the stamp records which interpreter built it.
if [ -x "$venv/bin/python" ] && [ -f "$venv/.faultline-stamp" ] && [ -f "$venv/.faultline-python" ] &&
  [ "$(cut -d' ' -f1 "$venv/.faultline-stamp")" = "$(sha256sum "$requirements" | cut -d' ' -f1)" ] &&
  [ "$(cat "$venv/.faultline-python")" = "$(command -v "$python" || true)" ]; then
  printf '%s\n' "$venv/bin/python"
  exit 0
fi

command -v "$python" >/dev/null || { log "no $python on PATH: install Python 3.9+ or set FAULTLINE_PYTHON"; exit 1; }
"$python" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 9) else 1)' ||
  { log "$python is older than 3.9 or has no venv module; set FAULTLINE_PYTHON to a newer one"; exit 1; }

mkdir -p "$cache"
# Test files start in parallel: one builds, the others wait for it and then take the warm path.
exec 9>"$cache/pyenv.lock"
flock 9
want="$(stamp_value)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.faultline-stamp" 2>/dev/null)" = "$want" ]; then
  command -v "$python" >"$venv/.faultline-python"
  printf '%s\n' "$venv/bin/python"
  exit 0
fi

log "building $venv ($(tr '\n' ' ' <"$requirements" | grep -o '[a-z_-]*==[0-9.]*' | tr '\n' ' '))"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check -r "$requirements" >&2
"$venv/bin/python" -c 'import grpc, grpc_status, grpc_tools.protoc, google.rpc.error_details_pb2' >&2
printf '%s\n' "$want" >"$venv/.faultline-stamp"
command -v "$python" >"$venv/.faultline-python"
log "ready"
printf '%s\n' "$venv/bin/python"
