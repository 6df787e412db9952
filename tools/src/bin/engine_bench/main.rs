//! Engine benchmark: orders per second through the scripts with pipelining, beside the yardstick
//! (`tools/yardstick/seed_layout_match.lua`) driven the same way on the same Redis in the same run;
//! Redis memory per resting order; throughput again with 1,000,000 orders resting; and changes of
//! orders (amends) per second beside placements one per call (`amends.rs`); stop orders: a cascade of
//! 10,000, and the flow beside pending stops (`stops.rs`; `--stops-only` runs just those).
//!
//! `cargo run --release -p tools --bin engine_bench [-- --quick] [--json PATH] [--resting N]` (N orders
//! in the deep book instead of 1,000,000: whether its presence changes the other figures); with `--cluster`, the
//! scale-out scenario instead (`cluster.rs`). (`make bench` runs it
//! with the other scenarios; `--json` writes every figure, one value per run, for `scripts/bench.py`).
//! `--flow-only URL [--orders N] [--yardstick]` runs just the mixed flow once against the Redis at URL
//! (flushed first), through the engine or the yardstick: the quick A/B of a script change, or a profile
//! of Redis under valgrind (`scripts/engine_profile.sh`); `--keep-library` leaves the library Redis
//! has as it is (an edited copy loaded by hand: `scripts/engine_ab.sh`); `--keep-data` does not flush
//! first, so that flows run one after another build on each other's keys as the slices of a run do.
//! `--yardstick-file PATH` runs another yardstick in ours' place (ours was checked against the
//! original design's once: docs/performance.md).

mod amends;
mod cluster;
mod flows;
mod stats;
mod stops;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use backend::config::EngineSettings;
use backend::config::Markets;
use backend::engine::candles::END_OF_TIME;
use backend::engine::Engine;
use backend::market_data::FOLD_GAP;
use common::Symbol;
use redis::aio::MultiplexedConnection;
use testkit::RedisProcess;
use tools::figures::{median, Figures};

use flows::{
    engine_flow, fill_resting, fund_flow_users, sweep_bound, yardstick_flow, yardstick_redis_benchmark, Spread,
};
use stats::{print_breakdown, redis_cpu};

pub const CONNECTIONS: usize = 50;
pub const PIPELINE: usize = 16;
/// Turns the engine and the yardstick take in each run.
const SLICES: usize = 6;
/// Orders per script call when the backend batches orders that arrive together.
pub const BATCH: usize = 16;
/// The yardstick: a minimal matcher in the original design's layout (`tools/yardstick/`).
const YARDSTICK: &str = include_str!("../../../yardstick/seed_layout_match.lua");

struct Opts {
    orders: usize,
    resting: usize,
    runs: usize,
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    if std::env::args().any(|a| a == "--cluster") {
        let mut figures = Figures::default();
        let (orders, runs) = if quick { (24_000, 1) } else { (240_000, 3) };
        cluster::run(&mut figures, orders, runs).await;
        figures.write();
        return;
    }
    if let Some(url) = tools::figures::arg("--flow-only") {
        let yardstick = std::env::args().any(|a| a == "--yardstick");
        let keep_library = std::env::args().any(|a| a == "--keep-library");
        let keep_data = std::env::args().any(|a| a == "--keep-data");
        flow_only(&url, tools::figures::arg_or("--orders", 20_000), yardstick, keep_library, keep_data).await;
        return;
    }
    if std::env::args().any(|a| a == "--stops-only") {
        stops_only(quick).await;
        return;
    }
    let mut opts = if quick {
        Opts { orders: 20_000, resting: 50_000, runs: 1 }
    } else {
        Opts { orders: 300_000, resting: 1_000_000, runs: 3 }
    };
    opts.resting = tools::figures::arg_or("--resting", opts.resting);
    let redis = RedisProcess::start(&[]).expect("redis-server starts");
    let client = redis::Client::open(redis.url()).unwrap();
    // The yardstick keeps its keys in a database of its own: in one keyspace with the engine's, each
    // one's look-ups paid for the other's keys (the yardstick leaves a hash per order behind, 300,000
    // a run, where the engine's keys are a few thousand).
    let yard_client = redis::Client::open(format!("{}1", redis.url())).unwrap();
    // The deep book lives in a database of its own too, so that its flow takes turns with the others:
    // measured minutes later, it would meet another machine (this VM's speed drifts within the hour;
    // docs/performance.md).
    let deep_client = redis::Client::open(format!("{}2", redis.url())).unwrap();
    // Without a response timeout: FLUSHALL of a run's keys takes seconds on a slow day of this VM.
    let mut conn = flows::connect(&client).await;
    let markets = Arc::new(Markets::defaults());
    // The deep book is as large as a market's default cap (1,000,000 resting orders) and the flow rests
    // more on top of it: the cap is raised so that it measures the book, not the refusals.
    let settings =
        EngineSettings { max_resting_orders_per_market: 10 * opts.resting as u64, ..EngineSettings::default() };
    let engine = Engine::new(conn.clone(), markets.clone(), settings);
    engine.load_library().await.expect("scripts load");
    let yardstick_src = yardstick_source();
    let yardstick_sha: String =
        redis::cmd("SCRIPT").arg("LOAD").arg(&yardstick_src).query_async(&mut conn).await.unwrap();
    // The ceiling no script can beat: an empty one, driven the same way.
    let noop_sha: String = redis::cmd("SCRIPT").arg("LOAD").arg("return 0").query_async(&mut conn).await.unwrap();
    let mut figures = Figures::default();

    println!(
        "engine benchmark: {} connections x pipeline {}, {} orders per run, {} runs",
        CONNECTIONS, PIPELINE, opts.orders, opts.runs
    );
    flush(&mut conn).await;
    let bytes = fill_resting(&deep_client, &engine, opts.resting, Spread::Dense).await;
    figures.push("redis_bytes_per_resting_order", bytes);
    // As many again one per level, in a database of their own emptied at once: what a sparse book costs.
    let sparse_client = redis::Client::open(format!("{}3", redis.url())).unwrap();
    let sparse_bytes = fill_resting(&sparse_client, &engine, opts.resting, Spread::OnePerLevel).await;
    flush_db(&sparse_client).await;
    figures.push("redis_bytes_per_resting_order_sparse", sparse_bytes);
    figures.push("deep_book_resting_orders", opts.resting as f64);
    let mut engine_rates = Vec::new();
    let mut deep_rates = Vec::new();
    let mut folding_rates = Vec::new();
    let mut single_rates = Vec::new();
    let mut amend_rates = Vec::new();
    let mut yard_rates = Vec::new();
    let mut rested = 0.0;
    for run in 1..=opts.runs {
        flush_db(&client).await;
        fund_flow_users(&client, 0).await;
        let (single, _) = engine_flow(&client, &engine, opts.orders, 0, 1).await;
        single_rates.push(single);
        flush_db(&client).await;
        fund_flow_users(&client, 0).await;
        let (placed, amended) = amends::placements_then_amends(&client, &engine, opts.orders, 0).await;
        amend_rates.push((placed, amended));
        println!("  run {run}: {amended:>8.0} amends/s, {placed:>8.0} placements/s of the same orders, one per call");
        flush_db(&client).await;
        fund_flow_users(&client, 0).await;
        flush_db(&yard_client).await;
        let _: String = redis::cmd("SCRIPT").arg("LOAD").arg(&yardstick_src).query_async(&mut conn).await.unwrap();
        // The engine and the yardstick take turns in SLICES slices each, so that both meet the same
        // machine: this virtual machine's speed drifts within seconds, and a whole run of one and then
        // the other measured the drift as much as the two.
        let slice = opts.orders / SLICES;
        let (mut engine_secs, mut yard_secs, mut engine_cpu, mut yard_cpu) = (0.0, 0.0, 0.0, 0.0);
        let (mut deep_secs, mut folding_secs) = (0.0, 0.0);
        // Fresh users each run on the deep book: the flow's resting orders stay there from run to run.
        let deep_users = 2_000_000 + run as u64 * 10_000;
        fund_flow_users(&deep_client, deep_users).await;
        let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query_async(&mut conn).await.unwrap();
        for s in 0..SLICES {
            let cpu_before = redis_cpu(&mut conn).await;
            let (rate, rest_share) = engine_flow(&client, &engine, slice, 0, BATCH).await;
            engine_cpu += redis_cpu(&mut conn).await - cpu_before;
            engine_secs += slice as f64 / rate;
            rested = rest_share;
            if run == 1 && s == 0 {
                print_breakdown(&mut conn, slice).await;
            }
            let cpu_before = redis_cpu(&mut conn).await;
            yard_secs += slice as f64 / yardstick_flow(&yard_client, &yardstick_sha, slice).await;
            yard_cpu += redis_cpu(&mut conn).await - cpu_before;
            deep_secs += slice as f64 / engine_flow(&deep_client, &engine, slice, deep_users, BATCH).await.0;
            // The engine again with candles folded beside it (the slices before left trades to fold:
            // folded first, off the clock).
            for m in markets.all() {
                fold_until_done(&engine, &m.symbol).await;
            }
            let stop = Arc::new(AtomicBool::new(false));
            let folder = tokio::spawn(fold_beside(engine.clone(), stop.clone()));
            folding_secs += slice as f64 / engine_flow(&client, &engine, slice, 0, BATCH).await.0;
            stop.store(true, Ordering::Relaxed);
            folder.await.unwrap();
        }
        let done = (slice * SLICES) as f64;
        engine_rates.push(done / engine_secs);
        deep_rates.push(done / deep_secs);
        folding_rates.push(done / folding_secs);
        yard_rates.push(done / yard_secs);
        figures.push("engine_redis_cpu_us_per_order", engine_cpu * 1e6 / done);
        figures.push("reference_redis_cpu_us_per_order", yard_cpu * 1e6 / done);
        if run == 1 {
            println!(
                "  Redis main thread CPU per order: engine {:.1} us, yardstick {:.1} us",
                engine_cpu * 1e6 / done,
                yard_cpu * 1e6 / done
            );
        }
        let noop = yardstick_flow(&client, &noop_sha, opts.orders).await;
        figures.push("redis_noop_script_per_sec", noop);
        println!(
            "  run {run}: engine {:>8.0} orders/s (batches of {BATCH}), {:>8.0} (one order per call)   yardstick {:>8.0} orders/s   empty script {noop:>8.0}/s   engine on the deep book {:>8.0} orders/s",
            engine_rates[run - 1],
            single_rates[run - 1],
            yard_rates[run - 1],
            deep_rates[run - 1]
        );
    }
    for (e, y) in engine_rates.iter().zip(&yard_rates) {
        figures.push("engine_orders_per_sec", *e);
        figures.push("reference_orders_per_sec", *y);
        figures.push("engine_vs_reference_ratio", e / y);
    }
    single_rates.iter().for_each(|r| figures.push("engine_single_order_calls_per_sec", *r));
    for (placed, amended) in &amend_rates {
        figures.push("engine_amends_per_sec", *amended);
        figures.push("engine_amend_vs_place_ratio", amended / placed);
    }
    for (d, e) in deep_rates.iter().zip(&engine_rates) {
        figures.push("engine_deep_vs_empty_book_ratio", d / e);
    }
    for (f, e) in folding_rates.iter().zip(&engine_rates) {
        figures.push("engine_orders_per_sec_folding_candles", *f);
        figures.push("engine_folding_vs_not_ratio", f / e);
    }
    let (engine_rate, yard_rate) = (median(&engine_rates), median(&yard_rates));
    flush_db(&client).await;
    let yard_native = yardstick_redis_benchmark(redis.port(), &yardstick_sha, opts.orders);
    let single_rate = median(&single_rates);
    println!("share of engine orders that rested: {:.0}%", rested * 100.0);

    let deep_rate = median(&deep_rates);
    deep_rates.iter().for_each(|r| figures.push("engine_orders_per_sec_deep_book", *r));

    flush_db(&client).await;
    fund_flow_users(&client, 0).await;
    let (fold_per_trade, fold_per_order) = candle_fold_cost(&client, &engine, &mut conn, opts.orders.min(40_000)).await;
    figures.push("candle_fold_redis_cpu_us_per_trade", fold_per_trade);
    figures.push("candle_fold_redis_cpu_us_per_order", fold_per_order);

    flush(&mut conn).await;
    let (sweep_fills, sweep_ms) = sweep_bound(&client, &engine).await;
    figures.push("longest_call_ms", sweep_ms);

    flush(&mut conn).await;
    let cascade = stops::cascade(&client, &engine, 10_000).await;
    figures.push("stop_cascade_longest_call_ms", cascade.longest_ms);
    figures.push("stop_cascade_total_ms", cascade.total_ms);
    println!(
        "  stop cascade: {} stops placed in {} calls, {:.0} ms in all, the longest call {:.2} ms",
        cascade.stops, cascade.calls, cascade.total_ms, cascade.longest_ms
    );
    let pending = if quick { 10_000 } else { 100_000 };
    for run in 1..=opts.runs {
        let (with, without) = stops::flow_beside_pending(&client, &engine, pending, opts.orders / 3).await;
        figures.push("engine_pending_stops_vs_none_ratio", with / without);
        println!("  run {run}: {with:>8.0} orders/s with {pending} pending stops, {without:>8.0} with none");
    }
    figures.write();

    println!();
    println!("| figure | value |");
    println!("|---|---|");
    println!("| engine orders/s, batches of {BATCH} (median of {}) | {:.0} |", opts.runs, engine_rate);
    println!("| engine orders/s, one order per call (median) | {:.0} |", single_rate);
    println!("| yardstick orders/s, same driver (median) | {:.0} |", yard_rate);
    println!("| engine / yardstick | {:.2}x |", engine_rate / yard_rate);
    let noop = figures.median("redis_noop_script_per_sec").unwrap_or(f64::NAN);
    println!("| empty script calls/s, same driver: the ceiling for any script (median) | {noop:.0} |");
    if let Some(native) = yard_native {
        println!("| yardstick orders/s, redis-benchmark (its README's way; a lighter client) | {native:.0} |");
    }
    println!("| Redis bytes per resting order ({} resting) | {:.1} |", opts.resting, bytes);
    println!("| Redis bytes per resting order, one per level ({} resting) | {:.1} |", opts.resting, sparse_bytes);
    println!("| engine orders/s with {} resting (median) | {:.0} |", opts.resting, deep_rate);
    let deep_ratio = figures.median("engine_deep_vs_empty_book_ratio").unwrap_or(f64::NAN);
    println!("| deep book / empty book, run by run (median) | {:.0}% |", 100.0 * deep_ratio);
    let folding_ratio = figures.median("engine_folding_vs_not_ratio").unwrap_or(f64::NAN);
    println!("| engine with candles folded beside it / without, run by run (median) | {:.0}% |", 100.0 * folding_ratio);
    println!("| Redis CPU folding the flow's trades into candles, per trade / per order | {fold_per_trade:.2} us / {fold_per_order:.2} us |");
    let amends = figures.median("engine_amends_per_sec").unwrap_or(f64::NAN);
    let amend_ratio = figures.median("engine_amend_vs_place_ratio").unwrap_or(f64::NAN);
    println!("| amends/s, lower quantities and new prices, one per call (median) / placements/s of the same orders | {amends:.0} / {:.2}x |", amend_ratio);
    let pending_ratio = figures.median("engine_pending_stops_vs_none_ratio").unwrap_or(f64::NAN);
    println!(
        "| engine with {pending} pending stops / with none, run by run (median) | {:.0}% |",
        100.0 * pending_ratio
    );
    println!(
        "| stop cascade: {} stops reached by one sweep, placed in {} calls: all / the longest call | {:.0} ms / {:.2} ms |",
        cascade.stops, cascade.calls, cascade.total_ms, cascade.longest_ms
    );
    println!("| longest call: a market order meeting 1,500 resting orders ({sweep_fills} filled, fill cap) | {sweep_ms:.1} ms |");
    drop(redis);
}

/// The flow's `orders` orders placed first, then folded into candles (`lua/fold_candles.lua`, as every
/// backend instance does after the trades): Redis CPU per trade folded and per order of the flow. (The
/// matching calls themselves do not change: candles cost the engine nothing on its own path.)
/// Only the stop orders' figures (issue 25): a cascade, and the flow beside pending stops
/// (`--stops-per-call N`: another budget than the default's).
async fn stops_only(quick: bool) {
    let redis = RedisProcess::start(&[]).expect("redis-server starts");
    let client = redis::Client::open(redis.url()).unwrap();
    let conn = flows::connect(&client).await;
    let defaults = EngineSettings::default();
    let stops_per_call = tools::figures::arg_or("--stops-per-call", defaults.stops_per_call as usize) as u32;
    let engine =
        Engine::new(conn.clone(), Arc::new(Markets::defaults()), EngineSettings { stops_per_call, ..defaults });
    engine.load_library().await.expect("scripts load");
    let cascade = stops::cascade(&client, &engine, 10_000).await;
    println!(
        "stop cascade: {} stops placed in {} calls, {:.0} ms in all, the longest call {:.2} ms",
        cascade.stops, cascade.calls, cascade.total_ms, cascade.longest_ms
    );
    let (pending, orders, runs) = if quick { (10_000, 20_000, 1) } else { (100_000, 100_000, 3) };
    for run in 1..=runs {
        let (with, without) = stops::flow_beside_pending(&client, &engine, pending, orders).await;
        println!(
            "run {run}: {with:.0} orders/s with {pending} pending stops, {without:.0} with none: {:.2}x",
            with / without
        );
    }
}

async fn candle_fold_cost(
    client: &redis::Client,
    engine: &Engine<MultiplexedConnection>,
    conn: &mut MultiplexedConnection,
    orders: usize,
) -> (f64, f64) {
    let symbol = Symbol::parse("BTC/USD").unwrap();
    engine_flow(client, engine, orders, 0, BATCH).await;
    let cpu_before = redis_cpu(conn).await;
    fold_until_done(engine, &symbol).await;
    let cpu = redis_cpu(conn).await - cpu_before;
    let days = engine.fold_candles(&symbol, [0; 6]).await.unwrap();
    let trades: u64 = days.candles[5].iter().map(|c| c.trades).sum();
    println!("  candles: {trades} trades of {orders} orders folded in {:.1} ms of Redis CPU", cpu * 1e3);
    (cpu * 1e6 / trades.max(1) as f64, cpu * 1e6 / orders as f64)
}

/// The mixed flow alone, once, through the engine or the yardstick, against a Redis someone else
/// started; with `keep_library`, through the engine library that Redis already has; with `keep_data`,
/// on the keys the Redis has (not flushed first).
/// Folds the market's trades until none is left, asking for no candles back.
async fn fold_until_done(engine: &Engine<MultiplexedConnection>, symbol: &Symbol) {
    while engine.fold_candles(symbol, [END_OF_TIME; 6]).await.unwrap().more {}
}

/// Folds every market's trades every `FOLD_GAP` until `stop`, as each backend instance does while its
/// markets trade (it folds after each event with trades, at most every `FOLD_GAP`).
async fn fold_beside(engine: Engine<MultiplexedConnection>, stop: Arc<AtomicBool>) {
    let symbols: Vec<Symbol> = engine.markets().all().iter().map(|m| m.symbol.clone()).collect();
    while !stop.load(Ordering::Relaxed) {
        for symbol in &symbols {
            fold_until_done(&engine, symbol).await;
        }
        tokio::time::sleep(FOLD_GAP).await;
    }
}

async fn flow_only(url: &str, orders: usize, yardstick: bool, keep_library: bool, keep_data: bool) {
    let client = redis::Client::open(url).expect("a Redis URL");
    let mut conn = flows::connect(&client).await;
    if !keep_data {
        flush(&mut conn).await;
    }
    let engine = Engine::new(conn.clone(), Arc::new(Markets::defaults()), EngineSettings::default());
    if !keep_library {
        engine.load_library().await.expect("scripts load");
    }
    // (Kept data keeps its funds: a profile counts the flow's instructions only.)
    if !yardstick && !keep_data {
        fund_flow_users(&client, 0).await;
    }
    let cpu_before = redis_cpu(&mut conn).await;
    let (rate, rested) = if yardstick {
        let sha: String =
            redis::cmd("SCRIPT").arg("LOAD").arg(yardstick_source()).query_async(&mut conn).await.unwrap();
        (yardstick_flow(&client, &sha, orders).await, f64::NAN)
    } else {
        engine_flow(&client, &engine, orders, 0, BATCH).await
    };
    let cpu = redis_cpu(&mut conn).await - cpu_before;
    println!(
        "{orders} orders: {rate:.0} orders/s, {:.0}% rested, Redis CPU {:.1} us per order",
        rested * 100.0,
        cpu * 1e6 / orders as f64
    );
}

/// The yardstick's code: ours, or with `--yardstick-file PATH` another (to compare ours with the one
/// it was written after, in the same run).
fn yardstick_source() -> String {
    match tools::figures::arg("--yardstick-file") {
        Some(path) => std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("the yardstick at {path}: {e}")),
        None => YARDSTICK.to_string(),
    }
}

/// Empties one database (the engine's, the yardstick's or the deep book's).
async fn flush_db(client: &redis::Client) {
    let _: () = redis::cmd("FLUSHDB").query_async(&mut flows::connect(client).await).await.unwrap();
}

async fn flush(conn: &mut MultiplexedConnection) {
    let _: () = redis::cmd("FLUSHALL").query_async(conn).await.unwrap();
}
