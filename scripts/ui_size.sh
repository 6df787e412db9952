#!/usr/bin/env bash
# Prints the browser app's compressed size (gzip -9 of the wasm and js trunk built into dist/) and fails
# above the 400 KB budget; and the size of the brotli copies served where a browser takes them.
set -euo pipefail
cd "$(dirname "$0")/.."
total=0
for f in dist/*.wasm dist/*.js; do
  size=$(gzip -9c "$f" | wc -c)
  total=$((total + size))
done
# (The brotli copies compress_ui.sh wrote, which browsers are sent when they take them.)
br=0
for f in dist/*.wasm.br dist/*.js.br; do
  [ -f "$f" ] && br=$((br + $(wc -c < "$f")))
done
echo "UI size: $((total / 1024)) KB compressed (wasm + js), budget 400 KB; brotli copies $((br / 1024)) KB"
[ "$total" -le $((400 * 1024)) ]
