#!/usr/bin/env bash
# Where the engine's Lua spends Redis's time, function by function and line by line: the benchmark's
# mixed flow run on a Redis built with scripts/redis-luaprof.patch, which times every Lua VM
# instruction with rdtsc (x86-64) while a flag file exists (callgrind counts Redis's C functions, not
# which line of the library made them work). The hook makes Redis several times slower and disturbs its
# caches: compare lines with each other, then confirm a change with scripts/engine_profile.sh
# (instructions) or scripts/engine_ab.sh (time). docs/engine-performance.md has what it found.
# Usage: REDIS_SRC=DIR scripts/engine_line_profile.sh [ORDERS] [LINES]
#   DIR: a Redis 7.0 source tree, left unchanged (copied, patched and built once into target/luaprof/);
#   Debian's, with its build's libraries: add a deb-src line to apt's sources, then
#     apt-get source redis && apt-get install libjemalloc-dev liblua5.1-0-dev lua-cjson-dev \
#       lua-bitop-dev libhiredis-dev
#   (REDIS_MAKE_ARGS, default `USE_SYSTEM_JEMALLOC=yes BUILD_TLS=no`: plain `BUILD_TLS=no` for upstream's).
#   ORDERS: the flow's orders profiled (default 5000), after as many uncounted; LINES: lines listed.
set -euo pipefail
cd "$(dirname "$0")/.."
orders=${1:-5000} lines=${2:-60}
out=$PWD/target/luaprof
server=$out/redis/src/redis-server
if [ ! -x "$server" ]; then
  [ -d "${REDIS_SRC:-}" ] || { echo "set REDIS_SRC to a Redis 7.0 source tree (see the usage above)" >&2; exit 2; }
  rm -rf "$out/redis" && mkdir -p "$out" && cp -r "$REDIS_SRC" "$out/redis"
  patch -d "$out/redis" -p1 < scripts/redis-luaprof.patch
  # shellcheck disable=SC2086 # (the arguments are words)
  make -C "$out/redis" -j2 OPTIMIZATION=-O2 CFLAGS=-g ${REDIS_MAKE_ARGS:-USE_SYSTEM_JEMALLOC=yes BUILD_TLS=no} >"$out/build.log"
fi
scripts/engine_ab.sh --dump "$out/library.lua" >/dev/null # (builds engine_bench too)
export LUAPROF_FLAG=$out/on LUAPROF_OUT=$out/profile.txt
rm -f "$LUAPROF_FLAG" "$LUAPROF_OUT"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$server" --port "$port" --save '' --appendonly no >"$out/redis.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$LUAPROF_FLAG"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.2; done
url=redis://127.0.0.1:$port
target/release/engine_bench --flow-only "$url" --orders "$orders" >/dev/null
touch "$LUAPROF_FLAG"
target/release/engine_bench --flow-only "$url" --orders "$orders" --keep-data --keep-library
rm -f "$LUAPROF_FLAG"
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
wait $pid || true
scripts/engine_line_profile.py "$out/library.lua" "$LUAPROF_OUT" "$orders" "$lines"
