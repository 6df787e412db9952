#!/usr/bin/env bash
# Counts the Lua memory the engine's place_orders allocates per order on the benchmark's mixed flow:
# the garbage Lua's collector must later mark and sweep, which costs Redis more on a machine whose
# caches are busy than a count of instructions shows. Loads a copy of the engine's library with the
# collector stopped and `collectgarbage('count')` taken around each place_orders call, runs the flow,
# and prints the bytes per order and per call. The count is the same from run to run.
# Usage: scripts/engine_alloc.sh [ORDERS] [LIBRARY] (default 50000 orders; the stopped collector keeps
# every byte, so Redis grows by about 1.5 KB per order); LIBRARY counts a library file written by
# `scripts/engine_ab.sh --dump` (an older engine, say) instead of this one. Needs a release engine_bench.
set -euo pipefail
cd "$(dirname "$0")/.."
orders=${1:-50000} library=${2:-}
cargo build --release -q -p tools --bin engine_bench
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --save '' --appendonly no >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.2; done
# The library as the engine loads it, then the copy: place_orders' body runs as an inner function
# between two counts (the collector stopped first: Lua's library functions are not there while a
# library loads), and `alloc_stats` reads the totals.
target/release/engine_bench --flow-only "redis://127.0.0.1:$port" --orders 50 >/dev/null
redis-cli -p "$port" --raw function list libraryname 'exchange_*' withcode |
  awk 'code { print } /^library_code$/ { code = 1 }' >"$work/current.lua"
if [ -n "$library" ]; then # renamed to the version this binary calls
  version() { head -1 "$1" | sed -E 's/.*exchange_([0-9a-f]{16}).*/\1/'; }
  sed "s/$(version "$library")/$(version "$work/current.lua")/g" "$library" >"$work/given.lua"
  mv "$work/given.lua" "$work/current.lua"
fi
python3 - "$work/current.lua" >"$work/counted.lua" <<'EOF'
import re, sys
code = open(sys.argv[1]).read()
head, rest = code.split("\n", 1)
start = re.search(r"function_name = 'place_orders_[0-9a-f]+', flags = \{\}, callback = function\(keys, args\)\n", rest)
end = rest.index("\nend}\n", start.end())
body = rest[start.end():end]
counted = ("collectgarbage('stop')\nlocal t0 = collectgarbage('count')\n"
           "local r = (function()\n" + body + "\nend)()\n"
           "alloc_kb, alloc_calls, alloc_orders = alloc_kb + collectgarbage('count') - t0, alloc_calls + 1,"
           " alloc_orders + #args - 6\nreturn r")
lib = ("local alloc_kb, alloc_calls, alloc_orders = 0, 0, 0\n" + rest[:start.end()]
       + counted + rest[end:] + "\nredis.register_function{function_name = 'alloc_stats', flags = {'no-writes'},"
       " callback = function() return string.format('%.0f %d %d', alloc_kb * 1024, alloc_calls, alloc_orders) end}\n")
print(head + "\n" + lib)
EOF
loaded=$(redis-cli -p "$port" -x function load replace <"$work/counted.lua")
[[ $loaded == exchange_* ]] || { echo "the counting copy did not load: $loaded" >&2; exit 1; }
target/release/engine_bench --flow-only "redis://127.0.0.1:$port" --orders "$orders" --keep-library
read -r bytes calls placed < <(redis-cli -p "$port" --raw fcall_ro alloc_stats 0)
awk -v b="$bytes" -v c="$calls" -v o="$placed" 'BEGIN {
  printf "place_orders allocated %.0f B of Lua memory per order, %.0f B per call (%d orders in %d calls)\n",
    b / o, b / c, o, c }'
