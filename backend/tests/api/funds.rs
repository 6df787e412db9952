//! Funds over the API (docs/api.md, "Funds"): deposits by the admin, once per reference; withdrawals,
//! once per id; the faucet; balances and the ledger; and every bad request refused with its code and
//! nothing written.

use serde_json::{json, Value};

use crate::helpers::*;

const ADMIN: &str = "admin-secret-token";

async fn funded_app(d: Deployment) -> TestApp {
    spawn_app_with(d, |c| {
        c.funds.admin_token = Some(ADMIN.into());
        c.funds.faucet = true;
    })
    .await
}

async fn deposit(app: &TestApp, username: &str, asset: &str, amount: &str, reference: &str) -> (u16, Value) {
    let body = json!({"username": username, "asset": asset, "amount": amount, "reference": reference});
    status_json(app.post_json("/api/v1/admin/deposits", Some(ADMIN), &body).await).await
}

async fn balance(app: &TestApp, token: &str, asset: &str) -> Value {
    let (status, all) = status_json(app.get("/api/v1/account/balances", Some(token)).await).await;
    assert_eq!(status, 200);
    all.as_array().unwrap().iter().find(|b| b["asset"] == asset).cloned().unwrap()
}

on_every_deployment! {
    async fn a_deposit_credits_once_per_reference_and_a_withdrawal_once_per_id(d) {
        let app = funded_app(d).await;
        let alice = app.unfunded_user("alice").await;
        let (status, entry) = deposit(&app, "alice", "USD", "1000.5", "bank-tx-1").await;
        assert_eq!(status, 201, "{entry}");
        assert_eq!((entry["kind"].as_str(), entry["amount"].to_string(), entry["reference"].as_str()),
            (Some("deposit"), "1000.5".into(), Some("bank-tx-1")));
        // The same reference again, even for another amount or user: the first entry, nothing credited.
        let _bob = app.unfunded_user("bob").await;
        for (user, amount) in [("alice", "1000.5"), ("bob", "7")] {
            let (status, again) = deposit(&app, user, "USD", amount, "bank-tx-1").await;
            assert_eq!((status, &again), (200, &entry));
        }
        assert_eq!(balance(&app, &alice, "USD").await, json!({"asset": "USD", "free": 1000.5, "locked": 0.0, "total": 1000.5}));
        assert_eq!(balance(&app, &alice, "BTC").await["total"].to_string(), "0.0", "every asset, zeros included");

        let w = json!({"asset": "USD", "amount": "0.5", "client_withdrawal_id": "w-1"});
        let (status, first) = status_json(app.post_json("/api/v1/account/withdrawals", Some(&alice), &w).await).await;
        assert_eq!(status, 201, "{first}");
        assert_eq!(first["amount"].to_string(), "-0.5");
        let (status, again) = status_json(app.post_json("/api/v1/account/withdrawals", Some(&alice), &w).await).await;
        assert_eq!((status, &again), (200, &first));
        assert_eq!(balance(&app, &alice, "USD").await["free"].to_string(), "1000.0");

        let too_much = json!({"asset": "USD", "amount": "1000.0000000001", "client_withdrawal_id": "w-2"});
        let (status, body) = status_json(app.post_json("/api/v1/account/withdrawals", Some(&alice), &too_much).await).await;
        assert_eq!(status, 422);
        assert_error(&body, "insufficient_funds");

        // The ledger: newest first, summing to the total; paged by `before`.
        let (status, ledger) = status_json(app.get("/api/v1/account/ledger?asset=USD", Some(&alice)).await).await;
        assert_eq!(status, 200);
        let kinds: Vec<&str> = ledger.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["withdrawal", "deposit"]);
        let before = ledger[0]["id"].as_u64().unwrap();
        let (_, older) = status_json(app.get(&format!("/api/v1/account/ledger?limit=1&before={before}"), Some(&alice)).await).await;
        assert_eq!(older, json!([ledger[1]]));
    }

    async fn a_change_or_a_stop_needing_more_is_covered_from_the_users_other_funds(d) {
        let app = funded_app(d).await;
        let alice = app.unfunded_user("alice").await;
        let usd = || async { balance(&app, &alice, "USD").await };
        let post = |body: Value| {
            let (app, alice) = (&app, alice.clone());
            async move { status_json(app.post_json("/api/v1/orders/", Some(&alice), &body).await).await }
        };
        assert_eq!(deposit(&app, "alice", "USD", "1000", "a-usd").await.0, 201);
        // 500 locked in BTC/USD; the other 500 goes there with it (the wallet's free amount moves whole).
        let btc = json!({"symbol": "BTC/USD", "side": "buy", "order_type": "limit", "quantity": "0.01", "price": "50000"});
        assert_eq!(post(btc).await.0, 201);
        // 300 for an ETH/USD bid, brought back from BTC/USD.
        let eth = json!({"symbol": "ETH/USD", "side": "buy", "order_type": "limit", "quantity": "0.5", "price": "600"});
        let (status, bid) = post(eth).await;
        assert_eq!(status, 201, "{bid}");
        // Raised to 0.8: 180 more, covered from BTC/USD again.
        let path = format!("/api/v1/orders/{}", bid["id"]);
        let (status, changed) = status_json(app.patch_json(&path, Some(&alice), &json!({"quantity": "0.8"})).await).await;
        assert_eq!((status, changed["quantity"].to_string()), (200, "0.8".into()), "{changed}");
        assert_eq!((usd().await["free"].to_string(), usd().await["locked"].to_string()), ("20.0".into(), "980.0".into()));
        // To 1: 120 more, and only 20 is free anywhere: refused, unchanged.
        let (status, e) = status_json(app.patch_json(&path, Some(&alice), &json!({"quantity": "1"})).await).await;
        assert_eq!(status, 422, "{e}");
        assert_error(&e, "insufficient_funds");
        let (_, now) = status_json(app.get(&path, Some(&alice)).await).await;
        assert_eq!(now["quantity"].to_string(), "0.8");
        // A stop-limit buy is covered as its limit order is: 20 at 600 buys 0.03 ETH, 0.04 does not.
        let stop = |qty: &str| json!({"symbol": "ETH/USD", "side": "buy", "order_type": "stop_limit", "quantity": qty,
                                      "price": "600", "stop_price": "650"});
        let (status, e) = post(stop("0.04")).await;
        assert_eq!(status, 422, "{e}");
        assert_error(&e, "insufficient_funds");
        let (status, pending) = post(stop("0.03")).await;
        assert_eq!((status, pending["status"].as_str()), (201, Some("pending")), "{pending}");
        assert_eq!((usd().await["free"].to_string(), usd().await["locked"].to_string()), ("2.0".into(), "998.0".into()));
    }

    async fn orders_lock_and_settle_funds_which_follow_them_from_market_to_market(d) {
        let app = funded_app(d).await;
        let alice = app.unfunded_user("alice").await;
        let bob = app.unfunded_user("bob").await;
        let order = |symbol: &str, side: &str, qty: &str, price: &str| {
            json!({"symbol": symbol, "side": side, "order_type": "limit", "quantity": qty, "price": price})
        };
        let place = |token: &str, body: Value| {
            let (app, token) = (&app, token.to_string());
            async move { status_json(app.post_json("/api/v1/orders/", Some(&token), &body).await).await }
        };
        let usd = |token: &str| {
            let (app, token) = (&app, token.to_string());
            async move {
                let b = balance(app, &token, "USD").await;
                (b["free"].to_string(), b["locked"].to_string())
            }
        };

        // No funds: refused, nothing rests.
        let (status, e) = place(&bob, order("BTC/USD", "sell", "0.01", "49000")).await;
        assert_eq!(status, 422, "{e}");
        assert_error(&e, "insufficient_funds");

        // A buy locks price × quantity, moved from the wallet into the market on the way.
        assert_eq!(deposit(&app, "alice", "USD", "1000", "a-usd").await.0, 201);
        let (status, bid) = place(&alice, order("BTC/USD", "buy", "0.01", "50000")).await;
        assert_eq!(status, 201, "{bid}");
        assert_eq!(usd(&alice).await, ("500.0".into(), "500.0".into()));
        // ETH/USD wants 600 and only 500 is free (now in BTC/USD): refused; 300 is covered from there.
        let (status, e) = place(&alice, order("ETH/USD", "buy", "1", "600")).await;
        assert_eq!(status, 422, "{e}");
        assert_error(&e, "insufficient_funds");
        let (status, eth) = place(&alice, order("ETH/USD", "buy", "0.5", "600")).await;
        assert_eq!(status, 201, "{eth}");
        assert_eq!(usd(&alice).await, ("200.0".into(), "800.0".into()));

        // Bob sells into alice's bid: the trade is at her 50,000; he pays the taker's 0.2 % out of the
        // 500 USD he receives, she the maker's 0.1 % out of the 0.01 BTC.
        assert_eq!(deposit(&app, "bob", "BTC", "1", "b-btc").await.0, 201);
        let (status, sold) = place(&bob, order("BTC/USD", "sell", "0.01", "49000")).await;
        assert_eq!((status, sold["status"].as_str()), (201, Some("filled")), "{sold}");
        assert_eq!(usd(&bob).await, ("499.0".into(), "0.0".into()));
        assert_eq!(balance(&app, &bob, "BTC").await["free"].to_string(), "0.99");
        assert_eq!(balance(&app, &alice, "BTC").await["free"].to_string(), "0.00999");
        assert_eq!(usd(&alice).await, ("200.0".into(), "300.0".into()));

        // The fee account: bob's 1 USD and alice's 0.00001 BTC.
        let (status, fees) = status_json(app.get("/api/v1/admin/fees", Some(ADMIN)).await).await;
        assert_eq!(status, 200, "{fees}");
        let fee = |asset: &str| fees.as_array().unwrap().iter().find(|f| f["asset"] == asset).unwrap()["amount"].to_string();
        assert_eq!((fee("USD"), fee("BTC"), fee("ETH")), ("1.0".into(), "0.00001".into(), "0.0".into()));
        assert_eq!(app.get("/api/v1/admin/fees", Some(&alice)).await.status(), 401);

        // Each side's fill, with its fee, liquidity and order; only the caller's, by order and paged.
        let fills = |token: &str, query: &str| {
            let (app, token, path) = (&app, token.to_string(), format!("/api/v1/account/fills{query}"));
            async move { status_json(app.get(&path, Some(&token)).await).await }
        };
        let (status, bob_fills) = fills(&bob, "").await;
        assert_eq!(status, 200, "{bob_fills}");
        let f = &bob_fills[0];
        assert_eq!(bob_fills.as_array().unwrap().len(), 1);
        assert_eq!(
            (&f["order_id"], &f["side"], &f["liquidity"], f["fee"].to_string(), &f["fee_asset"], f["price"].to_string()),
            (&sold["id"], &json!("sell"), &json!("taker"), "1.0".into(), &json!("USD"), "50000.0".into())
        );
        let (_, alice_fills) = fills(&alice, &format!("?order_id={}", bid["id"])).await;
        let a = &alice_fills[0];
        assert_eq!((&a["trade_id"], &a["liquidity"], a["fee"].to_string(), &a["fee_asset"]),
            (&f["trade_id"], &json!("maker"), "0.00001".into(), &json!("BTC")));
        assert_eq!(fills(&alice, &format!("?order_id={}", eth["id"])).await.1, json!([]));
        assert_eq!(fills(&bob, &format!("?order_id={}", bid["id"])).await.1, json!([]), "not bob's order");
        assert_eq!(fills(&alice, "?symbol=ETH-USD").await.1, json!([]));
        assert_eq!(fills(&alice, &format!("?before={}", f["trade_id"])).await.1, json!([]));
        for (query, status) in [("?order_id=x", 422), ("?limit=0", 422), ("?before=-1", 422), ("?symbol=NOPE-USD", 404)] {
            assert_eq!(fills(&alice, query).await.0, status, "{query}");
        }
        // The ledger holds the trade and the fee: each asset's entries sum to its total.
        for (token, asset) in [(&bob, "USD"), (&bob, "BTC"), (&alice, "BTC"), (&alice, "USD")] {
            let (_, ledger) = status_json(app.get(&format!("/api/v1/account/ledger?asset={asset}"), Some(token)).await).await;
            let amounts = ledger.as_array().unwrap().iter().map(|e| e["amount"].to_string().parse::<common::Dec>().unwrap());
            let sum = amounts.fold(common::Dec::ZERO, |a, b| common::Dec(a.0 + b.0));
            assert_eq!(sum.to_string(), balance(&app, token, asset).await["total"].to_string().trim_end_matches(".0"), "{asset}: {ledger}");
        }
        let (_, bob_usd) = status_json(app.get("/api/v1/account/ledger?asset=USD", Some(&bob)).await).await;
        let kinds: Vec<_> = bob_usd.as_array().unwrap().iter().map(|e| (e["kind"].as_str().unwrap(), e["amount"].to_string())).collect();
        assert_eq!(kinds, [("fee", "-1.0".to_string()), ("trade", "500.0".to_string())]);
        assert_eq!(bob_usd[0]["reference"], json!(f["trade_id"].to_string()));

        // Cancelling gives the lock back.
        let (status, _) = status_json(app.delete("/api/v1/orders/", Some(&alice)).await).await;
        assert_eq!(status, 200);
        assert_eq!(usd(&alice).await, ("500.0".into(), "0.0".into()));

        // Another user's order has no fills of the caller's, even while it is open: bob's fill against alice's resting order is listed under his own order.
        let (_, rest) = place(&alice, order("BTC/USD", "buy", "0.002", "50000")).await;
        let (_, part) = place(&bob, order("BTC/USD", "sell", "0.001", "50000")).await;
        assert_eq!(fills(&bob, &format!("?order_id={}", rest["id"])).await.1, json!([]), "alice's open order");
        assert_eq!(fills(&bob, &format!("?order_id={}", part["id"])).await.1.as_array().unwrap().len(), 1);
        assert_eq!(fills(&alice, &format!("?order_id={}", rest["id"])).await.1.as_array().unwrap().len(), 1);
    }

    async fn a_market_buy_by_quote_quantity_spends_at_most_its_budget(d) {
        let app = funded_app(d).await;
        let alice = app.unfunded_user("alice").await;
        let bob = app.unfunded_user("bob").await;
        assert_eq!(deposit(&app, "alice", "BTC", "2", "a-btc").await.0, 201);
        assert_eq!(deposit(&app, "bob", "USD", "200", "b-usd").await.0, 201);
        for (qty, price) in [("0.5", "100"), ("0.5", "200"), ("0.1", "300")] {
            assert_eq!(app.limit(&alice, "sell", qty, price).await.status(), 201);
        }
        let buy = |budget: &str| json!({"symbol": "BTC/USD", "side": "buy", "order_type": "market", "quote_quantity": budget});
        // More than the free quote: refused, nothing written.
        let before = app.get("/api/v1/orders/book/BTC-USD", None).await.text().await.unwrap();
        let (status, e) = status_json(app.post_json("/api/v1/orders/", Some(&bob), &buy("200.01")).await).await;
        assert_eq!(status, 422, "{e}");
        assert_error(&e, "insufficient_funds");
        assert_eq!(app.get("/api/v1/orders/book/BTC-USD", None).await.text().await.unwrap(), before);

        // 80.001 USD: 0.5 at 100 (50 USD), then what 30.001 buys at 200; less than a lot's worth is left,
        // so it is filled, its quantity what it bought.
        let (status, o) = status_json(app.post_json("/api/v1/orders/", Some(&bob), &buy("80.001")).await).await;
        assert_eq!(status, 201, "{o}");
        assert_eq!((o["status"].as_str(), o["quantity"].to_string(), o["filled_quantity"].to_string()),
            (Some("filled"), "0.650005".into(), "0.650005".into()));
        assert_eq!(o["remaining_quantity"].to_string(), "0.0");
        assert_eq!(balance(&app, &bob, "USD").await["total"].to_string(), "119.999");
        // The taker's 0.2 % of the base bought: 0.00130001.
        assert_eq!(balance(&app, &bob, "BTC").await["total"].to_string(), "0.64870499");

        // 100 USD where the book holds 69.999 USD at 200 and 30 at 300: it buys them all and is cancelled
        // (0.001 USD still buys a lot), the unspent quote back in the free balance at once.
        let (status, o) = status_json(app.post_json("/api/v1/orders/", Some(&bob), &buy("100")).await).await;
        assert_eq!(status, 201, "{o}");
        assert_eq!((o["status"].as_str(), o["quantity"].to_string()), (Some("cancelled"), "0.449995".into()));
        let usd = balance(&app, &bob, "USD").await;
        assert_eq!((usd["free"].to_string(), usd["locked"].to_string()), ("20.0".into(), "0.0".into()));

        // Bad combinations: each 422 with its code.
        let bad = [
            (json!({"symbol": "BTC/USD", "side": "buy", "order_type": "market", "quantity": 1, "quote_quantity": 5}), "validation_error"),
            (json!({"symbol": "BTC/USD", "side": "buy", "order_type": "limit", "price": 100, "quote_quantity": 5}), "validation_error"),
            (json!({"symbol": "BTC/USD", "side": "sell", "order_type": "market", "quote_quantity": 5}), "validation_error"),
            (buy("0"), "invalid_quantity"),
            (buy("-1"), "invalid_quantity"),
            (buy("0.00000000001"), "invalid_quantity"),
            (buy("1e30"), "invalid_quantity"),
            (buy("1000000000000"), "amount_too_large"),
        ];
        for (body, code) in bad {
            let (status, e) = status_json(app.post_json("/api/v1/orders/", Some(&bob), &body).await).await;
            assert_eq!(status, 422, "{body}: {e}");
            assert_error(&e, code);
        }
    }

    async fn the_faucet_gives_every_asset_once_a_minute(d) {
        let app = funded_app(d).await;
        let carol = app.unfunded_user("carol").await;
        let (status, entries) = status_json(app.post_json("/api/v1/account/faucet", Some(&carol), &json!({})).await).await;
        assert_eq!(status, 201, "{entries}");
        assert_eq!(entries.as_array().unwrap().len(), 3, "BTC, USD and ETH");
        assert_eq!(balance(&app, &carol, "BTC").await["free"].to_string(), "1.0");
        assert_eq!(balance(&app, &carol, "USD").await["free"].to_string(), "100000.0");
        let r = app.post_json("/api/v1/account/faucet", Some(&carol), &json!({})).await;
        assert_eq!(r.status(), 429);
        assert!(r.headers().get("retry-after").is_some());
        assert_eq!(balance(&app, &carol, "ETH").await["free"].to_string(), "10.0", "credited once");
    }

    async fn admin_endpoints_want_the_admin_token_and_vanish_without_one(d) {
        let app = funded_app(d).await;
        let dave = app.unfunded_user("dave").await;
        let body = json!({"username": "dave", "asset": "USD", "amount": "1", "reference": "r-1"});
        for token in [None, Some("wrong"), Some(dave.as_str())] {
            let (status, e) = status_json(app.post_json("/api/v1/admin/deposits", token, &body).await).await;
            assert_eq!(status, 401, "{token:?}");
            assert_error(&e, "unauthorized");
        }
        let (status, e) = deposit(&app, "nobody", "USD", "1", "r-2").await;
        assert_eq!(status, 404);
        assert_error(&e, "not_found");

        let plain = spawn_app_with(d, |c| c.funds.admin_token = None).await;
        let (status, e) = status_json(plain.post_json("/api/v1/admin/deposits", Some(ADMIN), &body).await).await;
        assert_eq!(status, 404, "no ADMIN_TOKEN: no admin endpoints");
        assert_error(&e, "not_found");
        assert_eq!(plain.get("/api/v1/admin/fees", Some(ADMIN)).await.status(), 404);
        let erin = plain.unfunded_user("erin").await;
        let r = plain.post_json("/api/v1/account/faucet", Some(&erin), &json!({})).await;
        assert_eq!(r.status(), 404, "FAUCET off: no faucet");
    }

    async fn bad_amounts_assets_and_references_are_refused_with_nothing_written(d) {
        let app = funded_app(d).await;
        let frank = app.unfunded_user("frank").await;
        assert_eq!(deposit(&app, "frank", "USD", "5", "seed").await.0, 201);
        let before = testkit::keyspace::dump_keyspace(&app.redis_urls()).await;
        for (amount, code) in [
            (json!("-1"), "invalid_amount"),
            (json!("0"), "invalid_amount"),
            (json!("0.00000000001"), "invalid_amount"),
            (json!("461168602"), "amount_too_large"),
            // Malformed: the amount's own code, as a malformed quantity gets `invalid_quantity`.
            (json!("1e3"), "invalid_amount"),
            (json!(true), "invalid_amount"),
            (json!(null), "invalid_amount"),
        ] {
            let d = json!({"username": "frank", "asset": "USD", "amount": amount, "reference": "r-bad"});
            let (status, e) = status_json(app.post_json("/api/v1/admin/deposits", Some(ADMIN), &d).await).await;
            assert_eq!(status, 422, "{amount}: {e}");
            assert_error(&e, code);
            let w = json!({"asset": "USD", "amount": amount, "client_withdrawal_id": "w-bad"});
            let (status, e) = status_json(app.post_json("/api/v1/account/withdrawals", Some(&frank), &w).await).await;
            assert_eq!(status, 422, "{amount}: {e}");
            assert_error(&e, code);
        }
        // Just past the largest balance, from a balance of 5.
        let (status, e) = deposit(&app, "frank", "USD", "461168601.69", "r-big").await;
        assert_eq!(status, 422);
        assert_error(&e, "amount_too_large");
        let d = json!({"username": "frank", "asset": 7, "amount": "1", "reference": "r-4"});
        let (status, e) = status_json(app.post_json("/api/v1/admin/deposits", Some(ADMIN), &d).await).await;
        assert_eq!(status, 422, "{e}");
        assert_error(&e, "validation_error");
        for (asset, reference, code) in [("DOGE", "r-3", "unknown_asset"), ("USD", "", "validation_error"), ("USD", "a b", "validation_error")] {
            let (status, e) = deposit(&app, "frank", asset, "1", reference).await;
            assert_eq!(status, 422, "{asset} {reference}");
            assert_error(&e, code);
        }
        let w = json!({"asset": "USD", "amount": "6", "client_withdrawal_id": "w-3"});
        let (status, e) = status_json(app.post_json("/api/v1/account/withdrawals", Some(&frank), &w).await).await;
        assert_eq!(status, 422);
        assert_error(&e, "insufficient_funds");
        let (status, e) = status_json(app.get("/api/v1/account/ledger?asset=DOGE", Some(&frank)).await).await;
        assert_eq!(status, 422);
        assert_error(&e, "unknown_asset");
        assert_eq!(testkit::keyspace::dump_keyspace(&app.redis_urls()).await, before, "nothing written");
    }
}

/// (On one server: the test writes the claim itself, as the crash would leave it.)
#[tokio::test]
async fn a_deposit_cut_short_after_its_claim_is_finished_by_its_retry() {
    let app = funded_app(Deployment::Single).await;
    let grace = app.unfunded_user("grace").await;
    let user_id = {
        let (_, e) = deposit(&app, "grace", "BTC", "0.1", "first").await;
        assert_eq!(e["kind"], "deposit");
        let mut conn = app.redis_conn().await;
        let id: u64 = redis::cmd("HGET").arg("user:name:grace").arg("id").query_async(&mut conn).await.unwrap();
        id
    };
    // As if the backend died between the claim of the reference and the credit.
    let mut conn = app.redis_conn().await;
    let _: () = redis::cmd("SET")
        .arg("deposit:crash-1")
        .arg(format!("{user_id}|BTC|25000000"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(balance(&app, &grace, "BTC").await["total"].to_string(), "0.1");
    let (status, entry) = deposit(&app, "grace", "BTC", "0.25", "crash-1").await;
    assert_eq!(status, 200, "the claim's own deposit, finished: {entry}");
    assert_eq!(entry["amount"].to_string(), "0.25");
    assert_eq!(deposit(&app, "grace", "BTC", "0.25", "crash-1").await, (200, entry));
    assert_eq!(balance(&app, &grace, "BTC").await["total"].to_string(), "0.35");
}
