#!/usr/bin/env bash
# scripts/redis-setup.sh — install redis-server and redis-sentinel (Debian) for --db redis-sentinel, if missing.
# Idempotent: a second run with both present does nothing. Needs root (apt-get).
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
if ((${#missing[@]} == 0)); then
  echo "redis-setup: $(redis-server --version | cut -d' ' -f1-3) and redis-sentinel present"
  exit 0
fi
echo "redis-setup: apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The packages' own services are not needed (each test starts its own servers on free ports).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
fi
trap '[[ $made_policy == 1 ]] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v redis-server >/dev/null && command -v redis-sentinel >/dev/null
echo "redis-setup: $(redis-server --version | cut -d' ' -f1-3) installed"
