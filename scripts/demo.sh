#!/usr/bin/env bash
# `make demo`: the exchange plus a small market (a market maker and a taker trading through the API).
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-8000}"
# The faucet is on: visitors of the demo take test funds from the screen. The bots are funded by admin
# deposits, as an operator funds users: with a token made for this run unless one is set.
export ADMIN_TOKEN="${ADMIN_TOKEN:-demo-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"
FAUCET="${FAUCET:-true}" ./target/release/backend &
backend=$!
trap 'kill $backend 2>/dev/null; wait $backend 2>/dev/null' EXIT INT TERM
./target/release/demo_bot "http://127.0.0.1:${port}"
