# The two commands of the quick start: `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: run demo test test-docker ui prereqs test-prereqs bench soak attack screenshots

## Runs the whole stack: installs what is missing, builds the UI, starts Redis (embedded unless
## REDIS_URL or REDIS_HOST is set) and the backend, and prints the URL to open.
run: prereqs ui
	cargo build --release -p backend
	FAUCET=$${FAUCET:-true} ./target/release/backend

## The whole stack plus a demo market: a market maker and a taker trading through the public API.
demo: prereqs ui
	cargo build --release -p backend -p tools --bin backend --bin demo_bot
	scripts/demo.sh

## Every test: formatting, lints (Rust and the Lua library), unit and integration tests (each against
## the Redis deployments it names: its own redis-server, Cluster or Sentinels), the browser tests, the
## README's examples, the compose file and the benchmarks' smoke run.
test: test-prereqs ui
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
	scripts/ui_size.sh
	cargo test --workspace --exclude frontend
	cargo test -p frontend
	cargo build --release -p backend -p tools
	python3 scripts/readme_examples.py
	python3 scripts/check_compose.py target/release/backend
	python3 scripts/bench.py --quick

## The compose stack built and run for real (scripts/docker_test.py): a Docker engine started if none
## answers, stand-ins built for the base images Docker Hub would give, then build, up, the README's
## examples and the screen against it, down and up again, the image's checks, a warm rebuild. Run by CI
## after `make test`; needs root (dockerd) and Debian's docker.io, docker-compose and debootstrap.
test-docker: test-prereqs
	@scripts/prereqs.sh --docker
	python3 scripts/docker_test.py

## The browser UI, built by trunk into dist/, with compressed copies of its files beside them.
ui: prereqs
	trunk build --release
	scripts/compress_ui.sh

prereqs:
	@scripts/prereqs.sh

test-prereqs:
	@scripts/prereqs.sh --test

## Benchmarks (the README's figures): the engine through its scripts beside the yardstick, the REST API
## and the WebSocket fan-out end to end; a table, target/bench/results.json and results.md.
## `make bench BENCH_ARGS=--quick` is the smoke run make test does.
bench: test-prereqs ui
	cargo build --release -p backend -p tools
	python3 scripts/bench.py $(BENCH_ARGS)

## The README's pictures (docs/screen-*.png), taken in headless Chromium from the demo market after it
## has traded for a few minutes (not part of make test).
screenshots: test-prereqs ui
	cargo build --release -p backend -p tools --bin backend --bin demo_bot
	python3 scripts/screenshots.py

## Soak run (10 minutes, not part of make test): steady mixed load, memory and p99 sampled every 5 s;
## fails unless memory stays flat and latency stable. Figures in target/soak/results.json.
soak: prereqs
	cargo build --release -p backend -p tools
	./target/release/soak --minutes 10 --json target/soak/results.json

## Abuse run (not part of make test, about a minute): the release backend with its shipped limits under
## every attack of issue 22 at once, while a well-behaved client places and cancels orders; prints its
## p99 and errors before and during the attack. Figures in target/attack/results.json.
attack: prereqs
	cargo build --release -p backend -p tools
	./target/release/attack --json target/attack/results.json
