#!/usr/bin/env bash
# Installs what building, running and testing the exchange needs, skipping whatever is already there:
# redis-server (Debian package), the wasm32 target, trunk and the pinned wasm-bindgen-cli (versions in
# toolchain.env and frontend/Cargo.toml).
# Usage: scripts/prereqs.sh [--test | --docker]   (--test adds what only the tests need; --docker
# installs only what `make test-docker` adds: a Docker engine, docker-compose and debootstrap)
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=../toolchain.env
source toolchain.env
# axe-core, the accessibility checker the browser tests run inside the page (only the tests need it).
AXE_CORE_VERSION=4.10.3
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' frontend/Cargo.toml)
need_test=false
[[ "${1:-}" == "--test" ]] && need_test=true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

apt_install() {
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing $* (apt-get)"
    if [[ ! -f /tmp/.exchange-apt-updated ]]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq && touch /tmp/.exchange-apt-updated
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    say "installing $* (sudo apt-get)"
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "Please install: $* (with your system's package manager), then run this again." >&2
    exit 1
  fi
}

if [[ "${1:-}" == "--docker" ]]; then
  command -v dockerd >/dev/null || apt_install docker.io
  command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || apt_install docker-compose
  command -v debootstrap >/dev/null || apt_install debootstrap
  exit 0
fi

command -v cargo >/dev/null || { echo "Rust is needed: install it from rustup.rs, then run this again." >&2; exit 1; }
command -v redis-server >/dev/null || apt_install redis-server
# The UI's brotli copies (scripts/compress_ui.sh writes them where the command is): optional, so only
# where a package manager can be used without asking.
if ! command -v brotli >/dev/null && command -v apt-get >/dev/null && { [[ $(id -u) -eq 0 ]] || command -v sudo >/dev/null; }; then
  apt_install brotli || say "no brotli command: the UI is served gzip-compressed only"
fi
if $need_test; then
  command -v redis-benchmark >/dev/null || apt_install redis-tools
  command -v wrk >/dev/null || apt_install wrk
  command -v openssl >/dev/null || apt_install openssl
  command -v chromium >/dev/null || apt_install chromium
  command -v chromedriver >/dev/null || apt_install chromium-driver
  command -v luacheck >/dev/null || apt_install lua-check
  # axe-core, the accessibility check the browser tests run inside the page, from the npm registry.
  if [[ ! -f target/axe-core/axe.min.js ]] || ! grep -q "axe v$AXE_CORE_VERSION\$" target/axe-core/axe.min.js; then
    say "fetching axe-core $AXE_CORE_VERSION (npm) for the accessibility test"
    command -v npm >/dev/null || apt_install npm
    mkdir -p target/axe-core
    (cd target/axe-core && npm pack --silent "axe-core@$AXE_CORE_VERSION" >/dev/null &&
      tar -xzf "axe-core-$AXE_CORE_VERSION.tgz" --strip-components=1 package/axe.min.js &&
      rm "axe-core-$AXE_CORE_VERSION.tgz")
  fi
  if ! python3 -c 'import requests, websockets, jsonschema, yaml' 2>/dev/null; then
    say "installing Python packages for the README's examples and the compose file check"
    python3 -m pip install --quiet requests websockets jsonschema pyyaml 2>/dev/null ||
      python3 -m pip install --quiet --break-system-packages requests websockets jsonschema pyyaml
  fi
fi

if ! rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (cargo install, a few minutes the first time)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (cargo install, a few minutes the first time)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked
fi
