//! Engine benchmark: orders per second through the scripts with pipelining, beside the yardstick
//! (`../shared/bench/seed_layout_match.lua`) driven the same way on the same Redis in the same run;
//! Redis memory per resting order; and throughput again with 1,000,000 orders resting.
//!
//! `cargo run --release -p backend --bin engine_bench [-- --quick]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use backend::engine::{read_placements, BatchOrder, CheckedOrder, Engine, EngineSettings};
use backend::markets::Markets;
use backend::redis_process::RedisProcess;
use common::{OrderType, Side, Symbol, TimeInForce};
use redis::aio::MultiplexedConnection;

const CONNECTIONS: usize = 50;
const PIPELINE: usize = 16;
/// Orders per script call when the backend batches orders that arrive together.
const BATCH: usize = 16;
const YARDSTICK: &str = "../shared/bench/seed_layout_match.lua";

struct Opts {
    orders: usize,
    resting: usize,
    runs: usize,
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let opts = if quick {
        Opts { orders: 20_000, resting: 50_000, runs: 1 }
    } else {
        Opts { orders: 300_000, resting: 1_000_000, runs: 3 }
    };
    let redis = RedisProcess::start_scratch(&[]).expect("redis-server starts");
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let markets = Arc::new(Markets::defaults());
    let engine = Engine::new(conn.clone(), markets.clone(), EngineSettings::default());
    engine.load_scripts().await.expect("scripts load");
    let yardstick_src = std::fs::read_to_string(YARDSTICK)
        .or_else(|_| std::fs::read_to_string(format!("../{YARDSTICK}")))
        .expect("the yardstick script at ../shared/bench/seed_layout_match.lua");
    let yardstick_sha: String = redis::cmd("SCRIPT").arg("LOAD").arg(&yardstick_src).query_async(&mut conn).await.unwrap();

    println!("engine benchmark: {} connections x pipeline {}, {} orders per run, {} runs", CONNECTIONS, PIPELINE, opts.orders, opts.runs);
    let mut engine_rates = Vec::new();
    let mut single_rates = Vec::new();
    let mut yard_rates = Vec::new();
    let mut rested = 0.0;
    for run in 1..=opts.runs {
        flush(&mut conn).await;
        let (single, _) = engine_flow(&client, &engine, opts.orders, 0, 1).await;
        single_rates.push(single);
        flush(&mut conn).await;
        let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query_async(&mut conn).await.unwrap();
        let cpu_before = redis_cpu(&mut conn).await;
        let (rate, rest_share) = engine_flow(&client, &engine, opts.orders, 0, BATCH).await;
        if run == 1 {
            let cpu = redis_cpu(&mut conn).await - cpu_before;
            println!("  Redis main thread CPU per engine order: {:.1} us (wall per order {:.1} us)", cpu * 1e6 / opts.orders as f64, 1e6 / rate);
            print_breakdown(&mut conn, opts.orders).await;
        }
        rested = rest_share;
        engine_rates.push(rate);
        flush(&mut conn).await;
        let _: String = redis::cmd("SCRIPT").arg("LOAD").arg(&yardstick_src).query_async(&mut conn).await.unwrap();
        let cpu_before = redis_cpu(&mut conn).await;
        yard_rates.push(yardstick_flow(&client, &yardstick_sha, opts.orders).await);
        if run == 1 {
            let cpu = redis_cpu(&mut conn).await - cpu_before;
            println!("  Redis main thread CPU per yardstick order: {:.1} us", cpu * 1e6 / opts.orders as f64);
        }
        println!(
            "  run {run}: engine {:>8.0} orders/s (batches of {BATCH}), {:>8.0} (one order per call)   yardstick {:>8.0} orders/s",
            engine_rates[run - 1],
            single_rates[run - 1],
            yard_rates[run - 1]
        );
    }
    let (engine_rate, yard_rate) = (median(&mut engine_rates), median(&mut yard_rates));
    let single_rate = median(&mut single_rates);
    println!("share of engine orders that rested: {:.0}%", rested * 100.0);

    flush(&mut conn).await;
    let bytes = fill_resting(&client, &engine, opts.resting).await;
    let mut deep_rates = Vec::new();
    for _ in 0..opts.runs {
        let (rate, _) = engine_flow(&client, &engine, opts.orders, 2_000_000, BATCH).await;
        deep_rates.push(rate);
    }
    let deep_rate = median(&mut deep_rates);

    println!();
    println!("| figure | value |");
    println!("|---|---|");
    println!("| engine orders/s, batches of {BATCH} (median of {}) | {:.0} |", opts.runs, engine_rate);
    println!("| engine orders/s, one order per call (median) | {:.0} |", single_rate);
    println!("| yardstick orders/s, same driver (median) | {:.0} |", yard_rate);
    println!("| engine / yardstick | {:.2}x |", engine_rate / yard_rate);
    println!("| Redis bytes per resting order ({} resting) | {:.1} |", opts.resting, bytes);
    println!("| engine orders/s with {} resting (median) | {:.0} |", opts.resting, deep_rate);
    println!("| deep book / empty book | {:.0}% |", 100.0 * deep_rate / engine_rate);
    drop(redis);
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

async fn flush(conn: &mut MultiplexedConnection) {
    let _: () = redis::cmd("FLUSHALL").query_async(conn).await.unwrap();
}

/// A deterministic pseudo-random stream (xorshift), so every run offers the same flow.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The yardstick's flow: side from r % 2, price 49950 + (r / 2) % 100, quantity 1 + (r / 200) % 5;
/// here in ticks of 0.01 and lots of 0.01 BTC, from 1,000 users, all gtc limit orders.
fn flow_order(r: u64) -> CheckedOrder {
    CheckedOrder {
        side: if r % 2 == 0 { Side::Buy } else { Side::Sell },
        order_type: OrderType::Limit,
        time_in_force: TimeInForce::Gtc,
        post_only: false,
        price_ticks: (49_950 + (r / 2) % 100) * 100,
        quantity_lots: (1 + (r / 200) % 5) * 1_000_000,
        client_order_id: String::new(),
    }
}

/// Runs `total` orders of the mixed flow over CONNECTIONS connections, PIPELINE orders per round trip
/// in script calls of `batch` orders. Returns orders per second and the share that rested.
async fn engine_flow(
    client: &redis::Client,
    engine: &Engine<MultiplexedConnection>,
    total: usize,
    user_base: u64,
    batch: usize,
) -> (f64, f64) {
    let market = engine.market(&Symbol::parse("BTC/USD").unwrap()).unwrap().clone();
    let per_conn = total / CONNECTIONS;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let engine = engine.clone();
        let market = market.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (c as u64 + 1) * 0x1000_0001);
            let mut rested = 0usize;
            let mut done = 0;
            while done < per_conn {
                let n = PIPELINE.min(per_conn - done);
                let first: u64 = redis::cmd("INCRBY").arg("next_order_id").arg(n).query_async(&mut conn).await.unwrap();
                let orders: Vec<(u64, u64, CheckedOrder)> = (0..n)
                    .map(|i| {
                        let r = rng.next() % 1_000_000;
                        (user_base + 1 + r % 1000, first - n as u64 + 1 + i as u64, flow_order(r))
                    })
                    .collect();
                let mut pipe = redis::pipe();
                let calls: Vec<Vec<BatchOrder>> = orders
                    .chunks(batch)
                    .map(|chunk| chunk.iter().map(|(user_id, id, order)| BatchOrder { user_id: *user_id, id: *id, order }).collect())
                    .collect();
                for call in &calls {
                    pipe.invoke_script(&engine.place_invocation(&market, call, now_ms()));
                }
                let replies: Vec<Vec<redis::Value>> = pipe.query_async(&mut conn).await.unwrap();
                for reply in &replies {
                    for placed in read_placements(&market, reply).expect("a placement reply") {
                        rested += usize::from(placed.expect("accepted").order.status.is_open());
                    }
                }
                done += n;
            }
            rested
        }));
    }
    let mut rested = 0;
    for t in tasks {
        rested += t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let n = (per_conn * CONNECTIONS) as f64;
    (n / secs, rested as f64 / n)
}

/// The yardstick driven exactly like the engine: same connections, same pipeline depth.
async fn yardstick_flow(client: &redis::Client, sha: &str, total: usize) -> f64 {
    let per_conn = total / CONNECTIONS;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let sha = sha.to_string();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (c as u64 + 1) * 0x1000_0001);
            let mut done = 0;
            while done < per_conn {
                let n = PIPELINE.min(per_conn - done);
                let mut pipe = redis::pipe();
                for _ in 0..n {
                    pipe.cmd("EVALSHA").arg(&sha).arg(0).arg(rng.next() % 1_000_000);
                }
                let _: Vec<redis::Value> = pipe.query_async(&mut conn).await.unwrap();
                done += n;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (per_conn * CONNECTIONS) as f64 / start.elapsed().as_secs_f64()
}

/// Rests `count` orders away from the flow's prices (bids below, asks above), 500 per user, and returns
/// the growth of Redis's `used_memory` per order.
async fn fill_resting(client: &redis::Client, engine: &Engine<MultiplexedConnection>, count: usize) -> f64 {
    let market = engine.market(&Symbol::parse("BTC/USD").unwrap()).unwrap().clone();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let before = used_memory(&mut conn).await;
    let started = Instant::now();
    let mut placed = 0;
    while placed < count {
        let n = 1000.min(count - placed);
        let first: u64 = redis::cmd("INCRBY").arg("next_order_id").arg(n).query_async(&mut conn).await.unwrap();
        let orders: Vec<(u64, u64, CheckedOrder)> = (0..n)
            .map(|i| {
                let k = (placed + i) as u64;
                let sell = k % 2 == 1;
                let level = (k / 2) % 1000;
                let order = CheckedOrder {
                    side: if sell { Side::Sell } else { Side::Buy },
                    price_ticks: if sell { 6_000_000 + level * 100 } else { 4_000_000 + level * 100 },
                    ..flow_order(0)
                };
                (1_000_000 + k / 500, first - n as u64 + 1 + i as u64, order)
            })
            .collect();
        let mut pipe = redis::pipe();
        for chunk in orders.chunks(50) {
            let call: Vec<BatchOrder> = chunk.iter().map(|(user_id, id, order)| BatchOrder { user_id: *user_id, id: *id, order }).collect();
            pipe.invoke_script(&engine.place_invocation(&market, &call, now_ms())).ignore();
        }
        let _: () = pipe.query_async(&mut conn).await.unwrap();
        placed += n;
        if placed % 100_000 == 0 {
            eprint!("\r  resting orders: {placed}/{count}");
        }
    }
    eprintln!("\r  resting orders: {count} in {:.1} s", started.elapsed().as_secs_f64());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = used_memory(&mut conn).await;
    (after - before) as f64 / count as f64
}

async fn used_memory(conn: &mut MultiplexedConnection) -> i64 {
    let info: String = redis::cmd("INFO").arg("memory").query_async(conn).await.unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("INFO memory has used_memory")
}

/// Where Redis spends its time per order: each command's calls per order and total microseconds per
/// order (commands run inside scripts are counted too), from `INFO commandstats`.
async fn print_breakdown(conn: &mut MultiplexedConnection, orders: usize) {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(conn).await.unwrap();
    let mut rows: Vec<(String, f64, f64)> = info
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
            let field = |k: &str| rest.split(',').find_map(|f| f.strip_prefix(k)).and_then(|v| v.parse::<f64>().ok());
            Some((name.to_string(), field("calls=")? / orders as f64, field("usec=")? / orders as f64))
        })
        .collect();
    rows.sort_by(|a, b| b.2.partial_cmp(&a.2).unwrap());
    println!("  where Redis's time goes, per order (evalsha includes the commands it runs):");
    for (name, calls, usec) in rows.iter().take(14) {
        println!("    {name:<18} {calls:>6.2} calls  {usec:>7.2} us");
    }
}

/// Seconds of CPU Redis's main thread has used.
async fn redis_cpu(conn: &mut MultiplexedConnection) -> f64 {
    let info: String = redis::cmd("INFO").arg("cpu").query_async(conn).await.unwrap();
    let field = |k: &str| info.lines().find_map(|l| l.strip_prefix(k)).and_then(|v| v.trim().parse::<f64>().ok());
    field("used_cpu_user_main_thread:").unwrap_or(0.0) + field("used_cpu_sys_main_thread:").unwrap_or(0.0)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
