//! Stop orders through the engine (issue 25's targets). A cascade: `stops` pending sell stops on 100
//! nearby prices, above as many bids, triggered by one market sell; each stop's sale empties its level
//! and reaches the next level's stops, and the calls that follow place the rest a call's budget at a
//! time, back to back, as the backend's tick does (targets: the longest single call ≤ 5 ms, all placed
//! within 1 s, the book consistent after). And the engine's orders/s with `pending` stops resting far
//! from the price, beside the same flow with none (target: ≥ 90 %).

use std::time::Instant;

use backend::engine::{read_placements, BatchOrder, CheckedOrder, Engine};
use common::time::now_ms;
use common::{OrderType, Side, Symbol, TimeInForce};
use redis::aio::MultiplexedConnection;

use crate::flows::{connect, engine_flow, flow_order, fund_flow_users, fund_users};
use crate::BATCH;

/// Prices the cascade's stops and bids are on, a tick apart below 50,000.00.
const LEVELS: u64 = 100;
const TOP: u64 = 5_000_000;

pub struct Cascade {
    pub stops: usize,
    /// Calls that placed them, the sweep's included.
    pub calls: usize,
    /// Redis's time in the longest single call, and the time from the sweep's start to the last call's
    /// end (in a second cascade, not slowed by the first one's reading of Redis's times after each call).
    pub longest_ms: f64,
    pub total_ms: f64,
}

/// The cascade twice on fresh databases (the caller's `client`'s, flushed): once timing each call in
/// Redis, once end to end.
pub async fn cascade(client: &redis::Client, engine: &Engine<MultiplexedConnection>, stops: usize) -> Cascade {
    let flush = || async {
        let _: () = redis::cmd("FLUSHDB").query_async(&mut connect(client).await).await.unwrap();
    };
    flush().await;
    let timed = cascade_once(client, engine, stops, true).await;
    flush().await;
    let whole = cascade_once(client, engine, stops, false).await;
    Cascade { total_ms: whole.total_ms, ..timed }
}

/// Redis's total time in function calls so far, µs (`INFO commandstats`).
async fn fcall_usec(conn: &mut MultiplexedConnection) -> f64 {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(conn).await.unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_fcall:"))
        .and_then(|rest| rest.split(',').find_map(|f| f.strip_prefix("usec=")))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// A stop-market order of the flow's size: a sell (for the cascade) or a buy, at `stop` ticks.
fn stop_order(side: Side, stop: u64) -> CheckedOrder {
    CheckedOrder {
        side,
        order_type: OrderType::StopMarket,
        time_in_force: TimeInForce::Ioc,
        price_ticks: 0,
        stop_ticks: stop,
        ..flow_order(0)
    }
}

/// Places `orders` (user, order) a call of 50 at a time; each must be accepted.
async fn place_all(
    conn: &mut MultiplexedConnection,
    engine: &Engine<MultiplexedConnection>,
    orders: &[(u64, CheckedOrder)],
) {
    let market = engine.market(&Symbol::parse("BTC/USD").unwrap()).unwrap().clone();
    for chunk in orders.chunks(50) {
        let last: u64 = redis::cmd("INCRBY").arg("next_order_id").arg(chunk.len()).query_async(conn).await.unwrap();
        let first = last + 1 - chunk.len() as u64;
        let batch: Vec<BatchOrder> = chunk
            .iter()
            .enumerate()
            .map(|(k, (user_id, order))| BatchOrder { user_id: *user_id, id: first + k as u64, order })
            .collect();
        let reply: Vec<redis::Value> =
            engine.place_invocation(&market, &batch, now_ms()).unwrap().invoke_async(conn).await.unwrap();
        for placed in read_placements(&market, &reply).unwrap() {
            placed.expect("accepted");
        }
    }
}

async fn cascade_once(
    client: &redis::Client,
    engine: &Engine<MultiplexedConnection>,
    stops: usize,
    timed: bool,
) -> Cascade {
    let market = engine.market(&Symbol::parse("BTC/USD").unwrap()).unwrap().clone();
    let mut conn = connect(client).await;
    let (owners, bidders, seller) = (6_000_001u64, 7_000_001u64, 8_000_000u64);
    fund_users(&mut conn, &market.symbol, (owners..owners + 1000).chain(bidders..bidders + 1000).chain([seller])).await;
    let per_level = stops as u64 / LEVELS;
    // As many bids as stops, `per_level` at each price; the stops over them, the same number per price.
    let bids: Vec<(u64, CheckedOrder)> = (0..stops as u64)
        .map(|i| {
            (bidders + i % 1000, CheckedOrder { side: Side::Buy, price_ticks: TOP - i / per_level, ..flow_order(0) })
        })
        .collect();
    place_all(&mut conn, engine, &bids).await;
    let pending: Vec<(u64, CheckedOrder)> =
        (0..stops as u64).map(|i| (owners + i % 1000, stop_order(Side::Sell, TOP - i / per_level))).collect();
    place_all(&mut conn, engine, &pending).await;

    // The sweep: one lot-sized market sell at the best bid, reaching the first level's stops.
    let sweep = CheckedOrder {
        side: Side::Sell,
        order_type: OrderType::Market,
        time_in_force: TimeInForce::Ioc,
        price_ticks: 0,
        ..flow_order(0)
    };
    let id: u64 = redis::cmd("INCR").arg("next_order_id").query_async(&mut conn).await.unwrap();
    let started = Instant::now();
    let mut longest = 0.0f64;
    let mut before = if timed { fcall_usec(&mut conn).await } else { 0.0 };
    let call = [BatchOrder { user_id: seller, id, order: &sweep }];
    let reply: Vec<redis::Value> =
        engine.place_invocation(&market, &call, now_ms()).unwrap().invoke_async(&mut conn).await.unwrap();
    let mut placed = read_placements(&market, &reply).unwrap().pop().unwrap().unwrap().triggered.len();
    let mut calls = 1;
    loop {
        if timed {
            let after = fcall_usec(&mut conn).await;
            longest = longest.max(after - before);
            before = after;
        }
        let (events, left) = engine.trigger_stops(&market).await.unwrap();
        placed += events.len();
        calls += 1;
        if !left {
            break;
        }
    }
    let total_ms = started.elapsed().as_secs_f64() * 1e3;
    if timed {
        longest = longest.max(fcall_usec(&mut conn).await - before);
    }

    // Consistent after: every stop placed once, nothing pending, the bids all taken (the sweep took one,
    // so the last stop found none), the book's count of resting orders what the book holds.
    assert_eq!(placed, stops, "each stop placed once");
    let left: u64 = redis::cmd("ZCARD").arg("{BTC/USD}:stops:sell").query_async(&mut conn).await.unwrap();
    assert_eq!(left, 0, "no stop left pending");
    let book = engine.book(&market.symbol, 1000).await.unwrap();
    assert!(book.bids.is_empty() && book.asks.is_empty(), "every bid taken, nothing rested: {book:?}");
    let resting: Option<u64> = redis::cmd("GET").arg("{BTC/USD}:resting").query_async(&mut conn).await.unwrap();
    assert_eq!(resting.unwrap_or(0), 0);
    Cascade { stops, calls, longest_ms: longest / 1e3, total_ms }
}

/// The flow's orders/s with `pending` stop-market buys resting far above its prices, and without any,
/// on a fresh database each time (the caller flushes): (with, without).
pub async fn flow_beside_pending(
    client: &redis::Client,
    engine: &Engine<MultiplexedConnection>,
    pending: usize,
    orders: usize,
) -> (f64, f64) {
    let symbol = Symbol::parse("BTC/USD").unwrap();
    let flush = || async {
        let _: () = redis::cmd("FLUSHDB").query_async(&mut connect(client).await).await.unwrap();
        fund_flow_users(client, 0).await;
    };
    flush().await;
    let without = engine_flow(client, engine, orders, 0, BATCH).await.0;
    flush().await;
    let mut conn = connect(client).await;
    let owners = 3_000_001u64;
    fund_users(&mut conn, &symbol, owners..owners + 1000).await;
    // Buy stops at 60,000.00 and up: the flow trades near 50,000 and never reaches them.
    let stops: Vec<(u64, CheckedOrder)> =
        (0..pending as u64).map(|i| (owners + i % 1000, stop_order(Side::Buy, 6_000_000 + i % 10_000))).collect();
    place_all(&mut conn, engine, &stops).await;
    let with = engine_flow(client, engine, orders, 0, BATCH).await.0;
    let held: u64 = redis::cmd("ZCARD").arg("{BTC/USD}:stops:buy").query_async(&mut conn).await.unwrap();
    assert_eq!(held, pending as u64, "the stops still pending");
    (with, without)
}
