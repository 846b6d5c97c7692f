#!/usr/bin/env bash
# scripts/docker-setup.sh — make a Docker engine answer on this machine (for `--cluster docker`).
#
# On a fresh Debian machine, as root: installs docker.io (and iptables, which dockerd and the
# node images need) from Debian's packages when `docker` or `dockerd` is missing, starts dockerd
# in the background when none answers (log: $SPLITBRAIN_DOCKERD_LOG, default
# /var/log/splitbrain-dockerd.log), falling back to the vfs storage driver when the default
# (overlay2) fails, and waits until `docker info` answers. Idempotent: a second run that finds
# a working engine does nothing. With DOCKER_HOST set to a remote engine it only waits for it.
set -euo pipefail

LOG="${SPLITBRAIN_DOCKERD_LOG:-/var/log/splitbrain-dockerd.log}"
WAIT_S="${SPLITBRAIN_DOCKERD_WAIT_S:-60}"

say() { echo "docker-setup: $*" >&2; }

answers() { timeout 10 docker info >/dev/null 2>&1; }

# wait_answer SECONDS PID: true once `docker info` answers; false on timeout or when PID died.
wait_answer() {
  local limit="$1" pid="${2:-}" i
  for ((i = 0; i < limit * 2; i++)); do
    if answers; then return 0; fi
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.5
  done
  return 1
}

if command -v docker >/dev/null 2>&1 && answers; then
  say "docker engine already answers"
  exit 0
fi

if [[ -n "${DOCKER_HOST:-}" && "${DOCKER_HOST}" != unix://* ]]; then
  say "DOCKER_HOST=${DOCKER_HOST} is remote: waiting for it (nothing to install here)"
  command -v docker >/dev/null 2>&1 || { say "no docker client installed"; exit 1; }
  wait_answer "$WAIT_S" && exit 0
  say "remote engine did not answer within ${WAIT_S}s"; exit 1
fi

if [[ "$(id -u)" != 0 ]]; then
  say "not root: cannot install or start dockerd; run as root"; exit 1
fi

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker >/dev/null 2>&1 || need+=(docker.io)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
if ((${#need[@]} > 0)); then
  say "installing ${need[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
fi

# The Debian package's docker client may sit behind another one (e.g. /usr/local/bin/docker);
# both speak to the same socket, so either is fine.
start_dockerd() {
  mkdir -p "$(dirname "$LOG")"
  say "starting dockerd $* (log: $LOG)"
  nohup dockerd "$@" >>"$LOG" 2>&1 </dev/null &
  DOCKERD_PID=$!
}

DOCKERD_PID=""
start_dockerd
if wait_answer "$WAIT_S" "$DOCKERD_PID"; then
  say "dockerd answers (pid $DOCKERD_PID)"
  exit 0
fi
say "dockerd with the default storage driver did not come up; retrying with --storage-driver vfs"
if [[ -n "$DOCKERD_PID" ]] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
  kill "$DOCKERD_PID" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
fi
rm -f /var/run/docker.pid
start_dockerd --storage-driver vfs
if wait_answer "$WAIT_S" "$DOCKERD_PID"; then
  say "dockerd answers with vfs (pid $DOCKERD_PID)"
  exit 0
fi
say "dockerd did not answer within ${WAIT_S}s; last log lines:"
tail -n 30 "$LOG" >&2 || true
exit 1
