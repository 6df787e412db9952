//! Redis is never blocked for long: a market order against a deep book stops at the fill cap, and
//! Redis's own SLOWLOG shows how long the call took.

use backend::config::EngineSettings;
use backend::engine::{BatchOrder, StatusFilter};
use common::time::now_ms;
use common::{OrderStatus, Side::*};

use crate::helpers::*;

/// The documented bound on one call (README: a capped sweep takes about 3 ms on the project's machine);
/// the margin absorbs a slow or busy test machine, while an uncapped sweep of this book takes far longer.
const BOUND_MICROS: i64 = 30_000;

#[tokio::test]
async fn a_market_order_against_a_deep_book_stays_within_the_bound_in_slowlog() {
    let mut t = spawn_engine(Deployment::Single).await;
    // 10,000 resting sells on 10 levels from 100 users (the open-orders cap is per user).
    rest_sells(&t, 100, 100, |_, i| format!("{}", 50_000 + i % 10)).await;
    slowlog_reset(&mut t).await;

    let sweep = market_order(Buy, "100").by(&t, 1_000).await.unwrap().order;

    let cap = EngineSettings::default().max_fills_per_call as usize;
    assert_eq!(sweep.trades.as_ref().unwrap().len(), cap, "the sweep stops at the fill cap");
    assert_eq!(sweep.status, OrderStatus::Cancelled, "and its remainder is cancelled");
    let call = slowest_function_call(&mut t).await;
    eprintln!("the capped sweep took {call} us in Redis");
    assert!(call < BOUND_MICROS, "one call blocked Redis for {call} us");
    let book = t.engine.book(&common::Symbol::parse(SYMBOL).unwrap(), 20).await.unwrap();
    let resting: rust_decimal::Decimal = book.asks.iter().map(|l| l.quantity.0).sum();
    assert_eq!(resting, rust_decimal::Decimal::new(10_000 - cap as i64, 2), "everything not filled still rests");
}

/// Rests `per_user` sells of 0.01 from each of users 1 to `users` (the open-orders cap is per user), the
/// users at once, each user's orders one after the other, the `i`th of user `user` at `price(user, i)`.
async fn rest_sells(t: &TestEngine, users: u64, per_user: u64, price: fn(u64, u64) -> String) {
    let mut placing = Vec::new();
    for user in 1..=users {
        let engine = t.engine.clone();
        placing.push(tokio::spawn(async move {
            for i in 0..per_user {
                engine.place(user, &limit(Sell, "0.01", &price(user, i)).0).await.unwrap();
            }
        }));
    }
    for p in placing {
        p.await.unwrap();
    }
}

/// Logs every command in Redis's SLOWLOG from now on, which is emptied.
async fn slowlog_reset(t: &mut TestEngine) {
    let _: () =
        redis::cmd("CONFIG").arg("SET").arg("slowlog-log-slower-than").arg(0).query_async(&mut t.conn).await.unwrap();
    let _: () = redis::cmd("SLOWLOG").arg("RESET").query_async(&mut t.conn).await.unwrap();
}

/// How long the slowest function call since `slowlog_reset` took in Redis, in microseconds.
async fn slowest_function_call(t: &mut TestEngine) -> i64 {
    // Each entry: id, timestamp, duration in microseconds, the command's arguments, client, name.
    let log: Vec<Vec<redis::Value>> = redis::cmd("SLOWLOG").arg("GET").arg(100).query_async(&mut t.conn).await.unwrap();
    log.into_iter()
        .filter_map(|entry| {
            let micros: i64 = redis::from_redis_value(entry.get(2)?.clone()).ok()?;
            // The arguments include binary ones: only the command's name is read.
            let args: Vec<redis::Value> = redis::from_redis_value(entry.get(3)?.clone()).ok()?;
            let name: String = redis::from_redis_value(args.first()?.clone()).ok()?;
            name.eq_ignore_ascii_case("fcall").then_some(micros)
        })
        .max()
        .expect("the function call is in the SLOWLOG")
}

/// A cancel costs no more at a level of 100,000 orders than at a level of one: the cancelled order's
/// id stays in the level's list as a tombstone, swept a few at a time (lua/engine_lib.lua, "Level
/// queues"). Before, a cancel searched the list from its front: one user's cancel-all of 1,000 orders
/// spread over this level took about a second in one call.
#[tokio::test]
async fn cancels_at_a_level_of_100000_orders_stay_within_the_bound_in_slowlog() {
    const USERS: u64 = 100;
    const PER_USER: u64 = 1_000;
    let settings = EngineSettings { max_open_orders_per_user: PER_USER as u32, ..EngineSettings::default() };
    let mut t = spawn_engine_with(Deployment::Single, settings).await;
    let sym = common::Symbol::parse(SYMBOL).unwrap();
    let market = t.engine.market(&sym).unwrap().clone();
    // One level, the users taking turns: each user's orders lie from its front to its back. (Ids of a
    // range of their own: next_order_id's counter starts at 1.)
    let sell = t.engine.check(&limit(Sell, "0.01", "50000").0).unwrap().1;
    let base = 1_000_000_000u64;
    for chunk in 0..(USERS * PER_USER / 1_000) {
        let batch: Vec<BatchOrder> = (0..1_000u64)
            .map(|i| {
                let n = chunk * 1_000 + i;
                BatchOrder { user_id: n % USERS + 1, id: base + n, order: &sell }
            })
            .collect();
        for placed in t.engine.place_batch(&market, &batch, now_ms()).await.unwrap() {
            placed.unwrap();
        }
    }
    let level = |t: &TestEngine| {
        let engine = t.engine.clone();
        let sym = sym.clone();
        async move { engine.book(&sym, 1).await.unwrap().asks[0].order_count }
    };
    assert_eq!(level(&t).await, USERS * PER_USER);

    // One cancel, of the level's last order.
    slowlog_reset(&mut t).await;
    t.engine.cancel(USERS, base + USERS * PER_USER - 1).await.unwrap();
    let one = slowest_function_call(&mut t).await;
    // One user's cancel-all: its other 999 orders, all along the level.
    slowlog_reset(&mut t).await;
    let (ids, _) = t.engine.cancel_all(USERS, Some(&sym)).await.unwrap();
    assert_eq!(ids.len() as u64, PER_USER - 1);
    let all = slowest_function_call(&mut t).await;
    eprintln!("at a level of 100,000 orders: one cancel took {one} us in Redis, a cancel-all of 999 {all} us");
    assert!(one < 2_000, "one cancel blocked Redis for {one} us");
    assert!(all < 100_000, "one cancel-all blocked Redis for {all} us");
    assert_eq!(level(&t).await, (USERS - 1) * PER_USER, "the level counts its orders, not its tombstones");

    // Half the level cancelled, user by user (users 1 to 49; 100 is gone): the sweep keeps the list near the level's length, and
    // matching takes the live orders in time order, skipping the tombstones.
    for user in 1..USERS / 2 {
        t.engine.cancel_all(user, Some(&sym)).await.unwrap();
    }
    let live = (USERS / 2) * PER_USER;
    assert_eq!(level(&t).await, live);
    let k = backend::engine::MarketKeys::new(&sym);
    let list = k.level_list(Sell, market.price_to_ticks(dec("50000")).unwrap());
    let listed: u64 = redis::cmd("LLEN").arg(&list).query_async(&mut t.conn).await.unwrap();
    let front: u64 = redis::cmd("LLEN").arg(format!("{list}:front")).query_async(&mut t.conn).await.unwrap();
    eprintln!("{live} orders at the level, {} ids listed", listed + front);
    // (Each cancel-all cancels 1,000 orders at the level and sweeps 64 steps of 64 entries.)
    assert!(listed + front <= live + live / 4 + 2_000, "{} ids listed for {live} orders", listed + front);
    slowlog_reset(&mut t).await;
    let taker = limit(Buy, "2", "50000").by(&t, 10_000).await.unwrap().order;
    let took = slowest_function_call(&mut t).await;
    eprintln!("a buy of 200 orders through the tombstones took {took} us in Redis");
    let makers: Vec<u64> = taker.trades.unwrap().iter().map(|tr| tr.maker_order_id).collect();
    let expected: Vec<u64> = (0..USERS * PER_USER)
        .filter(|n| (USERS / 2..USERS).contains(&(n % USERS + 1)))
        .take(200)
        .map(|n| base + n)
        .collect();
    assert_eq!(makers, expected, "the oldest live orders, in time order");
    assert_eq!(level(&t).await, live - 200);
}

/// An order list costs Redis about the same whatever the user's history: a user with 500 open orders
/// and a full history (the cap, 1,000, and up to a quarter more before a trim) lists 1,000 of them.
#[tokio::test]
async fn an_order_list_over_a_full_history_stays_within_the_bound_in_slowlog() {
    let mut t = spawn_engine(Deployment::Single).await;
    let sym = common::Symbol::parse(SYMBOL).unwrap();
    for i in 0..500u64 {
        limit(Buy, "0.01", &format!("{}", 100 + i)).by(&t, 1).await.unwrap();
    }
    for _ in 0..1_300 {
        // A market buy on an empty ask side is cancelled at once: a close.
        market_order(Buy, "0.01").by(&t, 1).await.unwrap();
    }
    let closed: usize = redis::cmd("HLEN").arg("{BTC/USD}:user:1:closed").query_async(&mut t.conn).await.unwrap();
    assert!(closed > 1_000, "{closed} closed orders");
    slowlog_reset(&mut t).await;
    let listed = t.engine.orders(1, Some(&sym), StatusFilter::All, 1_000, None).await.unwrap();
    let took = slowest_function_call(&mut t).await;
    eprintln!("listing 1,000 of 500 open and {} closed orders took {took} us in Redis", closed - 1);
    assert_eq!(listed.len(), 1_000);
    assert!(listed.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert!(took < 10_000, "one order list blocked Redis for {took} us");
}

/// The function library memoises names made from numbers (keys of buckets, users, price levels) across
/// calls and drops its memos past a bound: a book of 16,000 levels (48,000 level names) goes past it,
/// and the engine stays exact while the library's memory stays small (Redis's used_memory_vm_functions:
/// about 6 MB here without the bound, 3.5 with it).
#[tokio::test]
async fn the_librarys_memo_of_names_is_bounded_and_the_engine_stays_exact() {
    let mut t = spawn_engine(Deployment::Single).await;
    let mut placing = Vec::new();
    for user in 1..=40u64 {
        let engine = t.engine.clone();
        placing.push(tokio::spawn(async move {
            for i in 0..400u64 {
                let req = limit(Buy, "0.01", &format!("{}", 1 + (user - 1) * 400 + i));
                engine.place(user, &req.0).await.unwrap();
            }
        }));
    }
    for p in placing {
        p.await.unwrap();
    }
    let sym = common::Symbol::parse(SYMBOL).unwrap();
    let book = t.engine.book(&sym, 5000).await.unwrap();
    assert_eq!(book.bids.len(), 5000);
    assert_eq!(book.bids[0].price.to_string(), "16000");
    assert!(book.bids.iter().all(|l| l.quantity.to_string() == "0.01" && l.order_count == 1));
    // A sell sweeps the top 200 levels, one order each, at the makers' prices (within the fill cap).
    let sweep = limit(Sell, "2", "15801").by(&t, 99).await.unwrap().order;
    assert_eq!(sweep.filled_quantity.to_string(), "2");
    assert_eq!(sweep.trades.as_ref().unwrap().len(), 200);
    let book = t.engine.book(&sym, 5000).await.unwrap();
    assert_eq!(book.bids[0].price.to_string(), "15800");
    assert_eq!(book.bids.len(), 5000);
    // (On a cluster every master answers INFO: the market's master holds the memos.)
    let reply: redis::Value = redis::cmd("INFO").arg("memory").query_async(&mut t.conn).await.unwrap();
    let infos: Vec<String> = match reply {
        redis::Value::Map(nodes) => nodes.into_iter().map(|(_, v)| redis::from_redis_value(v).unwrap()).collect(),
        one => vec![redis::from_redis_value(one).unwrap()],
    };
    let functions_memory: u64 = infos
        .iter()
        .filter_map(|info| {
            info.lines().find_map(|l| l.strip_prefix("used_memory_vm_functions:")).and_then(|v| v.trim().parse().ok())
        })
        .max()
        .expect("INFO memory names used_memory_vm_functions");
    eprintln!("function library memory: {functions_memory} bytes");
    assert!(functions_memory < 5 << 20, "the function library holds {functions_memory} bytes");
}

/// A closed hash is a hash table from its first close (its window marker's value is too long for a
/// listpack): as a listpack, every close scanned the whole hash for its new field.
#[tokio::test]
async fn closed_orders_live_in_a_hash_table_from_the_first_close() {
    let mut t = spawn_engine(Deployment::Single).await;
    limit(Sell, "1", "100").by(&t, 1).await.unwrap();
    limit(Buy, "1", "100").by(&t, 2).await.unwrap();
    let k = backend::engine::MarketKeys::new(&common::Symbol::parse(SYMBOL).unwrap());
    for user in [1, 2] {
        let encoding: String =
            redis::cmd("OBJECT").arg("ENCODING").arg(k.user_closed(user)).query_async(&mut t.conn).await.unwrap();
        assert_eq!(encoding, "hashtable", "user {user}'s closed orders");
    }
}

/// Calls of `command` Redis served since its statistics were last reset (`INFO commandstats`).
async fn calls_of(t: &mut TestEngine, command: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(&mut t.conn).await.unwrap();
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines().find_map(|l| l.strip_prefix(&prefix)?.split(',').next()?.parse().ok()).unwrap_or(0)
}

async fn reset_stats(t: &mut TestEngine) {
    let () = redis::cmd("CONFIG").arg("RESETSTAT").query_async(&mut t.conn).await.unwrap();
}

/// On a sparse book (here 2,000 asks a dollar apart: each in a level bucket of its own), an order reads
/// the levels it trades with, not the book: a crossing order, a fok order and a shallow book snapshot
/// read a few level buckets (`HGETALL`), however many levels rest behind.
#[tokio::test]
async fn on_a_sparse_book_an_order_reads_only_the_levels_it_needs() {
    let mut t = spawn_engine(Deployment::Single).await;
    rest_sells(&t, 20, 100, |user, i| format!("{}", 10_000 + user * 100 + i)).await;
    let symbol = common::Symbol::parse(SYMBOL).unwrap();
    assert_eq!(t.engine.book(&symbol, 5000).await.unwrap().asks.len(), 2_000);

    for (what, req) in [
        ("a crossing limit order", limit(Buy, "0.02", "10200")),
        ("a fok order", limit(Buy, "0.02", "20000").tif(common::TimeInForce::Fok)),
        ("a fok market order", market_order(Buy, "0.02").tif(common::TimeInForce::Fok)),
    ] {
        reset_stats(&mut t).await;
        let order = req.by(&t, 1_000).await.unwrap().order;
        assert_eq!(order.status, OrderStatus::Filled, "{what}");
        let read = calls_of(&mut t, "hgetall").await;
        assert!(read <= 8, "{what} read {read} level buckets");
    }
    reset_stats(&mut t).await;
    assert_eq!(t.engine.book(&symbol, 10).await.unwrap().asks.len(), 10);
    let read = calls_of(&mut t, "hgetall").await;
    assert!(read <= 16, "a book of 10 levels a side read {read} level buckets");
}
