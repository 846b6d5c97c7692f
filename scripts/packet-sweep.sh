#!/usr/bin/env bash
# scripts/packet-sweep.sh — how often packet faults alone make the naive copies diverge: runs
# seeds FIRST..FIRST+COUNT-1 of naive + a packet schedule (examples/packet-delay.yaml: delay
# 50 ms ± 10 ms, 20 % reorder on every link), clients beside their copies, and prints how many
# runs were INVALID. Usage: scripts/packet-sweep.sh [COUNT=20] [FIRST=1] [TIME_LIMIT_S=10] [test flags...]
# (default flags: --concurrency 10 --rate 200; 20 of 20 seeds were invalid with them, 2026-12-02).
# DB=raft|viewservice|... (default naive) and NODES (default 2) sweep another system under the same
# schedule: a correct one should come out valid in every seed.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-20}; first=${2:-1}; limit=${3:-10}; shift $(( $# < 3 ? $# : 3 )) || true
if (($# == 0)); then set -- --concurrency 10 --rate 200; fi
store=$(mktemp -d /tmp/splitbrain-packet-sweep-XXXXXX)
trap 'rm -rf "$store"' EXIT
db=${DB:-naive}; nodes=${NODES:-2}
out=$(npm run -s jepsen -- test --db "$db" --nemesis-schedule examples/packet-delay.yaml --partition-clients --nodes "$nodes" \
  --time-limit "$limit" --seed "$first" --test-count "$count" --store "$store" "$@" 2>&1 || true)
# The last line of each run: "<name> seed N: INVALID|valid|unknown <store dir>".
verdicts=$(grep -E "^${db}-[^ ]+ seed [0-9]+: (INVALID|valid|unknown) " <<<"$out" | sed -E 's# /tmp/[^ ]*##' || true)
echo "$verdicts"
invalid=$(grep -c ': INVALID$' <<<"$verdicts" || true)
valid=$(grep -c ': valid$' <<<"$verdicts" || true)
echo "packet sweep ($db, $nodes nodes): $invalid of $count seeds invalid ($valid valid), time limit ${limit}s, flags: $*"
