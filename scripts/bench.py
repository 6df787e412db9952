#!/usr/bin/env python3
"""`make bench`: every headline figure in one run, on this machine.

Runs the benchmark scenarios one after another (each starts its own redis-server and, for REST
and WebSocket, its own release backend), shows their progress as they go, then prints one table
(median of the runs, their spread, the target) and writes target/bench/results.json and
target/bench/results.md. A full run also rewrites the README's figures table: the text between the
markers `<!-- bench-table:start -->` and `<!-- bench-table:end -->` in README.md becomes the
"Measured by ..." line and the headline table (the CPU breakdown stays in results.md; how each figure
is measured: docs/performance.md). `--quick` is the smoke run `make test` does: small sizes, one run
each; it checks that every scenario runs and yields every figure, not how fast, and never touches
README.md.

Build first: cargo build --release -p backend -p tools, and the UI (make ui)
"""
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench")
RELEASE = os.path.join(ROOT, "target", "release")
README = os.path.join(ROOT, "README.md")
README_START, README_END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"

# (label, figure, unit, target text, check) in the order of the table.
HEADLINES = [
    ("engine, orders/s (batches of 16 per function call)", "engine_orders_per_sec", "/s", "", None),
    ("yardstick seed_layout_match.lua, same driver, same Redis", "reference_orders_per_sec", "/s", "", None),
    ("engine / yardstick", "engine_vs_reference_ratio", "x", ">= 1.0", lambda v: v >= 1.0),
    ("empty script, same driver: the ceiling for any call", "redis_noop_script_per_sec", "/s", "", None),
    ("engine with the deep book resting, orders/s", "engine_orders_per_sec_deep_book", "/s", "", None),
    ("deep book / empty book (taking turns, per run)", "engine_deep_vs_empty_book_ratio", "x", ">= 0.90",
     lambda v: v >= 0.9),
    ("engine with candles folded beside it / without (taking turns, per run)", "engine_folding_vs_not_ratio", "x",
     ">= 0.95", lambda v: v >= 0.95),
    ("Redis bytes per resting order", "redis_bytes_per_resting_order", "B", "<= 100", lambda v: v <= 100),
    ("Redis bytes per resting order, one per level (a sparse book)", "redis_bytes_per_resting_order_sparse", "B",
     "<= 150", lambda v: v <= 150),
    ("amends/s (lower quantities and new prices, one per call)", "engine_amends_per_sec", "/s", "", None),
    ("amends / placements of the same orders, one per call (per run)", "engine_amend_vs_place_ratio", "x", ">= 0.8",
     lambda v: v >= 0.8),
    ("engine with 100,000 pending stops / with none (taking turns, per run)", "engine_pending_stops_vs_none_ratio",
     "x", ">= 0.90", lambda v: v >= 0.9),
    ("stop cascade: longest call (10,000 stops reached by one sweep)", "stop_cascade_longest_call_ms", "ms", "<= 5",
     lambda v: v <= 5),
    ("stop cascade: all 10,000 placed (sweep to last call, back to back)", "stop_cascade_total_ms", "ms", "<= 1,000",
     lambda v: v <= 1000),
    ("longest engine call (market order, 1,500 makers)", "longest_call_ms", "ms", "", None),
    ("REST order placements/s (64 connections, wrk)", "rest_orders_per_sec", "/s", ">= 20,000", lambda v: v >= 20_000),
    ("REST p50 at 5,000 placements/s offered", "rest_p50_ms", "ms", "", None),
    ("REST p99 at 5,000 placements/s offered", "rest_p99_ms", "ms", "< 10", lambda v: v < 10),
    ("settlement to the maker, p50 (trade to its balance message, at 5,000/s)", "settlement_p50_ms", "ms", "", None),
    ("settlement to the maker, p99 (trade to its balance message, at 5,000/s)", "settlement_p99_ms", "ms", "<= 50",
     lambda v: v <= 50),
    ("book reads/s (depth 10, wrk)", "book_reads_per_sec", "/s", ">= 30,000", lambda v: v >= 30_000),
    ("candle reads/s (1m, limit 500 of 500, wrk)", "candle_reads_per_sec", "/s", ">= 20,000", lambda v: v >= 20_000),
    ("ticker reads/s (wrk)", "ticker_reads_per_sec", "/s", ">= 30,000", lambda v: v >= 30_000),
    ("WebSocket clients on one instance", "ws_clients", "", "10,000", None),
    ("WebSocket delivery p99 (20 book changes/s)", "ws_p99_ms", "ms", "< 100", lambda v: v < 100),
    ("backend RSS, peak (WebSocket scenario)", "backend_rss_mb", "MB", "< 300", lambda v: v < 300),
    ("trading screen: first book shown, cold cache, 9 Mbit/s and 85 ms (Chromium's emulation)", "ui_first_book_ms",
     "ms", "<= 1,000", lambda v: v <= 1000),
    ("Redis Cluster, 1 master: orders/s on 6 markets", "cluster_1_masters_orders_per_sec", "/s", "", None),
    ("Redis Cluster, 3 masters: orders/s on 6 markets", "cluster_3_masters_orders_per_sec", "/s", "", None),
    ("Redis Cluster, 3 masters: orders/s per shard", "cluster_3_masters_orders_per_sec_per_shard", "/s", "", None),
    ("3 masters / 1 master (2 cores: CPU-bound, see docs/scaling.md)", "cluster_3_vs_1_ratio", "x", "", None),
]
# Where the time goes: CPU per operation by process (the machine has 2 cores; everything shares them).
BREAKDOWN = [
    ("Redis CPU per engine order", "engine_redis_cpu_us_per_order", "us"),
    ("Redis CPU per yardstick order", "reference_redis_cpu_us_per_order", "us"),
    ("Redis CPU folding trades into candles, per order of the flow (off the matching path)",
     "candle_fold_redis_cpu_us_per_order", "us"),
    ("REST placement: backend CPU", "rest_cpu_us_per_order_backend", "us"),
    ("REST placement: Redis CPU", "rest_cpu_us_per_order_redis", "us"),
    ("REST placement: load client (wrk) CPU", "rest_cpu_us_per_order_load_client", "us"),
    ("WebSocket update: backend CPU per delivery", "ws_backend_cpu_us_per_delivery", "us"),
    ("WebSocket update: load client CPU per delivery", "ws_client_cpu_us_per_delivery", "us"),
    ("Cluster order, 3 masters: Redis CPU (a shard's capacity is 1 s / this)", "cluster_3_masters_redis_cpu_us_per_order", "us"),
    ("Cluster order, 3 masters: CPU of all processes (the 2 cores / this = the cap here)", "cluster_3_masters_all_cpu_us_per_order", "us"),
]


def scenarios(quick):
    engine = [os.path.join(RELEASE, "engine_bench")] + (["--quick"] if quick else [])
    rest = [os.path.join(RELEASE, "rest_bench")] + (["--quick"] if quick else ["--runs", "3"])
    ws = [os.path.join(RELEASE, "ws_bench")]
    ws += ["--clients", "200", "--seconds", "3", "--runs", "1"] if quick else ["--clients", "10000", "--runs", "3"]
    cluster = [os.path.join(RELEASE, "engine_bench"), "--cluster"] + (["--quick"] if quick else [])
    ui = [os.path.join(RELEASE, "ui_load")] + (["--quick"] if quick else [])
    return [("engine", engine), ("rest", rest), ("ws", ws), ("ui", ui), ("cluster", cluster)]


def run_scenario(n, total, name, cmd):
    path = os.path.join(OUT, f"{name}.json")
    if os.path.exists(path):
        os.remove(path)
    started = time.time()
    print(f"\033[1m[{n}/{total}] {name}: {' '.join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd)}\033[0m", flush=True)
    proc = subprocess.Popen(cmd + ["--json", path], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        print(f"  [{name} {time.time() - started:5.0f} s] {line.rstrip()}", flush=True)
    if proc.wait() != 0:
        sys.exit(f"the {name} scenario failed (exit {proc.returncode})")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def median(values):
    v = sorted(values)
    return v[len(v) // 2]


def machine():
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
    version = next((w.split("=")[1] for w in redis if w.startswith("v=")), "?")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "redis": version,
        "commit": commit.stdout.strip() or "?",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def fmt(value, unit):
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "x":
        return f"{value:.2f}x"
    if unit in ("ms", "us"):
        return f"{value:.1f} {unit}" if value >= 10 else f"{value:.2f} {unit}"
    if unit in ("B", "MB"):
        return f"{value:.1f} {unit}"
    return f"{value:,.0f}"


def spread(values, unit):
    if len(values) < 2:
        return "one run"
    return f"{fmt(min(values), unit)} – {fmt(max(values), unit)} ({len(values)} runs)"


def headline_table(runs, quick, info):
    """The "Measured by ..." line and the headline figures: what the README shows."""
    lines = [
        f"Measured by `make bench{' BENCH_ARGS=--quick' if quick else ''}` on {info['cores']} cores ({info['cpu']}), "
        f"{info['memory_gib']} GiB, Redis {info['redis']}, commit {info['commit']}, {info['date']}; "
        "Redis, backend and load clients all on this machine.",
        "",
        "| figure | median | spread (min – max) | target | |",
        "|---|---|---|---|---|",
    ]
    for label, key, unit, target, check in HEADLINES:
        values = runs[key]
        status = "" if check is None else "smoke run" if quick else "met" if check(median(values)) else "**missed**"
        lines.append(f"| {label} | {fmt(median(values), unit)} | {spread(values, unit)} | {target} | {status} |")
    return "\n".join(lines)


def breakdown_table(runs):
    """Where the time goes: CPU time per operation, by process."""
    lines = ["Where the time goes (CPU time per operation, by process):", "", "| | median | spread |", "|---|---|---|"]
    for label, key, unit in BREAKDOWN:
        values = runs[key]
        lines.append(f"| {label} | {fmt(median(values), unit)} | {spread(values, unit)} |")
    return "\n".join(lines)


def update_readme(block):
    """Puts `block` between the README's bench-table markers; False when the markers are missing."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    start = text.find(README_START)
    end = text.find(README_END, start + len(README_START)) if start >= 0 else -1
    if start < 0 or end < 0:
        return False
    updated = text[: start + len(README_START)] + "\n" + block + "\n" + text[end:]
    if updated != text:
        with open(README, "w", encoding="utf-8") as f:
            f.write(updated)
    return True


def main():
    quick = "--quick" in sys.argv[1:]
    os.makedirs(OUT, exist_ok=True)
    started = time.time()
    runs = {}
    plan = scenarios(quick)
    for n, (name, cmd) in enumerate(plan, 1):
        runs.update(run_scenario(n, len(plan), name, cmd))
    needed = [key for _, key, *_ in HEADLINES] + [key for _, key, _ in BREAKDOWN]
    missing = [k for k in needed if not runs.get(k)]
    broken = [k for k in needed if k in runs and not all(math.isfinite(v) and v > 0 for v in runs[k])]
    if missing or broken:
        sys.exit(f"figures missing: {missing}; not finite and positive: {broken}")
    info = machine()
    headline = headline_table(runs, quick, info)
    text = headline + "\n\n" + breakdown_table(runs)
    results = {key: median(values) for key, values in sorted(runs.items())}
    results["spread"] = {k: {"min": min(v), "max": max(v), "runs": v} for k, v in sorted(runs.items())}
    results["targets"] = {
        key: {"target": target, "met": None if quick else check(median(runs[key]))}
        for _, key, _, target, check in HEADLINES
        if check
    }
    results["machine"] = info
    results["quick"] = quick
    with open(os.path.join(OUT, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(OUT, "results.md"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print()
    print(text)
    print(f"\nwritten: target/bench/results.json, target/bench/results.md ({time.time() - started:.0f} s)")
    if not quick:
        if update_readme(headline):
            print("README.md: the figures table between the bench-table markers now shows this run")
        else:
            sys.exit(f"README.md: no {README_START} ... {README_END} block, its table was not updated")


if __name__ == "__main__":
    main()
