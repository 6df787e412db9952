//! Scale-out: three backend instances over a three-master Redis Cluster with the markets on different
//! masters. Any instance serves any request (accounts, sessions, orders of every market), every book
//! feed on every instance stays gap-free and ends equal to the REST book, every private feed ends with
//! each order's final state, and the books' invariants hold.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::failover::Writers;
use crate::helpers::*;

const MARKETS: [&str; 2] = ["BTC-USD", "ETH-USD"];

#[tokio::test]
async fn three_instances_over_a_cluster_serve_any_request_and_every_feed_is_gap_free() {
    let cluster = RedisCluster::start(3).expect("a 3-master cluster starts");
    let (btc, eth) = (cluster.port_of("{BTC/USD}").unwrap(), cluster.port_of("{ETH/USD}").unwrap());
    assert_ne!(btc, eth, "the two markets live on different masters");
    let mut apps = Vec::new();
    for _ in 0..3 {
        apps.push(Arc::new(spawn_app_at(cluster.target(), |_| {}).await));
    }

    // Accounts made on one instance log in on the next; their tokens work on all of them.
    let mut tokens = Vec::new();
    for u in 0..4 {
        let (on, login_on) = (&apps[u % 3], &apps[(u + 1) % 3]);
        let creds = json!({"username": format!("trader{u}"), "password": "a long password"});
        assert_eq!(on.post_json("/api/v1/auth/register", None, &creds).await.status(), 201);
        let (status, body) = status_json(login_on.post_json("/api/v1/auth/login", None, &creds).await).await;
        assert_eq!(status, 200);
        tokens.push(body["access_token"].as_str().unwrap().to_string());
        testkit::fund(&on.client, &on.url("/api/v1"), &format!("trader{u}")).await;
    }

    // A book feed of each market on each instance, and each user's private feed on some instance.
    let mut books: Vec<(usize, &str, Socket, Book)> = Vec::new();
    for (i, app) in apps.iter().enumerate() {
        for symbol in MARKETS {
            let mut ws = connect(&app.ws_url(&format!("/api/v1/ws/orderbook/{symbol}"))).await;
            let mut book = (BTreeMap::new(), BTreeMap::new(), 0);
            apply(&mut book, &next_of(&mut ws, "order_book_snapshot").await);
            books.push((i, symbol, ws, book));
        }
    }
    let mut privates = Vec::new();
    for (u, token) in tokens.iter().enumerate() {
        privates.push(private_feed(&apps[(u + 2) % 3], token).await);
    }

    // Four writers, each request to the next instance in turn, both markets, crossing prices, cancel-alls.
    let mut writers = Vec::new();
    for (w, token) in tokens.iter().enumerate() {
        let (apps, token) = (apps.clone(), token.clone());
        writers.push(tokio::spawn(async move {
            let mut placed = 0;
            for i in 0..60usize {
                let app = &apps[(i + w) % 3];
                let symbol = MARKETS[i % 2].replace('-', "/");
                let side = if (i / 2 + w) % 2 == 0 { "buy" } else { "sell" };
                let price = format!("{}", 100 + (i * 7 + w * 3) % 9);
                let body =
                    json!({"symbol": symbol, "side": side, "order_type": "limit", "quantity": "0.5", "price": price});
                let (status, body) = status_json(app.post_json("/api/v1/orders/", Some(&token), &body).await).await;
                assert_eq!(status, 201, "{body}");
                placed += 1;
                if i % 15 == 14 {
                    let r = app.delete(&format!("/api/v1/orders/?symbol={}", MARKETS[i % 2]), Some(&token)).await;
                    assert_eq!(r.status(), 200);
                }
            }
            placed
        }));
    }
    let mut placed = 0;
    for w in writers {
        placed += w.await.unwrap();
    }

    // Every book feed, on every instance, reaches exactly the REST book (asked of another instance).
    for (i, symbol, ws, book) in &mut books {
        let rest_on = &apps[(*i + 1) % 3];
        let (_, rest) = status_json(rest_on.get(&format!("/api/v1/orders/book/{symbol}?depth=1000"), None).await).await;
        let target = rest["sequence"].as_u64().unwrap();
        while book.2 < target {
            let msg = next(ws).await.unwrap_or_else(|| panic!("instance {i} {symbol}: updates up to {target}"));
            apply(book, &msg);
        }
        let levels = |v: &Value| -> BTreeMap<String, String> {
            v.as_array().unwrap().iter().map(|l| (l["price"].to_string(), l["quantity"].to_string())).collect()
        };
        assert_eq!(book.2, target, "instance {i} {symbol}");
        assert_eq!(book.0, levels(&rest["bids"]), "instance {i} {symbol} bids");
        assert_eq!(book.1, levels(&rest["asks"]), "instance {i} {symbol} asks");
        let (best_bid, best_ask) = (rest["bids"][0]["price"].as_f64(), rest["asks"][0]["price"].as_f64());
        if let (Some(bid), Some(ask)) = (best_bid, best_ask) {
            assert!(bid < ask, "{symbol} is crossed: {bid} >= {ask}");
        }
    }

    // Every order is there, consistent, and each private feed's last word on it is its REST state.
    let mut orders_seen = 0;
    let mut bought: HashMap<String, f64> = HashMap::new();
    let mut sold: HashMap<String, f64> = HashMap::new();
    for (u, token) in tokens.iter().enumerate() {
        let (_, list) = status_json(apps[u % 3].get("/api/v1/orders/?status=all&limit=1000", Some(token)).await).await;
        let list = list.as_array().unwrap().clone();
        orders_seen += list.len();
        let mut last: HashMap<u64, Value> = HashMap::new();
        while let Ok(Some(msg)) =
            tokio::time::timeout(std::time::Duration::from_millis(500), next(&mut privates[u])).await
        {
            if msg["type"] == "order_update" {
                last.insert(msg["data"]["id"].as_u64().unwrap(), msg["data"].clone());
            }
        }
        // An order found by id (in whichever market it is) through yet another instance.
        let first = &list[list.len() - 1];
        let (status, by_id) =
            status_json(apps[(u + 1) % 3].get(&format!("/api/v1/orders/{}", first["id"]), Some(token)).await).await;
        assert_eq!((status, &by_id["symbol"], &by_id["status"]), (200, &first["symbol"], &first["status"]));
        for o in &list {
            let (q, f, r) = (num(&o["quantity"]), num(&o["filled_quantity"]), num(&o["remaining_quantity"]));
            assert!((f + r - q).abs() < 1e-9, "filled + remaining = quantity: {o}");
            let update = &last[&o["id"].as_u64().unwrap()];
            assert_eq!(update["status"], o["status"], "user {u}'s private feed ends at the order's state");
            assert_eq!(update["filled_quantity"], o["filled_quantity"]);
            let side = if o["side"] == "buy" { &mut bought } else { &mut sold };
            *side.entry(o["symbol"].as_str().unwrap().to_string()).or_default() += f;
        }
    }
    assert_eq!(orders_seen, placed, "every acknowledged order is listed");
    for symbol in ["BTC/USD", "ETH/USD"] {
        let (b, s) = (bought.get(symbol).copied().unwrap_or(0.0), sold.get(symbol).copied().unwrap_or(0.0));
        assert!((b - s).abs() < 1e-9 && b > 0.0, "{symbol}: bought {b} = sold {s} > 0");
    }
}

fn num(v: &Value) -> f64 {
    v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).unwrap()
}

/// One master of a cluster with replicas is killed under four writers: its replica takes over its slots,
/// the backend follows (the cluster client re-reads the slots), and the feed and the history hold.
#[tokio::test]
async fn a_cluster_carries_on_when_a_master_fails_over_to_its_replica() {
    let mut cluster = RedisCluster::start_with_replicas(3, 1).expect("3 masters with a replica each");
    let app = spawn_app_at(cluster.target(), |_| {}).await;
    let writers = Writers::start(&app).await;
    let before_kill = writers.before_kill;
    let master = cluster.port_of("{BTC/USD}").unwrap();
    cluster.nodes.iter_mut().find(|n| n.port() == master).unwrap().kill();
    let killed_at = std::time::Instant::now();
    let new_master = loop {
        match cluster.port_of("{BTC/USD}") {
            Ok(port) if port != master => break port,
            _ => {
                assert!(killed_at.elapsed() < std::time::Duration::from_secs(30), "a replica takes over");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    let promoted_after = killed_at.elapsed();
    let done = writers.finish(&app).await;
    eprintln!(
        "cluster failover: master :{master} killed, :{new_master} serves BTC/USD after {promoted_after:?}; \
         {} orders acknowledged ({before_kill} before the kill), {} attempts refused, {} lost",
        done.acknowledged, done.refused, done.lost
    );
}
