//! Public reads cost Redis little whatever is asked: book depths are served from a few fixed tiers, a
//! deep book of a busy market is read at most once per 100 ms however many ask, trades reads fetch only
//! the stream entries they need, and one client address has a budget of reads per second.

use std::str::FromStr;

use common::{Dec, NewOrder, Side, Symbol};
use serde_json::json;

use crate::helpers::*;

/// A field of `INFO <section>`, as a number.
async fn info(conn: &mut redis::aio::MultiplexedConnection, section: &str, field: &str) -> u64 {
    let text: String = redis::cmd("INFO").arg(section).query_async(conn).await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.split(',').next().unwrap().trim_start_matches("calls=").trim().parse().unwrap())
        .unwrap_or(0)
}

/// How many times Redis has run a function (FCALL), all functions together.
async fn fcalls(conn: &mut redis::aio::MultiplexedConnection) -> u64 {
    info(conn, "commandstats", "cmdstat_fcall").await + info(conn, "commandstats", "cmdstat_fcall_ro").await
}

fn order(side: Side, qty: &str, price: Option<&str>) -> NewOrder {
    let (symbol, qty) = (Symbol::parse("BTC/USD").unwrap(), Dec::from_str(qty).unwrap());
    match price {
        Some(p) => NewOrder::limit(symbol, side, qty, Dec::from_str(p).unwrap()),
        None => NewOrder::market(symbol, side, qty),
    }
}

#[tokio::test]
async fn any_depth_is_served_from_a_few_tiers_and_a_deep_book_once_per_instant() {
    let app = spawn_app(Deployment::Single).await;
    let alice = app.user("alice").await;
    for i in 0..30 {
        assert_eq!(app.place(&alice, &order(Side::Buy, "0.1", Some(&format!("{}", 100 + i)))).await.status(), 201);
    }
    let mut conn = app.redis_conn().await;
    let before = fcalls(&mut conn).await;
    for depth in 1..=300 {
        let (status, body) =
            status_json(app.get(&format!("/api/v1/orders/book/BTC-USD?depth={depth}"), None).await).await;
        assert_eq!(status, 200);
        assert_eq!(body["bids"].as_array().unwrap().len(), depth.min(30), "depth {depth}");
    }
    let scripts = fcalls(&mut conn).await - before;
    assert!(scripts <= 4, "300 depths of an unchanged book cost {scripts} snapshot scripts (one per tier at most)");

    // 100 clients at once asking for 1,000 levels of a book that changes all along: one snapshot
    // script serves them (each answer says its own sequence).
    let before = fcalls(&mut conn).await;
    let reads = (0..100).map(|_| app.get("/api/v1/orders/book/BTC-USD?depth=1000", None));
    let placing = async {
        for i in 0..5 {
            app.place(&alice, &order(Side::Buy, "0.1", Some(&format!("{}", 200 + i)))).await;
        }
    };
    let (answers, ()) = tokio::join!(futures_util::future::join_all(reads), placing);
    assert!(answers.iter().all(|r| r.status() == 200));
    // (The five placements are at most five calls.)
    let scripts = fcalls(&mut conn).await - before;
    assert!(scripts <= 5 + 3, "100 deep reads and 5 placements cost {scripts} function calls");
    // A shallow book is always the book now: the order just placed is in it.
    app.place(&alice, &order(Side::Buy, "0.1", Some("300"))).await;
    let (_, body) = status_json(app.get("/api/v1/orders/book/BTC-USD?depth=5", None).await).await;
    assert_eq!(body["bids"][0]["price"].as_f64(), Some(300.0));
}

#[tokio::test]
async fn a_trades_read_fetches_only_the_entries_it_needs() {
    let app = spawn_app(Deployment::Single).await;
    let (maker, taker) = (app.user("maker").await, app.user("taker").await);
    // Eight calls that each trade 200 times: eight stream entries of 200 trades.
    for round in 0..8 {
        for i in 0..200 {
            let price = format!("{}", 1000 + round * 1000 + i);
            assert_eq!(app.place(&maker, &order(Side::Sell, "0.01", Some(&price))).await.status(), 201);
        }
        assert_eq!(app.place(&taker, &order(Side::Buy, "2", None)).await.status(), 201);
    }
    let mut conn = app.redis_conn().await;
    let out = |conn| async move {
        let mut conn = conn;
        info(&mut conn, "stats", "total_net_output_bytes").await
    };
    // What one entry costs to send, read directly.
    let start = out(conn.clone()).await;
    let _: redis::Value = redis::cmd("XREVRANGE")
        .arg("{BTC/USD}:trades")
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(&mut conn)
        .await
        .unwrap();
    let one_entry = out(conn.clone()).await - start;
    // Ten trades are in the newest entry: the read sends about one entry, not ten.
    let start = out(conn.clone()).await;
    let (status, body) = status_json(app.get("/api/v1/orders/trades/BTC-USD?limit=10", None).await).await;
    let read = out(conn.clone()).await - start;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().unwrap().len(), 10);
    assert!(read < one_entry * 2, "a read of 10 trades sent {read} bytes; one entry is {one_entry}");
    // 1,000 trades: five entries of the eight.
    let start = out(conn.clone()).await;
    let (_, body) = status_json(app.get("/api/v1/orders/trades/BTC-USD?limit=1000", None).await).await;
    let read = out(conn.clone()).await - start;
    assert_eq!(body.as_array().unwrap().len(), 1000);
    assert!(read < one_entry * 6, "a read of 1,000 trades sent {read} bytes; one entry is {one_entry}");
    // Newest first, across entries.
    let ids: Vec<u64> = body.as_array().unwrap().iter().map(|t| t["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
}

#[tokio::test]
async fn one_address_has_a_budget_of_public_reads_per_second() {
    let app = spawn_app_with(Deployment::Single, |c| {
        c.http.exempt = Default::default();
        c.http.public_reads_per_sec = 5;
    })
    .await;
    for _ in 0..5 {
        assert_eq!(app.get("/api/v1/orders/book/BTC-USD", None).await.status(), 200);
    }
    let r = app.get("/api/v1/orders/trades/BTC-USD", None).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // A session resume (a Redis read for any cookie, a made-up one too) draws on it as well.
    let r = app.client.post(app.url("/api/v1/auth/session")).header("cookie", "exchange_session=a:b").send().await;
    assert_eq!(r.unwrap().status(), 429);
    // The book feed's requests draw on the same budget (its snapshot on connect does not).
    let mut ws = connect(&app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
    next_of(&mut ws, "order_book_snapshot").await;
    say(&mut ws, json!({"type": "get_order_book", "depth": 20})).await;
    let answer = next(&mut ws).await.unwrap();
    assert_eq!(answer["type"], "error", "{answer}");
    assert!(answer["data"]["message"].as_str().unwrap().contains("too many reads"), "{answer}");
}
