#!/usr/bin/env bash
# Counts the instructions Redis executes per order of the engine benchmark's mixed flow, under
# valgrind's callgrind: unlike a timing, the count is the same from run to run, whatever else the
# machine is doing, so it shows a script change's effect on Redis's cost exactly.
# Usage: scripts/engine_profile.sh [ORDERS] [--yardstick] [--cache] [--warm N] (default 20000 orders of
# the engine); --warm N first runs N orders of the flow uncounted (valgrind without instrumentation,
# about 10 times faster), so that the count is of a long run's steady state: its keys, the library's
# memo of names and Lua's heap as they are after N orders (not with --cache);
# needs valgrind and a release engine_bench. --yardstick profiles the yardstick's flow instead; --cache
# also simulates the caches (cachegrind: data reads and writes that miss the first-level and the
# last-level cache, per order; the memory traffic a count of instructions does not show).
# Leaves the profile in target/profile/callgrind.out (cachegrind.out) for `callgrind_annotate`
# (`cg_annotate`). REDIS_SERVER=path runs another redis-server build (one built from source with
# symbols shows where the time goes by function).
set -euo pipefail
cd "$(dirname "$0")/.."
orders=20000 flow=() tool=callgrind warm=0
while [ $# -gt 0 ]; do
  case $1 in
    --yardstick) flow=(--yardstick) ;;
    --cache) tool=cachegrind ;;
    --warm) warm=$2; shift ;;
    *) orders=$1 ;;
  esac
  shift
done
[ "$warm" -gt 0 ] && [ $tool = cachegrind ] && { echo "--warm works with callgrind only" >&2; exit 2; }
out=target/profile
mkdir -p "$out"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cargo build --release -q -p tools --bin engine_bench
options=(--tool=callgrind --callgrind-out-file="$out/callgrind.out" --instr-atstart=$([ "$warm" -gt 0 ] && echo no || echo yes))
[ $tool = cachegrind ] && options=(--tool=cachegrind --cache-sim=yes --cachegrind-out-file="$out/cachegrind.out")
valgrind "${options[@]}" \
  "${REDIS_SERVER:-redis-server}" --port "$port" --save '' --appendonly no >"$out/redis.log" 2>&1 &
vg=$!
trap 'kill $vg 2>/dev/null || true' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.5; done
if [ "$warm" -gt 0 ]; then
  target/release/engine_bench --flow-only "redis://127.0.0.1:$port" --orders "$warm" "${flow[@]}" >/dev/null
  callgrind_control --instr=on $vg >/dev/null
  flow+=(--keep-data --keep-library)
fi
target/release/engine_bench --flow-only "redis://127.0.0.1:$port" --orders "$orders" "${flow[@]}"
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
wait $vg || true
if [ $tool = cachegrind ]; then
  # Events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw.
  cg_annotate "$out/cachegrind.out" 2>/dev/null | awk -v n="$orders" '/PROGRAM TOTALS/ {
    for (i = 1; i <= 9; i++) { v[i] = $(2 * i - 1); gsub(",", "", v[i]) } # each count has its share beside it
    printf "Redis per order: %d instructions (%.0f miss L1), %d data reads (%.0f miss L1, %.1f miss LL), %d data writes (%.0f miss L1, %.1f miss LL)\n",
      v[1] / n, v[2] / n, v[4] / n, v[5] / n, v[6] / n, v[7] / n, v[8] / n, v[9] / n }'
else
  total=$(callgrind_annotate "$out/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  echo "Redis instructions per order: $((total / orders)) ($total in all, $orders orders after $warm uncounted)"
fi
