//! Clients that never read must not grow the server's memory: the backend runs as its own process (so
//! its resident memory can be read alone) while dozens of WebSocket clients that never read a byte sit
//! on its feeds and a steady order flow makes hundreds of thousands of messages for them.

use std::sync::Arc;
use std::time::Duration;

use backend::config::{EngineSettings, Markets};
use backend::engine::Engine;
use common::{Dec, NewOrder, OrderType, Side, Symbol, TimeInForce};
use futures_util::SinkExt;
use serde_json::json;
use testkit::process::rss_mb;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

/// Orders from two users at one price, alternating sides: every second one trades, so each makes a
/// book update, order updates, often a trade and fills, and the book stays small.
fn order(side: Side) -> NewOrder {
    NewOrder {
        symbol: Symbol::parse("BTC/USD").unwrap(),
        side,
        order_type: OrderType::Limit,
        quantity: Dec::parse("0.01").unwrap(),
        quote_quantity: None,
        price: Some(Dec::parse("50000").unwrap()),
        time_in_force: TimeInForce::Gtc,
        post_only: false,
        client_order_id: None,
        stop_price: None,
    }
}

#[tokio::test]
async fn clients_that_never_read_do_not_grow_the_servers_memory() {
    let redis = RedisProcess::start(&[]).expect("redis-server starts");
    let port = free_port();
    let server = BackendProcess::start(
        env!("CARGO_BIN_EXE_backend").as_ref(),
        port,
        &[("REDIS_URL", &redis.url()), ("RUST_LOG", "error")],
    )
    .await;
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let http = reqwest::Client::new();
    let token = register_and_login(&http, &base, "alice", "password-of-alice").await;
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let alice: u64 = redis::cmd("HGET").arg("user:name:alice").arg("id").query_async(&mut conn).await.unwrap();

    // Clients that never read: 30 on the public book feed, 10 on alice's private feed.
    let ws = format!("ws://127.0.0.1:{port}/api/v1/ws");
    let mut idle = Vec::new();
    for _ in 0..30 {
        idle.push(tokio_tungstenite::connect_async(format!("{ws}/orderbook/BTC-USD")).await.unwrap().0);
    }
    for _ in 0..10 {
        let (mut s, _) = tokio_tungstenite::connect_async(format!("{ws}/user")).await.unwrap();
        s.send(Message::Text(json!({"type": "auth", "token": token}).to_string().into())).await.unwrap();
        idle.push(s);
    }
    // One client that reads, to show the feed keeps flowing for the others.
    let (mut reader, _) = tokio_tungstenite::connect_async(format!("{ws}/orderbook/BTC-USD")).await.unwrap();
    let received = tokio::spawn(async move { drain(&mut reader, Duration::from_secs(5)).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = server.pid();
    let before = rss_mb(pid);

    // The flow, straight into the engine from 8 writers, with the server's memory sampled throughout.
    let engine = Engine::new(conn.clone(), Arc::new(Markets::defaults()), EngineSettings::default());
    engine.load_library().await.unwrap();
    let btc_usd = common::Symbol::parse("BTC/USD").unwrap();
    testkit::fund_subaccounts(&mut conn.clone(), &btc_usd, [alice, alice + 1], 1 << 60, 1 << 60).await;
    const ORDERS: usize = 40_000;
    let mut writers = Vec::new();
    for w in 0..8 {
        let engine = engine.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..ORDERS / 8 {
                let (user, side) = if (i + w) % 2 == 0 { (alice, Side::Buy) } else { (alice + 1, Side::Sell) };
                engine.place(user, &order(side)).await.expect("placed");
            }
        }));
    }
    let mut peak = before;
    while !writers.iter().all(|w| w.is_finished()) {
        peak = peak.max(rss_mb(pid));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for w in writers {
        w.await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    peak = peak.max(rss_mb(pid));

    let delivered = received.await.unwrap();
    eprintln!("backend RSS {before:.1} MB before, peak {peak:.1} MB; the reading client got {delivered} messages");
    // At least three messages per order for 30 public clients: about 12 MB of text per client had the
    // server queued them without bound, 360 MB in all.
    assert!(peak - before < 48.0, "the server grew by {:.1} MB", peak - before);
    assert!(delivered > ORDERS, "the reading client kept receiving ({delivered} messages)");
    drop(idle);
}
