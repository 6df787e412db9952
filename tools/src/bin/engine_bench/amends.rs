//! Changing orders through the engine (issue 25's target: amends per second at least 0.8 x the engine's
//! placements per second): `total` resting orders placed one per call, then each changed once — every
//! other one to a lower quantity (it keeps its place), the others to a new price (it moves to the back
//! of another level) — one per call, over the same connections and pipeline depth, on the same Redis.

use std::time::Instant;

use backend::engine::{read_amend, read_placements, BatchOrder, Change, CheckedOrder, Engine};
use common::time::now_ms;
use common::{Side, Symbol};
use redis::aio::MultiplexedConnection;

use crate::flows::{connect, flow_order};
use crate::{CONNECTIONS, PIPELINE};

/// The resting bid of the `i`-th order of a caller: below every price of the flow, on 1,000 levels.
fn resting_bid(i: u64) -> CheckedOrder {
    CheckedOrder { side: Side::Buy, price_ticks: 4_000_000 + (i % 1000) * 100, ..flow_order(0) }
}

/// The change of the `i`-th order: a lower quantity, or a price a level up (still far below the asks).
fn change_of(i: u64) -> Change {
    if i.is_multiple_of(2) {
        Change { quantity_lots: Some(resting_bid(i).quantity_lots / 2), price_ticks: None }
    } else {
        Change { quantity_lots: None, price_ticks: Some(resting_bid(i).price_ticks + 100) }
    }
}

/// Places `total` resting orders and then changes each once, as above, for the users `user_base + 1 ..=
/// user_base + 1000` (funded: `flows::fund_flow_users`). Returns (placements/s, amends/s).
pub async fn placements_then_amends(
    client: &redis::Client,
    engine: &Engine<MultiplexedConnection>,
    total: usize,
    user_base: u64,
) -> (f64, f64) {
    let market = engine.market(&Symbol::parse("BTC/USD").unwrap()).unwrap().clone();
    let per_conn = total / CONNECTIONS;
    let user_of = move |i: u64| user_base + 1 + i % 1000;
    // Placements: each caller's orders, ids taken a pipeline at a time.
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (mut conn, engine, market) = (connect(client).await, engine.clone(), market.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::with_capacity(per_conn);
            while ids.len() < per_conn {
                let n = PIPELINE.min(per_conn - ids.len());
                let last: u64 = redis::cmd("INCRBY").arg("next_order_id").arg(n).query_async(&mut conn).await.unwrap();
                let orders: Vec<(u64, u64, CheckedOrder)> = (0..n as u64)
                    .map(|k| {
                        let i = ids.len() as u64 + k;
                        (user_of(i), last - n as u64 + 1 + k, resting_bid(i))
                    })
                    .collect();
                let mut pipe = redis::pipe();
                for (user_id, id, order) in &orders {
                    let call = [BatchOrder { user_id: *user_id, id: *id, order }];
                    pipe.add_command(engine.place_invocation(&market, &call, now_ms()).expect("a listed market").cmd());
                }
                let replies: Vec<Vec<redis::Value>> = pipe.query_async(&mut conn).await.unwrap();
                for reply in &replies {
                    for placed in read_placements(&market, reply).expect("a placement reply") {
                        assert!(placed.expect("accepted").order.status.is_open(), "a resting bid");
                    }
                }
                ids.extend(orders.iter().map(|(_, id, _)| *id));
            }
            (conn, ids)
        }));
    }
    let mut callers = Vec::new();
    for t in tasks {
        callers.push(t.await.unwrap());
    }
    let placements = (per_conn * CONNECTIONS) as f64 / start.elapsed().as_secs_f64();

    // Amends: each caller changes its own orders, in the order it placed them.
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (mut conn, ids) in callers {
        let (engine, market) = (engine.clone(), market.clone());
        tasks.push(tokio::spawn(async move {
            for (chunk_at, chunk) in ids.chunks(PIPELINE).enumerate() {
                // (Trade ids, one per change, as the backend takes them: unused here, nothing crosses.)
                let last: u64 =
                    redis::cmd("INCRBY").arg("next_order_id").arg(chunk.len()).query_async(&mut conn).await.unwrap();
                let mut pipe = redis::pipe();
                for (k, id) in chunk.iter().enumerate() {
                    let i = (chunk_at * PIPELINE + k) as u64;
                    let trade_id = last - chunk.len() as u64 + 1 + k as u64;
                    let call = engine
                        .amend_invocation(&market, user_of(i), *id, change_of(i), trade_id, now_ms())
                        .expect("a listed market");
                    pipe.add_command(call.cmd());
                }
                let replies: Vec<Vec<redis::Value>> = pipe.query_async(&mut conn).await.unwrap();
                for reply in &replies {
                    let amended = read_amend(&market, reply).expect("an amend accepted");
                    assert!(amended.event.book_changed && amended.order.trades.is_some_and(|t| t.is_empty()));
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let amends = (per_conn * CONNECTIONS) as f64 / start.elapsed().as_secs_f64();
    (placements, amends)
}
