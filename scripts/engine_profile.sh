#!/usr/bin/env bash
# Counts the instructions Redis executes per order of the engine benchmark's mixed flow, under
# valgrind's callgrind: unlike a timing, the count is the same from run to run, whatever else the
# machine is doing, so it shows a script change's effect on Redis's cost exactly.
# Usage: scripts/engine_profile.sh [ORDERS] (default 20000); needs valgrind and a release engine_bench.
# Leaves the profile in target/profile/callgrind.out for `callgrind_annotate`. REDIS_SERVER=path runs
# another redis-server build (one built from source with symbols shows where the time goes by function).
set -euo pipefail
cd "$(dirname "$0")/.."
orders=${1:-20000}
out=target/profile
mkdir -p "$out"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cargo build --release -q -p backend --bin engine_bench
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
  "${REDIS_SERVER:-redis-server}" --port "$port" --save '' --appendonly no >"$out/redis.log" 2>&1 &
vg=$!
trap 'kill $vg 2>/dev/null || true' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.5; done
target/release/engine_bench --flow-only "redis://127.0.0.1:$port" --orders "$orders"
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
wait $vg || true
total=$(callgrind_annotate "$out/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "Redis instructions per order: $((total / orders)) ($total in all, $orders orders)"
