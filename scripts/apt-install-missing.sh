#!/usr/bin/env bash
# scripts/apt-install-missing.sh WHO NEED... — installs the Debian packages of whichever needs are
# missing. A NEED is cmd:COMMAND=PACKAGE (a command on PATH), pc:MODULE=PACKAGE (a pkg-config
# module) or c-build (gcc, make and pkg-config, for the project's C programs in native/).
# Nothing missing is a no-op; otherwise it needs root, else exits 3 naming WHO.
set -euo pipefail
who=$1; shift
missing=()
for need in "$@"; do
  case $need in
    c-build) for c in gcc make pkg-config; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done ;;
    cmd:*=*) spec=${need#cmd:}; command -v "${spec%%=*}" >/dev/null 2>&1 || missing+=("${spec#*=}") ;;
    pc:*=*) spec=${need#pc:}; pkg-config --exists "${spec%%=*}" 2>/dev/null || missing+=("${spec#*=}") ;;
    *) echo "apt-install-missing: bad need $need (expected c-build, cmd:COMMAND=PACKAGE or pc:MODULE=PACKAGE)" >&2; exit 3 ;;
  esac
done
((${#missing[@]} > 0)) || exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "$who: missing ${missing[*]}; run as root (or apt-get install ${missing[*]})" >&2
  exit 3
fi
echo "== apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
