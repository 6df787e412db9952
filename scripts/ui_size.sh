#!/usr/bin/env bash
# Prints the browser app's compressed size (gzip -9 of the wasm and js trunk built into dist/) and fails
# above the 400 KB budget.
set -euo pipefail
cd "$(dirname "$0")/.."
total=0
for f in dist/*.wasm dist/*.js; do
  size=$(gzip -9c "$f" | wc -c)
  total=$((total + size))
done
echo "UI size: $((total / 1024)) KB compressed (wasm + js), budget 400 KB"
[ "$total" -le $((400 * 1024)) ]
