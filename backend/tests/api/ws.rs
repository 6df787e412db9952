//! Both WebSocket feeds over real sockets: messages, isolation, fan-out across instances, gap-free
//! books under concurrent writers, resync after a lost subscription, limits.

use std::collections::BTreeMap;

use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

on_every_deployment! {
    async fn the_book_feed_sends_a_snapshot_then_every_change(d) {
        let app = spawn_app(d).await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.limit(&alice, "buy", "1", "99").await;
        let mut ws = connect(&app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
        let snap = next(&mut ws).await.unwrap();
        assert_eq!(snap["type"], "order_book_snapshot");
        assert_eq!(snap["data"]["sequence"], 1);
        assert_eq!(snap["data"]["bids"][0]["price"], json!(99.0));

        app.limit(&alice, "sell", "2", "101").await;
        let update = next_of(&mut ws, "book_update").await;
        assert_eq!(update["data"]["sequence"], 2);
        assert_eq!(update["data"]["asks"], json!([[101.0, 2.0]]));
        let order = next_of(&mut ws, "order_update").await;
        assert_eq!(order["data"]["status"], "open");
        assert!(order["data"].get("user_id").is_none(), "no identity on the public feed");

        app.limit(&bob, "buy", "2", "101").await;
        let update = next_of(&mut ws, "book_update").await;
        assert_eq!(update["data"]["sequence"], 3);
        assert_eq!(update["data"]["asks"], json!([[101.0, 0.0]]), "0 means the level is gone");
        let trade = next_of(&mut ws, "trade").await;
        assert_eq!(trade["data"]["price"], json!(101.0));
        assert_eq!(trade["data"]["sequence"], 3);
    }

    async fn the_book_feed_answers_requests_and_survives_bad_messages(d) {
        let app = spawn_app(d).await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        app.limit(&alice, "sell", "1", "100").await;
        app.limit(&bob, "buy", "1", "100").await;
        let mut ws = connect(&app.ws_url("/api/v1/ws/orderbook/BTC%2FUSD")).await;
        next_of(&mut ws, "order_book_snapshot").await;
        say(&mut ws, json!({"type": "ping"})).await;
        assert!(next_of(&mut ws, "pong").await["timestamp"].as_str().unwrap().ends_with('Z'));
        say(&mut ws, json!({"type": "get_order_book", "depth": 1})).await;
        assert_eq!(next_of(&mut ws, "order_book_snapshot").await["data"]["sequence"], 2);
        say(&mut ws, json!({"type": "get_recent_trades", "limit": 5})).await;
        let trades = next_of(&mut ws, "recent_trades").await;
        assert_eq!(trades["data"].as_array().unwrap().len(), 1);
        for bad in ["not json", "{\"type\": \"shout\"}", "{\"type\": \"get_order_book\", \"depth\": 0}", "[]"] {
            ws.send(Message::Text(bad.into())).await.unwrap();
            let err = next(&mut ws).await.unwrap();
            assert_eq!(err["type"], "error", "{bad}");
            assert!(err["data"]["message"].as_str().is_some());
        }
        say(&mut ws, json!({"type": "ping"})).await;
        next_of(&mut ws, "pong").await;
    }

    async fn a_stop_shows_on_the_book_feed_only_once_triggered_even_cancelled_beside_an_order_at_its_price(d) {
        let app = spawn_app(d).await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        app.limit(&alice, "sell", "1", "110").await;
        // A stop whose limit price is the resting order's: cancel-all takes both in one command, which
        // changes the level at that price.
        let stop = json!({"symbol": "BTC-USD", "side": "sell", "order_type": "stop_limit", "quantity": "0.5",
                          "price": "110", "stop_price": "90"});
        let (status, pending) = status_json(app.post_json("/api/v1/orders/", Some(&alice), &stop).await).await;
        assert_eq!(status, 201, "{pending}");
        let mut ws = connect(&app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
        next_of(&mut ws, "order_book_snapshot").await;
        let (_, all) = status_json(app.delete("/api/v1/orders/", Some(&alice)).await).await;
        assert_eq!(all["cancelled"].as_array().map(Vec::len), Some(2), "{all}");
        // A second stop, triggered by a trade at 90, rests: from then on it is an order like any other.
        let (_, triggered) = status_json(app.post_json("/api/v1/orders/", Some(&alice), &stop).await).await;
        app.limit(&alice, "sell", "0.1", "90").await;
        app.limit(&bob, "buy", "0.1", "90").await;
        // Everything up to a last order of bob's, whose update closes the list.
        let (_, last) = status_json(app.limit(&bob, "buy", "0.1", "50").await).await;
        let mut shown = Vec::new();
        loop {
            let m = next_of(&mut ws, "order_update").await;
            if m["data"]["order_id"] == last["id"] {
                break;
            }
            shown.push(m["data"]["order_id"].clone());
        }
        assert!(!shown.contains(&pending["id"]), "a stop that never triggered is on no public feed: {shown:?}");
        assert!(shown.contains(&triggered["id"]), "a triggered stop resting on the book is shown: {shown:?}");
    }

    async fn the_private_feed_carries_only_the_callers_orders_fills_and_balances(d) {
        let app = spawn_app(d).await;
        let (alice, bob, carol) = (app.user("alice").await, app.user("bob").await, app.user("carol").await);
        let mut ws = connect(&app.ws_url("/api/v1/ws/user")).await;
        say(&mut ws, json!({"type": "auth", "token": alice})).await;
        let auth = next(&mut ws).await.unwrap();
        assert_eq!(auth, json!({"type": "authenticated", "user_id": 1}));

        app.limit(&carol, "buy", "1", "50").await; // somebody else's: never seen here
        let (_, mine) = status_json(app.limit(&alice, "sell", "1", "100").await).await;
        // Its update, and the balance it changed (in either order): the sell locked 1 BTC of the
        // 10,000,000 deposited.
        let (mut update, mut btc) = (None, None);
        while update.is_none() || btc.is_none() {
            let m = next(&mut ws).await.unwrap();
            match m["type"].as_str() {
                Some("order_update") => update = Some(m),
                Some("balance") => btc = Some(m),
                _ => panic!("unexpected {m}"),
            }
        }
        let update = update.unwrap();
        assert_eq!(update["data"]["id"], mine["id"]);
        assert_eq!(update["data"]["status"], "open");
        assert!(update["data"].get("trades").is_none(), "the full order, without trades");
        assert_eq!(btc.unwrap()["data"], json!({"asset": "BTC", "free": 9999999.0, "locked": 1.0, "total": 10000000.0}));

        // Bob takes 0.25 at alice's 100: she receives 25 USD less the maker's 0.1 %.
        app.limit(&bob, "buy", "0.25", "100").await;
        // Her fill and her balances, in whatever order they come.
        let (mut fill, mut seen) = (None, Vec::new());
        while fill.is_none()
            || !seen.iter().any(|b: &Value| b["asset"] == "USD")
            || !seen.iter().any(|b| b["asset"] == "BTC" && b["locked"] == json!(0.75))
        {
            let m = next(&mut ws).await.expect("a fill and balance messages");
            match m["type"].as_str() {
                Some("fill") => fill = Some(m),
                Some("balance") => seen.push(m["data"].clone()),
                _ => {}
            }
        }
        let fill = fill.unwrap();
        assert_eq!(fill["data"]["maker_order_id"], mine["id"]);
        assert_eq!(fill["data"]["quantity"], json!(0.25));
        assert_eq!(
            (&fill["data"]["order_id"], &fill["data"]["side"], &fill["data"]["liquidity"]),
            (&mine["id"], &json!("sell"), &json!("maker"))
        );
        assert_eq!((fill["data"]["fee"].to_string(), &fill["data"]["fee_asset"]), ("0.025".into(), &json!("USD")));
        assert_eq!(fill["data"]["trade_id"], fill["data"]["id"]);
        let usd = seen.iter().rev().find(|b| b["asset"] == "USD").unwrap();
        assert_eq!(usd["total"].to_string(), "10000024.975");
        // Her REST fills say the same.
        let (status, fills) = status_json(app.get("/api/v1/account/fills", Some(&alice)).await).await;
        assert_eq!(status, 200);
        assert_eq!(fills, json!([fill["data"].as_object().unwrap().iter()
            .filter(|(k, _)| !["id", "taker_side", "maker_order_id", "taker_order_id"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone())).collect::<serde_json::Map<_, _>>()]));
        say(&mut ws, json!({"type": "ping"})).await;
        loop {
            let m = next(&mut ws).await.unwrap();
            match m["type"].as_str() {
                Some("pong") => break,
                Some("balance") | Some("order_update") => {
                    assert_eq!(m["data"].get("id").map_or(mine["id"].clone(), |id| id.clone()), mine["id"], "{m}")
                }
                _ => panic!("nothing of carol's or bob's own orders: {m}"),
            }
        }
    }

    async fn each_balance_comes_after_the_fills_it_shows_while_fills_arrive_fast(d) {
        let app = std::sync::Arc::new(spawn_app(d).await);
        let alice = app.user("alice").await;
        // Her one sell locks 20 BTC; every fill takes 0.1 of it, so each balance of BTC must show the
        // fills sent before it: locked = 20 - 0.1 x (fills so far), never less.
        app.limit(&alice, "sell", "20", "100").await;
        let mut ws = private_feed(&app, &alice).await;
        let takers = app.users("taker", 4).await;
        let mut tasks = Vec::new();
        for token in takers {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..30 {
                    assert_eq!(app.limit(&token, "buy", "0.1", "100").await.status(), 201);
                }
            }));
        }
        let (mut fills, mut balances) = (0u32, 0);
        while fills < 120 || balances == 0 {
            let m = next(&mut ws).await.expect("fills and balances");
            match m["type"].as_str() {
                Some("fill") => fills += 1,
                Some("balance") if m["data"]["asset"] == "BTC" => {
                    balances += 1;
                    let locked_tenths = (m["data"]["locked"].as_f64().unwrap() * 10.0).round() as u32;
                    assert_eq!(locked_tenths, 200 - fills, "a balance ahead of its fills, after {fills} fills: {m}");
                    if fills == 120 {
                        break;
                    }
                }
                _ => {}
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
    }

    async fn the_private_feed_refuses_a_bad_token_and_closes(d) {
        let app = spawn_app(d).await;
        let mut ws = connect(&app.ws_url("/api/v1/ws/user")).await;
        say(&mut ws, json!({"type": "auth", "token": "nope"})).await;
        assert_eq!(next(&mut ws).await.unwrap()["type"], "error");
        assert!(next(&mut ws).await.is_none(), "closed");
        let mut ws = connect(&app.ws_url("/api/v1/ws/user")).await;
        say(&mut ws, json!({"type": "ping"})).await;
        assert_eq!(next(&mut ws).await.unwrap()["type"], "error", "auth must come first");
        assert!(next(&mut ws).await.is_none());
    }

    async fn an_order_placed_through_one_instance_reaches_clients_of_another(d) {
        let a = spawn_app(d).await;
        let b = a.peer().await;
        let alice = a.user("alice").await;
        let mut on_b = connect(&b.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
        next_of(&mut on_b, "order_book_snapshot").await;
        let mut private_on_b = private_feed(&b, &alice).await;
        a.limit(&alice, "buy", "1", "100").await;
        assert_eq!(next_of(&mut on_b, "book_update").await["data"]["bids"], json!([[100.0, 1.0]]));
        assert_eq!(next_of(&mut private_on_b, "order_update").await["data"]["status"], "open");
    }

    async fn a_client_applying_updates_holds_exactly_the_rest_book_under_concurrent_writers(d) {
        let app = std::sync::Arc::new(spawn_app(d).await);
        let tokens = app.users("writer", 4).await;
        let mut ws = connect(&app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
        let mut book = (BTreeMap::new(), BTreeMap::new(), 0);
        apply(&mut book, &next_of(&mut ws, "order_book_snapshot").await);
        let mut writers = Vec::new();
        for (w, token) in tokens.iter().enumerate() {
            let (app, token) = (app.clone(), token.clone());
            writers.push(tokio::spawn(async move {
                for i in 0..40u64 {
                    let side = if (i + w as u64).is_multiple_of(2) { "buy" } else { "sell" };
                    let price = format!("{}", 100 + (i * 7 + w as u64 * 3) % 9);
                    app.limit(&token, side, "0.5", &price).await;
                    if i % 10 == 9 {
                        app.delete("/api/v1/orders/?symbol=BTC-USD", Some(&token)).await;
                    }
                }
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        let (_, rest) = status_json(app.get("/api/v1/orders/book/BTC-USD?depth=1000", None).await).await;
        let target = rest["sequence"].as_u64().unwrap();
        while book.2 < target {
            let msg = next(&mut ws).await.expect("updates up to the REST sequence");
            apply(&mut book, &msg);
        }
        let levels = |v: &Value| -> BTreeMap<String, String> {
            v.as_array().unwrap().iter().map(|l| (l["price"].to_string(), l["quantity"].to_string())).collect()
        };
        assert_eq!(book.2, target);
        assert_eq!(book.0, levels(&rest["bids"]));
        assert_eq!(book.1, levels(&rest["asks"]));
    }

    async fn a_lost_subscription_resyncs_clients_with_a_fresh_snapshot(d) {
        let app = spawn_app(d).await;
        let alice = app.user("alice").await;
        let mut ws = connect(&app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
        next_of(&mut ws, "order_book_snapshot").await;
        let mut killed = 0;
        for mut conn in app.redis_nodes().await {
            let n: i64 = redis::cmd("CLIENT").arg("KILL").arg("TYPE").arg("pubsub").query_async(&mut conn).await.unwrap();
            killed += n;
        }
        assert!(killed >= 1);
        // An order placed while the instance may be unsubscribed must not be silently lost.
        app.limit(&alice, "buy", "1", "100").await;
        // A resync follows the loss (one when it is noticed, another once resubscribed); the order reaches
        // the client in a snapshot or, when a resync came before it, as the update after it.
        let mut resynced = false;
        loop {
            let m = next(&mut ws).await.expect("the client hears of the order");
            match m["type"].as_str() {
                Some("order_book_snapshot") => {
                    resynced = true;
                    if m["data"]["bids"][0]["price"] == json!(100.0) {
                        break;
                    }
                }
                Some("book_update") if resynced => {
                    assert_eq!(m["data"]["sequence"], 1, "the update follows a snapshot without a gap");
                    break;
                }
                _ => {}
            }
        }
        assert!(resynced, "the lost subscription led to a fresh snapshot");
    }
}

#[tokio::test]
async fn unknown_symbols_foreign_origins_and_oversized_frames_are_refused() {
    let app = spawn_app(Deployment::Single).await;
    let err = tokio_tungstenite::connect_async(app.ws_url("/api/v1/ws/orderbook/DOGE-USD")).await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    let mut req = app.ws_url("/api/v1/ws/orderbook/BTC-USD").into_client_request().unwrap();
    req.headers_mut().insert("Origin", "https://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    let mut req = app.ws_url("/api/v1/ws/orderbook/BTC-USD").into_client_request().unwrap();
    let own = app.address.replacen("http://", "", 1);
    req.headers_mut().insert("Origin", format!("http://{own}").parse().unwrap());
    let mut ws = tokio_tungstenite::connect_async(req).await.expect("the UI's own origin is allowed").0;
    next_of(&mut ws, "order_book_snapshot").await;
    ws.send(Message::Text("x".repeat(10_000).into())).await.unwrap();
    assert!(next(&mut ws).await.is_none(), "a frame over the limit closes the connection");
}

#[tokio::test]
async fn a_flood_of_messages_gets_errors_then_the_connection_closes() {
    let app = spawn_app(Deployment::Single).await;
    let mut ws = connect(&app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
    next_of(&mut ws, "order_book_snapshot").await;
    for _ in 0..60 {
        ws.send(Message::Text("{\"type\":\"ping\"}".into())).await.unwrap();
    }
    let (mut pongs, mut errors) = (0, 0);
    while pongs + errors < 60 {
        match next(&mut ws).await.expect("every message is answered")["type"].as_str() {
            Some("pong") => pongs += 1,
            Some("error") => errors += 1,
            Some("order_book_snapshot") => {} // a resync may come at any time
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!((20..30).contains(&pongs), "about a second's allowance answered: {pongs}");
    assert_eq!(pongs + errors, 60, "the rest refused with an error, the connection open");
    // A flood that goes on is cut off.
    for _ in 0..300 {
        if ws.send(Message::Text("{\"type\":\"ping\"}".into())).await.is_err() {
            break;
        }
    }
    let mut closed = false;
    for _ in 0..400 {
        if next(&mut ws).await.is_none() {
            closed = true;
            break;
        }
    }
    assert!(closed, "the flooding connection was closed");
}

on_every_deployment! {
    /// A failover that lost the last writes, staged on the app's own Redis: the keyspace is put back to an
    /// earlier copy (as a promoted replica that lacked them would be), under the running app. Its next
    /// book changes reuse sequence numbers already sent; clients must be resynced onto the new history,
    /// and the REST book must not serve a cached snapshot of the lost one.
    async fn a_sequence_that_goes_back_resyncs_clients_and_is_never_served_from_cache(d) {
        let app = spawn_app(d).await;
        let alice = app.user("alice").await;
        assert_eq!(app.limit(&alice, "buy", "1", "100").await.status(), 201);
        let copy = dump_keyspace(&app.redis_urls()).await;
        let mut public = connect(&app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
        let mut book = (BTreeMap::new(), BTreeMap::new(), 0);
        apply(&mut book, &next_of(&mut public, "order_book_snapshot").await);
        let mut private = private_feed(&app, &alice).await;

        // Two changes the failover will lose; the client and the REST cache both see sequence 3.
        assert_eq!(app.limit(&alice, "buy", "1", "101").await.status(), 201);
        assert_eq!(app.limit(&alice, "buy", "1", "102").await.status(), 201);
        while book.2 < 3 {
            apply(&mut book, &next(&mut public).await.unwrap());
        }
        let (_, lost) = status_json(app.get("/api/v1/orders/book/BTC-USD", None).await).await;
        assert_eq!((lost["sequence"].as_u64(), lost["bids"].as_array().unwrap().len()), (Some(3), 3));

        restore_keyspace(&app.redis_urls(), &copy).await;
        // The new history: two changes, numbered 2 and 3 again.
        assert_eq!(app.limit(&alice, "sell", "1", "200").await.status(), 201);
        assert_eq!(app.limit(&alice, "sell", "1", "201").await.status(), 201);

        let levels = |v: &Value| -> BTreeMap<String, String> {
            v.as_array().unwrap().iter().map(|l| (l["price"].to_string(), l["quantity"].to_string())).collect()
        };
        let (_, rest) = status_json(app.get("/api/v1/orders/book/BTC-USD", None).await).await;
        assert_eq!(rest["sequence"], 3);
        assert_eq!(levels(&rest["bids"]).len(), 1, "not the cached book of the lost history: {rest}");
        assert_eq!(levels(&rest["asks"]).len(), 2, "{rest}");

        let mut resynced = false;
        while !(resynced && book.2 == 3) {
            let msg = next(&mut public).await.expect("the client is resynced onto the new history");
            resynced |= msg["type"] == "order_book_snapshot";
            apply(&mut book, &msg);
        }
        assert_eq!((book.0, book.1), (levels(&rest["bids"]), levels(&rest["asks"])));
        let reason = close_reason(&mut private).await.expect("the private feed is closed with a reason");
        assert!(reason.contains("missed"), "{reason}");
    }
}
