# The two commands of the quick start: `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: run demo test ui prereqs test-prereqs bench soak

## Runs the whole stack: installs what is missing, builds the UI, starts Redis (embedded unless
## REDIS_URL or REDIS_HOST is set) and the backend, and prints the URL to open.
run: prereqs ui
	cargo build --release -p backend
	./target/release/backend

## The whole stack plus a demo market: a market maker and a taker trading through the public API.
demo: prereqs ui
	cargo build --release -p backend --bin backend --example demo_bot
	scripts/demo.sh

# Not run again over the cluster: tests that stop or fill the one Redis server, and tests that start
# their own Redis deployment whatever TEST_REDIS says.
CLUSTER_SKIPS = --skip a_redis_restart_is_recovered_transparently \
	--skip while_redis_is_down_requests_fail_fast_with_503_and_recover_on_their_own \
	--skip clients_are_told_when_redis_is_lost --skip a_full_redis_refuses_orders_cleanly_and_loses_nothing \
	--skip accounts_stored_in_the_earlier_layout --skip backend_crash:: --skip durability:: \
	--skip failover:: --skip scale_out:: --skip secrets:: --skip slow_clients:: --skip tls::

## Every test: unit, integration (each against its own redis-server) and the UI build.
test: test-prereqs ui
	scripts/ui_size.sh
	cargo test --workspace --exclude frontend
	# The engine's and the API's tests again, unchanged, over a 3-master Redis Cluster.
	TEST_REDIS=cluster cargo test -p backend --test engine --test api -- $(CLUSTER_SKIPS)
	cargo test -p frontend
	cargo build --release -p backend --bins --examples
	python3 scripts/readme_examples.py
	python3 scripts/check_compose.py target/release/backend
	python3 scripts/bench.py --quick

## The browser UI, built by trunk into dist/.
ui: prereqs
	trunk build --release

prereqs:
	@scripts/prereqs.sh

test-prereqs:
	@scripts/prereqs.sh --test

## Benchmarks (the README's figures): the engine through its scripts beside the yardstick, the REST API
## and the WebSocket fan-out end to end; a table, target/bench/results.json and results.md.
## `make bench BENCH_ARGS=--quick` is the smoke run make test does.
bench: test-prereqs
	cargo build --release -p backend --bins --examples
	python3 scripts/bench.py $(BENCH_ARGS)

## Soak run (10 minutes, not part of make test): steady mixed load, memory and p99 sampled every 5 s;
## fails unless memory stays flat and latency stable. Figures in target/soak/results.json.
soak: prereqs
	cargo build --release -p backend --bins --examples
	./target/release/examples/soak --minutes 10 --json target/soak/results.json
