#!/usr/bin/env bash
# A/B of engine library variants on this noisy machine. Each variant gets a Redis of its own with the
# variant loaded once, so the library's state lives across rounds; each round then runs the benchmark's
# mixed flow once on every variant's Redis, one after the other, and the times of all rounds are summed
# per variant, so that the machine's drift (15% within seconds here) meets every variant alike. (Each
# flow starts with FLUSHALL, so order ids restart at 1 every round: a memo keyed by id stays as small as
# one round makes it, unlike in a long make bench.) It tells apart about 5% with 12 rounds here.
# Usage: scripts/engine_ab.sh --dump FILE            writes the library as the engine loads it to FILE
#        scripts/engine_ab.sh [--orders N] [--rounds R] LIBRARY...   (edited copies of such a file)
# Needs a release engine_bench. REDIS_SERVER=path runs another redis-server build.
set -euo pipefail
cd "$(dirname "$0")/.."
orders=50000 rounds=8 dump='' libs=()
while [ $# -gt 0 ]; do
  case $1 in
    --orders) orders=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --dump) dump=$2; shift ;;
    *) libs+=("$1") ;;
  esac
  shift
done
[ -n "$dump" ] || [ ${#libs[@]} -gt 0 ] ||
  { echo "usage: $0 [--orders N] [--rounds R] LIBRARY... | --dump FILE" >&2; exit 2; }
cargo build --release -q -p tools --bin engine_bench
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
start_redis() { # a new scratch redis-server; sets `port` (not run in a subshell: `pids` must be kept)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${REDIS_SERVER:-redis-server}" --port "$port" --save '' --appendonly no >/dev/null 2>&1 &
  pids+=($!)
  until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.2; done
}
# The library as this engine_bench loads it: its name carries the version the binary calls.
start_redis
target/release/engine_bench --flow-only "redis://127.0.0.1:$port" --orders 50 >/dev/null
redis-cli -p "$port" --raw function list libraryname 'exchange_*' withcode |
  awk 'code { print } /^library_code$/ { code = 1 }' >"$work/current.lua"
if [ -n "$dump" ]; then
  cp "$work/current.lua" "$dump"
  echo "library written to $dump"
  exit 0
fi
version() { head -1 "$1" | sed -E 's/.*exchange_([0-9a-f]{16}).*/\1/'; }
ports=()
for lib in "${libs[@]}"; do
  # A variant dumped from an older build is renamed to the version this binary calls.
  sed "s/$(version "$lib")/$(version "$work/current.lua")/g" "$lib" >"$work/variant.lua"
  start_redis
  redis-cli -p "$port" -x function load replace <"$work/variant.lua" >/dev/null
  ports+=("$port")
done
secs=()
for _ in $(seq "$rounds"); do
  for i in "${!libs[@]}"; do
    rate=$(target/release/engine_bench --flow-only "redis://127.0.0.1:${ports[$i]}" --orders "$orders" \
      --keep-library | awk '{ print $3 }')
    secs[$i]=$(awk -v s="${secs[$i]:-0}" -v n="$orders" -v r="$rate" 'BEGIN { print s + n / r }')
  done
done
for i in "${!libs[@]}"; do
  awk -v s="${secs[$i]}" -v n="$orders" -v r="$rounds" -v l="${libs[$i]}" \
    'BEGIN { printf "%s: %.0f orders/s (%d rounds of %d orders)\n", l, n * r / s, r, n }'
done
