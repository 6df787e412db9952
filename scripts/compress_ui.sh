#!/usr/bin/env bash
# Writes a gzip copy (and a brotli one, where the `brotli` command is installed) beside each of the
# UI's wasm and js files in dist/: the backend serves them to browsers that take them
# (backend/src/http/ui.rs), so the module travels compressed without compressing it per request.
set -euo pipefail
cd "$(dirname "$0")/.."
for f in dist/*.wasm dist/*.js; do
  gzip -9 -k -f "$f"
  if command -v brotli >/dev/null; then
    brotli -q 11 -k -f "$f"
  fi
done
