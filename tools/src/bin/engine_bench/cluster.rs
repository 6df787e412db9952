//! Scale-out: the mixed flow on six markets at once over a Redis Cluster of 1 and of 3 masters, through
//! the cluster client the backend uses (each script call goes to its market's master; order ids come
//! from the one global counter, one INCRBY per call). Prints orders/s per shard and in total, each
//! shard's Redis CPU per order, and the CPU all processes used, which is what bounds the figure on a
//! machine with fewer cores than Redis processes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use backend::config::EngineSettings;
use backend::config::Markets;
use backend::config::RedisSettings;
use backend::engine::{read_placements, BatchOrder, Engine};
use backend::redis::RedisPool;
use common::{Market, Symbol};
use testkit::RedisCluster;
use tools::figures::{cpu_seconds, Figures};

use common::time::now_ms;

use crate::flows::{flow_orders, fund_users, Rng};
use crate::stats::redis_cpu;

/// Two markets on each master of a 3-master cluster (by their hash slots).
const MARKETS: [&str; 6] = ["ETH/USD", "SOL/USD", "DOT/USD", "ETH/EUR", "BTC/USD", "ADA/USD"];
/// Concurrent callers per market, each with one call of `BATCH` orders in flight.
const CALLERS_PER_MARKET: usize = 8;
const BATCH: usize = 16;

/// What one deployment did: total orders/s, and per shard (port) its markets, orders/s and Redis CPU
/// per order.
struct Outcome {
    total: f64,
    shards: BTreeMap<u16, (Vec<&'static str>, f64, f64)>,
    cpu_us_per_order: f64,
}

pub async fn run(figures: &mut Figures, orders: usize, runs: usize) {
    println!(
        "scale-out: {} markets, {CALLERS_PER_MARKET} callers each, calls of {BATCH} orders, {orders} orders per run",
        MARKETS.len()
    );
    let mut totals: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for masters in [1, 3] {
        for run in 1..=runs {
            let outcome = measure(masters, orders).await;
            println!("  {masters} master(s), run {run}: {:.0} orders/s in total", outcome.total);
            for (port, (markets, rate, cpu)) in &outcome.shards {
                println!(
                    "    shard :{port} ({}): {rate:.0} orders/s, Redis CPU {cpu:.1} us per order",
                    markets.join(", ")
                );
            }
            println!(
                "    CPU of every process (all Redis masters and this load driver): {:.1} us per order",
                outcome.cpu_us_per_order
            );
            figures.push(&format!("cluster_{masters}_masters_orders_per_sec"), outcome.total);
            let per_shard = outcome.total / masters as f64;
            figures.push(&format!("cluster_{masters}_masters_orders_per_sec_per_shard"), per_shard);
            let redis_cpu: f64 = outcome.shards.values().map(|s| s.2 * s.1).sum::<f64>() / outcome.total.max(1.0);
            figures.push(&format!("cluster_{masters}_masters_redis_cpu_us_per_order"), redis_cpu);
            figures.push(&format!("cluster_{masters}_masters_all_cpu_us_per_order"), outcome.cpu_us_per_order);
            totals.entry(masters).or_default().push(outcome.total);
        }
    }
    let one = tools::figures::median(&totals[&1]);
    let three = tools::figures::median(&totals[&3]);
    figures.push("cluster_3_vs_1_ratio", three / one);
    println!("  3 masters / 1 master: {:.2}x (median of {runs})", three / one);
    let redis_us = figures.median("cluster_3_masters_redis_cpu_us_per_order").unwrap_or(f64::NAN);
    let all_us = figures.median("cluster_3_masters_all_cpu_us_per_order").unwrap_or(f64::NAN);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    println!(
        "  model: a master spends {redis_us:.1} us of CPU per order, so one with a core of its own carries \
         ~{:.0} orders/s and N such masters ~N times that, markets spread evenly (one market never \
         exceeds one master). Here every process shares {cores} cores at {all_us:.1} us per order: the cap \
         is ~{:.0} orders/s whatever the number of masters.",
        1e6 / redis_us,
        cores * 1e6 / all_us
    );
}

fn markets() -> Markets {
    Markets::new(
        MARKETS
            .iter()
            .map(|s| Market::from_literals(s, "0.01", "0.00000001", "0.00000001", "10000", "10000000"))
            .collect(),
    )
    .unwrap()
}

async fn measure(masters: usize, orders: usize) -> Outcome {
    let cluster = RedisCluster::start(masters).expect("the cluster starts");
    let settings = RedisSettings { max_connections: 4, ..RedisSettings::default() };
    let (pool, _) = RedisPool::connect(&cluster.target(), &settings).await.expect("connects to the cluster");
    let engine = Engine::new(pool.clone(), Arc::new(markets()), EngineSettings::default());
    engine.load_library().await.expect("scripts load on every master");
    let mut node_conns = Vec::new();
    for node in &cluster.nodes {
        let conn = redis::Client::open(node.url()).unwrap().get_multiplexed_async_connection().await.unwrap();
        node_conns.push((node.port(), node.pid().expect("running"), conn));
    }
    let shard_of: Vec<u16> = MARKETS.iter().map(|s| cluster.port_of(&format!("{{{s}}}")).unwrap()).collect();
    for (m, symbol) in MARKETS.iter().enumerate() {
        let callers = (m * CALLERS_PER_MARKET) as u64..((m + 1) * CALLERS_PER_MARKET) as u64;
        let users = callers.flat_map(|seed| seed * 1000 + 1..=seed * 1000 + 1000);
        fund_users(&mut pool.clone(), &Symbol::parse(symbol).unwrap(), users).await;
    }
    let mut redis_before = Vec::new();
    for (_, _, conn) in &mut node_conns {
        redis_before.push(redis_cpu(conn).await);
    }
    let pids: Vec<u32> = node_conns.iter().map(|n| n.1).chain([std::process::id()]).collect();
    let all_before: f64 = pids.iter().map(|&p| cpu_seconds(p)).sum();

    let per_caller = orders / (MARKETS.len() * CALLERS_PER_MARKET);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (m, symbol) in MARKETS.iter().enumerate() {
        let market = engine.market(&Symbol::parse(symbol).unwrap()).unwrap().clone();
        for c in 0..CALLERS_PER_MARKET {
            let (engine, market, pool) = (engine.clone(), market.clone(), pool.clone());
            tasks.push(tokio::spawn(async move {
                caller(&engine, pool, &market, per_caller, (m * CALLERS_PER_MARKET + c) as u64).await;
                (m, start.elapsed().as_secs_f64())
            }));
        }
    }
    let mut finished = [0.0f64; MARKETS.len()];
    for t in tasks {
        let (m, secs) = t.await.unwrap();
        finished[m] = finished[m].max(secs);
    }
    let wall = start.elapsed().as_secs_f64();
    let all_cpu: f64 = pids.iter().map(|&p| cpu_seconds(p)).sum::<f64>() - all_before;
    let per_market = (per_caller * CALLERS_PER_MARKET) as f64;

    let mut shards = BTreeMap::new();
    for (i, (port, _, conn)) in node_conns.iter_mut().enumerate() {
        let mine: Vec<usize> = (0..MARKETS.len()).filter(|&m| shard_of[m] == *port).collect();
        let cpu = redis_cpu(conn).await - redis_before[i];
        let done = per_market * mine.len() as f64;
        let secs = mine.iter().map(|&m| finished[m]).fold(0.0, f64::max);
        let rate = if mine.is_empty() { 0.0 } else { done / secs };
        let cpu_per_order = if mine.is_empty() { 0.0 } else { cpu * 1e6 / done };
        shards.insert(*port, (mine.iter().map(|&m| MARKETS[m]).collect(), rate, cpu_per_order));
    }
    let total_orders = per_market * MARKETS.len() as f64;
    Outcome { total: total_orders / wall, shards, cpu_us_per_order: all_cpu * 1e6 / total_orders }
}

/// One caller: `count` orders of the mixed flow in calls of `BATCH`, its users its own.
async fn caller(engine: &Engine<RedisPool>, mut conn: RedisPool, market: &Market, count: usize, seed: u64) {
    let mut rng = Rng::for_caller(seed);
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let last: u64 = redis::cmd("INCRBY").arg("next_order_id").arg(n).query_async(&mut conn).await.unwrap();
        let orders = flow_orders(&mut rng, n, last, seed * 1000);
        let batch: Vec<BatchOrder> =
            orders.iter().map(|(user_id, id, order)| BatchOrder { user_id: *user_id, id: *id, order }).collect();
        let reply: Vec<redis::Value> = engine
            .place_invocation(market, &batch, now_ms())
            .expect("a listed market")
            .invoke_async(&mut conn)
            .await
            .unwrap();
        for placed in read_placements(market, &reply).expect("a placement reply") {
            placed.expect("accepted");
        }
        done += n;
    }
}
