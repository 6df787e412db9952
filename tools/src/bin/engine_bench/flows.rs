//! The benchmark's scenarios: the mixed order flow through the engine, the yardstick driven the same
//! way, a deep resting book and the longest single call.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use backend::engine::{read_placements, BatchOrder, CheckedOrder, Engine};
use common::time::now_ms;
use common::{OrderType, Side, Symbol, TimeInForce};
use redis::aio::{ConnectionLike, MultiplexedConnection};

use crate::stats::{redis_cpu, used_memory};
use crate::{CONNECTIONS, PIPELINE};

/// What each user of the benchmark holds of each asset in a market (units): far more than its orders
/// spend, so that every order of the flow is covered and the engine settles every fill.
const BENCH_UNITS: u64 = 100_000_000_000_000_000;
/// Funds the users of the flow `engine_flow` runs with `user_base` (in the database `client` names),
/// in BTC/USD: outside the measured time and CPU.
pub async fn fund_flow_users(client: &redis::Client, user_base: u64) {
    let symbol = Symbol::parse("BTC/USD").unwrap();
    fund_users(&mut connect(client).await, &symbol, user_base + 1..=user_base + 1000).await;
}

/// Credits each user's sub-account in the market with `BENCH_UNITS` of its base and quote.
pub async fn fund_users<C: ConnectionLike>(conn: &mut C, symbol: &Symbol, users: impl IntoIterator<Item = u64>) {
    testkit::fund_subaccounts(conn, symbol, users, BENCH_UNITS, BENCH_UNITS).await;
}

/// A deterministic pseudo-random stream (xorshift), so every run offers the same flow.
pub struct Rng(u64);
impl Rng {
    /// The stream of caller `n`: each caller its own, the same in every run.
    pub fn for_caller(n: u64) -> Rng {
        Rng(0x9E37_79B9_7F4A_7C15 ^ ((n + 1) * 0x1000_0001))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The yardstick's flow: side from r % 2, price 49950 + (r / 2) % 100, quantity 1 + (r / 200) % 5;
/// here in ticks of 0.01 and lots of 0.01 BTC, from 1,000 users, all gtc limit orders.
pub fn flow_order(r: u64) -> CheckedOrder {
    CheckedOrder {
        side: if r.is_multiple_of(2) { Side::Buy } else { Side::Sell },
        order_type: OrderType::Limit,
        time_in_force: TimeInForce::Gtc,
        post_only: false,
        price_ticks: (49_950 + (r / 2) % 100) * 100,
        quantity_lots: (1 + (r / 200) % 5) * 1_000_000,
        quote_budget: 0,
        client_order_id: String::new(),
        stop_ticks: 0,
    }
}

/// The next `n` orders of the flow, with the ids `last - n + 1 ..= last` (taken by one INCRBY), from
/// the users `user_base + 1 ..= user_base + 1000`: (user id, order id, order). The user is drawn apart
/// from the order: taken from the order's own number, it would fix each user's side, price and size
/// (all three follow from `r % 1000`), so that a few users would hold every resting order and reach
/// the open-orders cap.
pub fn flow_orders(rng: &mut Rng, n: usize, last: u64, user_base: u64) -> Vec<(u64, u64, CheckedOrder)> {
    (0..n)
        .map(|i| {
            let r = rng.next() % 1_000_000;
            let user = user_base + 1 + rng.next() % 1000;
            (user, last - n as u64 + 1 + i as u64, flow_order(r))
        })
        .collect()
}

/// Runs `total` orders of the mixed flow over CONNECTIONS connections, PIPELINE orders per round trip
/// in script calls of `batch` orders (its users funded first: `fund_flow_users`). Returns orders per
/// second and the share that rested.
pub async fn engine_flow(
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
        let mut conn = connect(client).await;
        let engine = engine.clone();
        let market = market.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::for_caller(c as u64);
            let mut rested = 0usize;
            let mut done = 0;
            while done < per_conn {
                let n = PIPELINE.min(per_conn - done);
                let last: u64 = redis::cmd("INCRBY").arg("next_order_id").arg(n).query_async(&mut conn).await.unwrap();
                let orders = flow_orders(&mut rng, n, last, user_base);
                let mut pipe = redis::pipe();
                let calls: Vec<Vec<BatchOrder>> = orders
                    .chunks(batch)
                    .map(|chunk| {
                        chunk
                            .iter()
                            .map(|(user_id, id, order)| BatchOrder { user_id: *user_id, id: *id, order })
                            .collect()
                    })
                    .collect();
                for call in &calls {
                    pipe.add_command(engine.place_invocation(&market, call, now_ms()).expect("a listed market").cmd());
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

/// A connection without a response timeout: a benchmark waits as long as Redis takes (under valgrind,
/// `scripts/engine_profile.sh`, a pipeline of script calls takes seconds).
pub async fn connect(client: &redis::Client) -> MultiplexedConnection {
    let config = redis::AsyncConnectionConfig::new().set_connection_timeout(None).set_response_timeout(None);
    client.get_multiplexed_async_connection_with_config(&config).await.expect("Redis answers")
}

/// The yardstick driven exactly like the engine: same connections, same pipeline depth.
pub async fn yardstick_flow(client: &redis::Client, sha: &str, total: usize) -> f64 {
    let per_conn = total / CONNECTIONS;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let mut conn = connect(client).await;
        let sha = sha.to_string();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::for_caller(c as u64);
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

/// How resting orders spread over the price levels.
#[derive(Clone, Copy, PartialEq)]
pub enum Spread {
    /// On 1,000 levels a side, hundreds of orders each: the book of a busy market near its touch.
    Dense,
    /// One order per level: a sparse book, as bots laddering orders over many levels make away from
    /// the touch (issue 28).
    OnePerLevel,
}

/// Rests `count` orders away from the flow's prices (bids below, asks above), 500 per user, spread as
/// `spread` says, and returns the growth of Redis's `used_memory` per order.
pub async fn fill_resting(
    client: &redis::Client,
    engine: &Engine<MultiplexedConnection>,
    count: usize,
    spread: Spread,
) -> f64 {
    let market = engine.market(&Symbol::parse("BTC/USD").unwrap()).unwrap().clone();
    let mut conn = connect(client).await;
    fund_users(&mut conn, &market.symbol, 1_000_000..=1_000_000 + count as u64 / 500).await;
    let before = used_memory(&mut conn).await;
    let cpu_before = redis_cpu(&mut conn).await;
    let started = Instant::now();
    let mut placed = 0;
    while placed < count {
        let n = 1000.min(count - placed);
        let first: u64 = redis::cmd("INCRBY").arg("next_order_id").arg(n).query_async(&mut conn).await.unwrap();
        let orders: Vec<(u64, u64, CheckedOrder)> = (0..n)
            .map(|i| {
                let k = (placed + i) as u64;
                let sell = k % 2 == 1;
                // Dense: levels 100 ticks apart; one per level: each order a tick beyond the last.
                let (level, step) = match spread {
                    Spread::Dense => ((k / 2) % 1000, 100),
                    Spread::OnePerLevel => (k / 2, 1),
                };
                let order = CheckedOrder {
                    side: if sell { Side::Sell } else { Side::Buy },
                    price_ticks: if sell { 6_000_000 + level * step } else { 4_000_000 + level * step },
                    ..flow_order(0)
                };
                (1_000_000 + k / 500, first - n as u64 + 1 + i as u64, order)
            })
            .collect();
        let mut pipe = redis::pipe();
        for chunk in orders.chunks(50) {
            let call: Vec<BatchOrder> =
                chunk.iter().map(|(user_id, id, order)| BatchOrder { user_id: *user_id, id: *id, order }).collect();
            pipe.add_command(engine.place_invocation(&market, &call, now_ms()).expect("a listed market").cmd())
                .ignore();
        }
        let _: () = pipe.query_async(&mut conn).await.unwrap();
        placed += n;
        if placed % 100_000 == 0 && std::io::stderr().is_terminal() {
            eprint!("\r  resting orders: {placed}/{count}");
        }
    }
    let cpu = redis_cpu(&mut conn).await - cpu_before;
    let spread = if spread == Spread::Dense { "" } else { ", one per level" };
    eprintln!(
        "\r  resting orders{spread}: {count} in {:.1} s, Redis CPU {:.1} us per order",
        started.elapsed().as_secs_f64(),
        cpu * 1e6 / count as f64
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = used_memory(&mut conn).await;
    (after - before) as f64 / count as f64
}

/// The fill cap's bound on one call: rests 1,500 sells of distinct users at one price, then sends a
/// market buy for all of them. Returns the fills it made and the script's time in Redis, in ms.
pub async fn sweep_bound(client: &redis::Client, engine: &Engine<MultiplexedConnection>) -> (usize, f64) {
    let market = engine.market(&Symbol::parse("BTC/USD").unwrap()).unwrap().clone();
    let mut conn = connect(client).await;
    let makers = 1500u64;
    let first: u64 = redis::cmd("INCRBY").arg("next_order_id").arg(makers + 1).query_async(&mut conn).await.unwrap();
    let sell = CheckedOrder { side: Side::Sell, price_ticks: 5_000_000, quantity_lots: 1_000_000, ..flow_order(0) };
    let rest: Vec<(u64, u64)> = (0..makers).map(|i| (5_000_000 + i, first - makers + i)).collect();
    fund_users(&mut conn, &market.symbol, 4_999_999..5_000_000 + makers).await;
    for chunk in rest.chunks(50) {
        let call: Vec<BatchOrder> =
            chunk.iter().map(|&(user_id, id)| BatchOrder { user_id, id, order: &sell }).collect();
        let reply: Vec<redis::Value> = engine
            .place_invocation(&market, &call, now_ms())
            .expect("a listed market")
            .invoke_async(&mut conn)
            .await
            .unwrap();
        read_placements(&market, &reply).unwrap();
    }
    let sweep = CheckedOrder {
        side: Side::Buy,
        order_type: OrderType::Market,
        time_in_force: TimeInForce::Ioc,
        price_ticks: 0,
        quantity_lots: makers * 1_000_000,
        ..flow_order(0)
    };
    let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query_async(&mut conn).await.unwrap();
    let call = [BatchOrder { user_id: 4_999_999, id: first, order: &sweep }];
    let reply: Vec<redis::Value> = engine
        .place_invocation(&market, &call, now_ms())
        .expect("a listed market")
        .invoke_async(&mut conn)
        .await
        .unwrap();
    let placed = read_placements(&market, &reply).unwrap().pop().unwrap().unwrap();
    let fills = placed.order.trades.map(|t| t.len()).unwrap_or(0);
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(&mut conn).await.unwrap();
    let usec = info
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_fcall:"))
        .and_then(|rest| rest.split(',').find_map(|f| f.strip_prefix("usec=")))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    (fills, usec / 1000.0)
}

/// The yardstick as its README runs it: `redis-benchmark -n N -c 50 -P 16 -r 1000000 EVALSHA sha 0
/// __rand_int__`. None when redis-benchmark is not installed.
pub fn yardstick_redis_benchmark(port: u16, sha: &str, total: usize) -> Option<f64> {
    let out = std::process::Command::new("redis-benchmark")
        .args(["-p", &port.to_string(), "-n", &total.to_string(), "-c", "50", "-P", "16", "-r", "1000000", "-q"])
        .args(["EVALSHA", sha, "0", "__rand_int__"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.rsplit('\r').next()?.trim().to_string();
    let figure = last.split(": ").nth(1)?.split(' ').next()?;
    figure.parse().ok()
}
