//! Redis stopped under a running service: it answers fast with 503 while Redis is down, tells its
//! WebSocket clients, and comes back by itself once Redis does, with no restart.

use std::sync::Arc;
use std::time::Duration;

use backend::config::Markets;
use backend::engine::{wire, Engine};
use common::{Dec, NewOrder, OrderStatus, OrderType, Side, Symbol, TimeInForce};
use serde_json::json;

use crate::helpers::*;

fn sell(price: &str) -> NewOrder {
    NewOrder {
        symbol: Symbol::parse("BTC/USD").unwrap(),
        side: Side::Sell,
        order_type: OrderType::Limit,
        quantity: Dec::parse("1").unwrap(),
        quote_quantity: None,
        price: Some(Dec::parse(price).unwrap()),
        time_in_force: TimeInForce::Gtc,
        post_only: false,
        client_order_id: None,
        stop_price: None,
    }
}

/// Gives user 1 a sub-account in BTC/USD holding 100 BTC, written straight into Redis (not through the
/// library, whose reload on the first placement is what the test is about).
async fn fund_user_1(url: &str) {
    let mut conn = redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap();
    let mut account = Vec::new();
    wire::ACCOUNT.pack(&[10_000_000_000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], &mut account);
    let _: () = redis::cmd("HSET").arg("{BTC/USD}:accounts").arg(1).arg(account).query_async(&mut conn).await.unwrap();
}

#[tokio::test]
async fn the_engine_recovers_from_a_redis_restart_transparently() {
    let mut redis = RedisProcess::start(&[]).unwrap();
    let client = redis::Client::open(redis.url()).unwrap();
    let manager = redis::aio::ConnectionManager::new(client).await.unwrap();
    let engine = Engine::new(manager, Arc::new(Markets::defaults()), Default::default());
    fund_user_1(&redis.url()).await;
    engine.place(1, &sell("100")).await.unwrap();
    // A scratch server keeps nothing: after the restart both the data and the function library are gone.
    redis.restart().unwrap();
    fund_user_1(&redis.url()).await;
    let mut placed = engine.place(1, &sell("101")).await;
    for _ in 0..20 {
        if placed.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        placed = engine.place(1, &sell("101")).await;
    }
    assert_eq!(placed.unwrap().order.status, OrderStatus::Open);
    let book = engine.book(&Symbol::parse("BTC/USD").unwrap(), 10).await.unwrap();
    assert_eq!(book.asks.len(), 1);
    assert_eq!(book.asks[0].price, Dec::parse("101").unwrap());
}

#[tokio::test]
async fn while_redis_is_down_requests_fail_fast_with_503_and_recover_on_their_own() {
    let mut app = spawn_app(Deployment::Single).await;
    let alice = app.user("alice").await;
    app.redis().kill();
    let started = std::time::Instant::now();
    let (status, body) = status_json(app.get("/api/v1/health", None).await).await;
    assert_eq!(status, 503);
    assert_eq!(body, json!({"status": "unhealthy", "redis": "disconnected"}));
    let (status, body) = status_json(app.get("/api/v1/orders/book/BTC-USD", None).await).await;
    assert_eq!(status, 503);
    assert_error(&body, "unavailable");
    assert!(started.elapsed() < Duration::from_secs(5), "fails fast: {:?}", started.elapsed());

    app.redis().restart().unwrap();
    assert!(app.wait_healthy(Duration::from_secs(5)).await, "the service came back without a restart");
    // The scratch Redis lost everything, sessions included: a new account trades again.
    drop(alice);
    let bob = app.user("bob").await;
    assert_eq!(app.limit(&bob, "buy", "1", "100").await.status(), 201);
}

#[tokio::test]
async fn clients_are_told_when_redis_is_lost() {
    let mut app = spawn_app(Deployment::Single).await;
    let alice = app.user("alice").await;
    let mut public = connect(&app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
    next_of(&mut public, "order_book_snapshot").await;
    let mut private = private_feed(&app, &alice).await;

    app.redis().kill();
    let reason = close_reason(&mut public).await.expect("the book feed is closed with a reason");
    assert!(reason.contains("unavailable"), "{reason}");
    let reason = close_reason(&mut private).await.expect("the private feed is closed with a reason");
    assert!(reason.contains("missed") && reason.contains("reload your orders"), "{reason}");
}
