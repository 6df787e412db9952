//! Orders over REST: create, list, get, cancel, cancel all, and their errors.

use serde_json::{json, Value};

use crate::helpers::*;

on_every_deployment! {
    async fn orders_page_back_with_before_and_are_found_by_client_order_id(d) {
        let app = spawn_app(d).await;
        let alice = app.user("alice").await;
        let mut ids = Vec::new();
        for (symbol, cid, price) in [("BTC/USD", "a-1", "100"), ("ETH/USD", "a-1", "10"), ("BTC/USD", "a-2", "101")] {
            let body = json!({"symbol": symbol, "side": "buy", "order_type": "limit", "quantity": "1", "price": price, "client_order_id": cid});
            let (status, order) = status_json(app.post_json("/api/v1/orders/", Some(&alice), &body).await).await;
            assert_eq!(status, 201, "{order}");
            ids.push(order["id"].as_u64().unwrap());
        }
        let page = |query: String| {
            let (app, alice) = (&app, &alice);
            async move {
                let (status, orders) = status_json(app.get(&format!("/api/v1/orders/?{query}"), Some(alice)).await).await;
                assert_eq!(status, 200, "{orders}");
                orders.as_array().unwrap().iter().map(|o| o["id"].as_u64().unwrap()).collect::<Vec<_>>()
            }
        };
        assert_eq!(page("limit=2".into()).await, [ids[2], ids[1]]);
        assert_eq!(page(format!("limit=2&before={}", ids[1])).await, [ids[0]]);
        assert_eq!(page(format!("symbol=BTC-USD&before={}", ids[2])).await, [ids[0]]);
        assert_eq!(page("before=0".into()).await, [0u64; 0], "no order is older than id 0 (as for fills, ledger)");
        let (status, body) = status_json(app.get("/api/v1/orders/?before=x", Some(&alice)).await).await;
        assert_eq!(status, 422);
        assert_error(&body, "validation_error");

        // By client order id: the newest of all markets, or the one of the market named.
        for (query, expected) in [("a-1", ids[1]), ("a-1?symbol=BTC-USD", ids[0]), ("a-2", ids[2])] {
            let (status, order) = status_json(app.get(&format!("/api/v1/orders/by-client-id/{query}"), Some(&alice)).await).await;
            assert_eq!((status, order["id"].as_u64()), (200, Some(expected)), "{query}");
        }
        let bob = app.user("bob").await;
        for (query, token) in [("a-2?symbol=ETH-USD", &alice), ("nope", &alice), ("a%20b", &alice), ("a-1", &bob)] {
            let (status, body) = status_json(app.get(&format!("/api/v1/orders/by-client-id/{query}"), Some(token)).await).await;
            assert_eq!(status, 404, "{query}");
            assert_error(&body, "not_found");
        }
    }

    async fn a_resting_limit_order_is_created_and_shows_in_the_book(d) {
        let app = spawn_app(d).await;
        let alice = app.user("alice").await;
        let (status, order) = status_json(app.limit(&alice, "buy", "1.5", "50000").await).await;
        assert_eq!(status, 201, "{order}");
        assert_eq!(order["status"], "open");
        assert_eq!(order["symbol"], "BTC/USD");
        assert_eq!(order["price"], json!(50000.0));
        assert_eq!(order["quantity"], json!(1.5));
        assert_eq!(order["filled_quantity"], json!(0.0));
        assert_eq!(order["remaining_quantity"], json!(1.5));
        assert_eq!(order["average_price"], Value::Null);
        assert_eq!(order["trades"], json!([]));
        assert!(order["created_at"].as_str().unwrap().ends_with('Z'));

        let (status, book) = status_json(app.get("/api/v1/orders/book/BTC%2FUSD?depth=5", None).await).await;
        assert_eq!(status, 200);
        assert_eq!(book["bids"], json!([{"price": 50000.0, "quantity": 1.5, "order_count": 1}]));
        assert_eq!(book["sequence"], 1);
    }

    async fn a_crossing_order_trades_at_the_makers_price_and_both_sides_see_it(d) {
        let app = spawn_app(d).await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        let (_, maker) = status_json(app.limit(&alice, "sell", "1", "49990.5").await).await;
        let (status, taker) = status_json(app.limit(&bob, "buy", "0.4", "50000").await).await;
        assert_eq!(status, 201);
        assert_eq!(taker["status"], "filled");
        assert_eq!(taker["average_price"], json!(49990.5));
        let trade = &taker["trades"][0];
        assert_eq!(trade["price"], json!(49990.5));
        assert_eq!(trade["quantity"], json!(0.4));
        assert_eq!(trade["maker_order_id"], maker["id"]);
        assert_eq!(trade["taker_side"], "buy");

        let (_, mine) = status_json(app.get(&format!("/api/v1/orders/{}", maker["id"]), Some(&alice)).await).await;
        assert_eq!(mine["status"], "partially_filled");
        assert_eq!(mine["remaining_quantity"], json!(0.6));
        let (_, trades) = status_json(app.get("/api/v1/orders/trades/BTC-USD?limit=5", None).await).await;
        assert_eq!(trades.as_array().unwrap().len(), 1);
        assert_eq!(trades[0]["taker_order_id"], taker["id"]);
    }

    async fn another_users_order_is_not_found(d) {
        let app = spawn_app(d).await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        let (_, order) = status_json(app.limit(&alice, "buy", "1", "100").await).await;
        let path = format!("/api/v1/orders/{}", order["id"]);
        for r in [app.get(&path, Some(&bob)).await, app.delete(&path, Some(&bob)).await] {
            let (status, body) = status_json(r).await;
            assert_eq!(status, 404);
            assert_error(&body, "not_found");
        }
        let (_, list) = status_json(app.get("/api/v1/orders/", Some(&bob)).await).await;
        assert_eq!(list, json!([]));
    }

    async fn cancel_returns_the_cancelled_order_and_a_second_cancel_conflicts(d) {
        let app = spawn_app(d).await;
        let alice = app.user("alice").await;
        let (_, order) = status_json(app.limit(&alice, "buy", "1", "100").await).await;
        let path = format!("/api/v1/orders/{}", order["id"]);
        let (status, cancelled) = status_json(app.delete(&path, Some(&alice)).await).await;
        assert_eq!(status, 200);
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(cancelled["remaining_quantity"], json!(1.0));
        let (status, body) = status_json(app.delete(&path, Some(&alice)).await).await;
        assert_eq!(status, 409);
        assert_error(&body, "order_not_open");
        let (status, _) = status_json(app.delete("/api/v1/orders/999999", Some(&alice)).await).await;
        assert_eq!(status, 404);
    }

    async fn patch_changes_an_order_and_its_owners_feed_sees_the_new_state(d) {
        let app = spawn_app(d).await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        let mut feed = private_feed(&app, &alice).await;
        let (_, first) = status_json(app.limit(&alice, "sell", "2", "101").await).await;
        let (_, second) = status_json(app.limit(&bob, "sell", "1", "101").await).await;
        let path = format!("/api/v1/orders/{}", first["id"]);
        // Lower: still first in the queue.
        let (status, changed) = status_json(app.patch_json(&path, Some(&alice), &json!({"quantity": "1.5"})).await).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!((changed["id"].clone(), changed["quantity"].clone()), (first["id"].clone(), json!(1.5)));
        assert_eq!(changed["trades"], json!([]));
        let update = loop {
            let m = next_of(&mut feed, "order_update").await;
            if m["data"]["quantity"] == json!(1.5) {
                break m;
            }
        };
        assert_eq!(update["data"]["id"], first["id"]);
        let (_, taker) = status_json(app.limit(&bob, "buy", "0.5", "101").await).await;
        assert_eq!(taker["trades"][0]["maker_order_id"], first["id"]);
        // A crossing price: it trades at once, at the resting order's price, and rests what is left.
        let (_, bid) = status_json(app.limit(&alice, "buy", "2", "99").await).await;
        let bid_path = format!("/api/v1/orders/{}", bid["id"]);
        let (status, moved) = status_json(app.patch_json(&bid_path, Some(&alice), &json!({"price": 102})).await).await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["trades"].as_array().unwrap().len(), 1, "alice's own ask is cancelled, bob's fills");
        assert_eq!(moved["trades"][0]["maker_order_id"], second["id"]);
        assert_eq!((moved["filled_quantity"].clone(), moved["status"].clone()), (json!(1.0), json!("partially_filled")));
        let (_, book) = status_json(app.get("/api/v1/orders/book/BTC-USD", None).await).await;
        assert_eq!(book["bids"][0], json!({"price": 102.0, "quantity": 1.0, "order_count": 1}));
        assert_eq!(book["asks"], json!([]));
    }

    async fn a_stop_order_waits_pending_then_a_trade_places_it_and_its_owner_sees_each_state(d) {
        let app = spawn_app(d).await;
        let (alice, bob, carol) = (app.user("alice").await, app.user("bob").await, app.user("carol").await);
        let mut feed = private_feed(&app, &alice).await;
        app.limit(&bob, "sell", "0.1", "100").await;
        app.limit(&carol, "buy", "0.1", "100").await;
        let body = json!({"symbol": "BTC-USD", "side": "buy", "order_type": "stop_limit", "quantity": "0.5",
                          "price": "106", "stop_price": "105", "client_order_id": "breakout"});
        let (status, stop) = status_json(app.post_json("/api/v1/orders/", Some(&alice), &body).await).await;
        assert_eq!(status, 201, "{stop}");
        assert_eq!((stop["status"].clone(), stop["order_type"].clone()), (json!("pending"), json!("stop_limit")));
        assert_eq!((stop["stop_price"].clone(), stop["price"].clone(), stop["trades"].clone()), (json!(105.0), json!(106.0), json!([])));
        assert_eq!(next_of(&mut feed, "order_update").await["data"]["status"], json!("pending"));
        let (_, open) = status_json(app.get("/api/v1/orders/?status=open", Some(&alice)).await).await;
        assert_eq!(open[0]["id"], stop["id"], "listed with the open orders");
        let (_, book) = status_json(app.get("/api/v1/orders/book/BTC-USD", None).await).await;
        assert_eq!(book["bids"], json!([]), "on no book");
        // A stop a trade has reached already is refused.
        let reached = json!({"symbol": "BTC-USD", "side": "buy", "order_type": "stop_market", "quantity": "1", "stop_price": "99"});
        let (status, body) = status_json(app.post_json("/api/v1/orders/", Some(&alice), &reached).await).await;
        assert_eq!(status, 422);
        assert_error(&body, "would_trigger_immediately");
        // A trade at 105 places it, as a limit buy at 106 that rests.
        app.limit(&bob, "sell", "0.1", "105").await;
        app.limit(&carol, "buy", "0.1", "105").await;
        let placed = loop {
            let m = next_of(&mut feed, "order_update").await;
            if m["data"]["status"] != json!("pending") {
                break m;
            }
        };
        assert_eq!((placed["data"]["id"].clone(), placed["data"]["status"].clone()), (stop["id"].clone(), json!("open")));
        let (_, now) = status_json(app.get(&format!("/api/v1/orders/{}", stop["id"]), Some(&alice)).await).await;
        assert_eq!((now["status"].clone(), now["stop_price"].clone()), (json!("open"), json!(105.0)));
        let (_, book) = status_json(app.get("/api/v1/orders/book/BTC-USD", None).await).await;
        assert_eq!(book["bids"][0], json!({"price": 106.0, "quantity": 0.5, "order_count": 1}));
        // Pending stops are cancelled one by one and by cancel-all.
        let low = json!({"symbol": "BTC-USD", "side": "sell", "order_type": "stop_market", "quantity": "0.1", "stop_price": "90"});
        let (_, a) = status_json(app.post_json("/api/v1/orders/", Some(&alice), &low).await).await;
        let (_, b) = status_json(app.post_json("/api/v1/orders/", Some(&alice), &low).await).await;
        let (status, gone) = status_json(app.delete(&format!("/api/v1/orders/{}", a["id"]), Some(&alice)).await).await;
        assert_eq!((status, gone["status"].clone()), (200, json!("cancelled")));
        let (_, all) = status_json(app.delete("/api/v1/orders/", Some(&alice)).await).await;
        assert_eq!(all["cancelled"], json!([stop["id"], b["id"]]));
    }

    async fn bad_stop_orders_get_the_contracts_errors(d) {
        let app = spawn_app(d).await;
        let alice = app.user("alice").await;
        let base = json!({"symbol": "BTC-USD", "side": "buy", "quantity": "1"});
        let with = |extra: Value| {
            let mut body = base.clone();
            body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            body
        };
        for (extra, code) in [
            (json!({"order_type": "stop_market"}), "invalid_price"),
            (json!({"order_type": "stop_limit", "price": "100"}), "invalid_price"),
            (json!({"order_type": "stop_limit", "stop_price": "100"}), "invalid_price"),
            (json!({"order_type": "stop_limit", "price": "100", "stop_price": "100.001"}), "price_not_on_tick"),
            (json!({"order_type": "stop_limit", "price": "100", "stop_price": "-1"}), "invalid_price"),
            (json!({"order_type": "stop_limit", "price": "100", "stop_price": "x"}), "invalid_price"),
            (json!({"order_type": "stop_market", "stop_price": "100", "post_only": true}), "validation_error"),
            (json!({"order_type": "stop_market", "stop_price": "100", "price": "100"}), "invalid_price"),
            (json!({"order_type": "limit", "price": "100", "stop_price": "100"}), "validation_error"),
            (json!({"order_type": "stop", "stop_price": "100"}), "validation_error"),
        ] {
            let (status, body) = status_json(app.post_json("/api/v1/orders/", Some(&alice), &with(extra.clone())).await).await;
            assert_eq!(status, 422, "{extra}: {body}");
            assert_error(&body, code);
        }
        let budget = json!({"symbol": "BTC-USD", "side": "buy", "order_type": "stop_market", "quote_quantity": "100", "stop_price": "100"});
        let (status, body) = status_json(app.post_json("/api/v1/orders/", Some(&alice), &budget).await).await;
        assert_eq!(status, 422);
        assert_error(&body, "validation_error");
        let (_, mine) = status_json(app.get("/api/v1/orders/", Some(&alice)).await).await;
        assert_eq!(mine, json!([]), "nothing stored");
    }

    async fn bad_changes_get_the_contracts_errors_and_write_nothing(d) {
        let app = spawn_app(d).await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        let (_, mine) = status_json(app.limit(&alice, "buy", "1", "100").await).await;
        let (_, post_only) = status_json(
            app.post_json("/api/v1/orders/", Some(&alice), &json!({"symbol": "BTC/USD", "side": "sell",
                "order_type": "limit", "quantity": 1, "price": 105, "post_only": true})).await,
        )
        .await;
        let (_, gone) = status_json(app.limit(&alice, "buy", "1", "90").await).await;
        app.delete(&format!("/api/v1/orders/{}", gone["id"]), Some(&alice)).await;
        let at = |o: &Value| format!("/api/v1/orders/{}", o["id"]);
        let before = testkit::keyspace::dump_keyspace(&app.redis_urls()).await;
        let without_counter = |mut dump: Vec<testkit::KeyDump>| {
            dump.retain(|k| k.key != "next_order_id");
            dump
        };
        for (what, path, token, body, status, code) in [
            ("no field", at(&mine), &alice, json!({}), 422, "validation_error"),
            ("nulls only", at(&mine), &alice, json!({"quantity": null, "price": null}), 422, "validation_error"),
            ("a zero quantity", at(&mine), &alice, json!({"quantity": 0}), 422, "invalid_quantity"),
            ("a negative price", at(&mine), &alice, json!({"price": "-5"}), 422, "invalid_price"),
            ("a price off the tick", at(&mine), &alice, json!({"price": "100.001"}), 422, "price_not_on_tick"),
            ("a quantity off the lot", at(&mine), &alice, json!({"quantity": "1.000000001"}), 422, "quantity_not_on_lot"),
            ("a quantity not a number", at(&mine), &alice, json!({"quantity": "lots"}), 422, "invalid_quantity"),
            ("another user's order", at(&mine), &bob, json!({"quantity": 2}), 404, "not_found"),
            ("an order id not a number", "/api/v1/orders/abc".to_string(), &alice, json!({"quantity": 2}), 404, "not_found"),
            ("a cancelled order", at(&gone), &alice, json!({"quantity": 2}), 409, "order_not_open"),
            ("a post-only crossing", at(&post_only), &alice, json!({"price": 100}), 409, "post_only_would_cross"),
        ] {
            let (got, body) = status_json(app.patch_json(&path, Some(token), &body).await).await;
            assert_eq!(got, status, "{what}: {body}");
            assert_error(&body, code);
            let after = testkit::keyspace::dump_keyspace(&app.redis_urls()).await;
            assert_eq!(without_counter(after), without_counter(before.clone()), "{what} wrote something");
        }
        let (status, _) = status_json(app.patch_json(&at(&mine), None, &json!({"quantity": 2})).await).await;
        assert_eq!(status, 401);
        // More than its owner has, wherever it is (the wallet's funds move into the market first, as for a
        // placement): refused, and the order as it was.
        let big = json!({"quantity": 5000, "price": 5000});
        let (status, body) = status_json(app.patch_json(&at(&mine), Some(&alice), &big).await).await;
        assert_eq!(status, 422, "{body}");
        assert_error(&body, "insufficient_funds");
        let (_, now) = status_json(app.get(&at(&mine), Some(&alice)).await).await;
        assert_eq!((now["quantity"].clone(), now["price"].clone()), (json!(1.0), json!(100.0)));
    }

    async fn cancel_all_cancels_the_callers_open_orders_only(d) {
        let app = spawn_app(d).await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        let (_, a1) = status_json(app.limit(&alice, "buy", "1", "100").await).await;
        let (_, a2) = status_json(app.limit(&alice, "sell", "1", "200").await).await;
        app.limit(&bob, "buy", "1", "99").await;
        let (status, body) = status_json(app.delete("/api/v1/orders/?symbol=BTC-USD", Some(&alice)).await).await;
        assert_eq!(status, 200);
        assert_eq!(body, json!({"cancelled": [a1["id"], a2["id"]]}));
        let (_, book) = status_json(app.get("/api/v1/orders/book/BTC-USD", None).await).await;
        assert_eq!(book["bids"][0]["price"], json!(99.0));
        let (_, body) = status_json(app.delete("/api/v1/orders", Some(&alice)).await).await;
        assert_eq!(body, json!({"cancelled": []}));
    }

    async fn listing_filters_by_status_symbol_and_limit_newest_first(d) {
        let app = spawn_app(d).await;
        let alice = app.user("alice").await;
        let (_, a) = status_json(app.limit(&alice, "buy", "1", "100").await).await;
        let (_, b) = status_json(app.limit(&alice, "buy", "1", "101").await).await;
        app.delete(&format!("/api/v1/orders/{}", a["id"]), Some(&alice)).await;
        let ids = |v: Value| v.as_array().unwrap().iter().map(|o| o["id"].clone()).collect::<Vec<_>>();
        let (_, all) = status_json(app.get("/api/v1/orders/", Some(&alice)).await).await;
        assert_eq!(ids(all), vec![b["id"].clone(), a["id"].clone()]);
        let (_, open) = status_json(app.get("/api/v1/orders?status=open", Some(&alice)).await).await;
        assert_eq!(ids(open), vec![b["id"].clone()]);
        let (_, closed) = status_json(app.get("/api/v1/orders/?status=closed&symbol=BTC%2FUSD", Some(&alice)).await).await;
        assert_eq!(ids(closed), vec![a["id"].clone()]);
        let (_, one) = status_json(app.get("/api/v1/orders/?limit=1", Some(&alice)).await).await;
        assert_eq!(ids(one), vec![b["id"].clone()]);
        let (_, eth) = status_json(app.get("/api/v1/orders/?symbol=ETH-USD", Some(&alice)).await).await;
        assert_eq!(eth, json!([]));
        for bad in ["?status=done", "?limit=0", "?limit=1001", "?limit=x"] {
            let (status, body) = status_json(app.get(&format!("/api/v1/orders/{bad}"), Some(&alice)).await).await;
            assert_eq!(status, 422, "{bad}");
            assert_error(&body, "validation_error");
        }
        let (status, body) = status_json(app.get("/api/v1/orders/?symbol=DOGE-USD", Some(&alice)).await).await;
        assert_eq!(status, 404);
        assert_error(&body, "unknown_symbol");
    }

    async fn a_repeated_client_order_id_returns_the_first_order_with_200(d) {
        let app = spawn_app(d).await;
        let alice = app.user("alice").await;
        let body = json!({"symbol": "BTC/USD", "side": "buy", "order_type": "limit", "quantity": 1, "price": 100, "client_order_id": "my-42"});
        let (status, first) = status_json(app.post_json("/api/v1/orders/", Some(&alice), &body).await).await;
        assert_eq!(status, 201);
        assert_eq!(first["client_order_id"], "my-42");
        let (status, again) = status_json(app.post_json("/api/v1/orders/", Some(&alice), &body).await).await;
        assert_eq!(status, 200);
        assert_eq!(again["id"], first["id"]);
    }

    async fn the_identity_comes_from_the_token_not_the_body(d) {
        let app = spawn_app(d).await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        let body =
            json!({"symbol": "BTC/USD", "side": "buy", "order_type": "limit", "quantity": 1, "price": 100, "user_id": 1});
        let (status, order) = status_json(app.post_json("/api/v1/orders/", Some(&bob), &body).await).await;
        assert_eq!(status, 201);
        assert_eq!(app.get(&format!("/api/v1/orders/{}", order["id"]), Some(&alice)).await.status(), 404);
        assert_eq!(app.get(&format!("/api/v1/orders/{}", order["id"]), Some(&bob)).await.status(), 200);
    }

    async fn a_post_only_order_that_would_cross_conflicts(d) {
        let app = spawn_app(d).await;
        let (alice, bob) = (app.user("alice").await, app.user("bob").await);
        app.limit(&alice, "sell", "1", "100").await;
        let body = json!({"symbol": "BTC/USD", "side": "buy", "order_type": "limit", "quantity": 1, "price": 100, "post_only": true});
        let (status, err) = status_json(app.post_json("/api/v1/orders/", Some(&bob), &body).await).await;
        assert_eq!(status, 409);
        assert_error(&err, "post_only_would_cross");
    }

    async fn invalid_orders_get_their_own_error_codes(d) {
        let app = spawn_app(d).await;
        let alice = app.user("alice").await;
        let order = |patch: Value| {
            let mut o = json!({"symbol": "BTC/USD", "side": "buy", "order_type": "limit", "quantity": "1", "price": "100"});
            for (k, v) in patch.as_object().unwrap() {
                if v.is_null() {
                    o.as_object_mut().unwrap().remove(k);
                } else {
                    o[k] = v.clone();
                }
            }
            o
        };
        for (patch, status, code) in [
            (json!({"quantity": "0"}), 422, "invalid_quantity"),
            (json!({"quantity": -1}), 422, "invalid_quantity"),
            (json!({"quantity": "NaN"}), 422, "invalid_quantity"),
            (json!({"quantity": "Infinity"}), 422, "invalid_quantity"),
            (json!({"quantity": "1e3"}), 422, "invalid_quantity"),
            (json!({"quantity": " 1"}), 422, "invalid_quantity"),
            (json!({"quantity": "0x10"}), 422, "invalid_quantity"),
            (json!({"quantity": "0.000000001"}), 422, "invalid_quantity"),
            (json!({"quantity": "0.000010001"}), 422, "quantity_not_on_lot"),
            (json!({"quantity": true}), 422, "invalid_quantity"),
            (json!({"quantity": null}), 422, "invalid_quantity"),
            (json!({"price": "100.001"}), 422, "price_not_on_tick"),
            (json!({"price": 0}), 422, "invalid_price"),
            (json!({"price": "10000000.01"}), 422, "invalid_price"),
            (json!({"price": null}), 422, "invalid_price"),
            (json!({"order_type": "market"}), 422, "invalid_price"),
            (json!({"side": "up"}), 422, "validation_error"),
            (json!({"order_type": "stop"}), 422, "validation_error"),
            (json!({"time_in_force": "day"}), 422, "validation_error"),
            (json!({"post_only": "yes"}), 422, "validation_error"),
            (json!({"client_order_id": "has space"}), 422, "validation_error"),
            (json!({"client_order_id": "x".repeat(65)}), 422, "validation_error"),
            (json!({"symbol": "DOGE/USD"}), 404, "unknown_symbol"),
            (json!({"symbol": "}{"}), 404, "unknown_symbol"),
            (json!({"symbol": 7}), 422, "validation_error"),
        ] {
            let body = order(patch.clone());
            let (got, err) = status_json(app.post_json("/api/v1/orders/", Some(&alice), &body).await).await;
            assert_eq!((got, err["code"].as_str().unwrap_or("")), (status, code), "{patch}: {err}");
        }
        let (_, book) = status_json(app.get("/api/v1/orders/book/BTC%2FUSD", None).await).await;
        assert_eq!(book["sequence"], 0, "nothing reached the book");
    }
}

#[tokio::test]
async fn malformed_bodies_are_bad_requests_and_huge_ones_too_large() {
    let app = spawn_app(Deployment::Single).await;
    let alice = app.user("alice").await;
    let post = |body: String, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/orders/"))
            .bearer_auth(&alice)
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let (status, body) = status_json(post("{not json".into(), "application/json").await.unwrap()).await;
    assert_eq!(status, 400);
    assert_error(&body, "bad_request");
    let (status, body) = status_json(post("{}".into(), "text/plain").await.unwrap()).await;
    assert_eq!(status, 400);
    assert_error(&body, "bad_request");
    let (status, _) =
        status_json(post(format!("{{\"pad\": \"{}\"}}", "x".repeat(20_000)), "application/json").await.unwrap()).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn a_user_over_the_rate_limit_gets_429_with_retry_after() {
    let app = spawn_app_with(Deployment::Single, |c| c.rate_limit_orders_per_sec = 2).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    assert_eq!(app.limit(&alice, "buy", "1", "100").await.status(), 201);
    assert_eq!(app.limit(&alice, "buy", "1", "100").await.status(), 201);
    let r = app.limit(&alice, "buy", "1", "100").await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    let (_, body) = status_json(r).await;
    assert_error(&body, "rate_limited");
    assert_eq!(app.limit(&bob, "buy", "1", "100").await.status(), 201, "another user is not limited");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(app.limit(&alice, "buy", "1", "100").await.status(), 201, "the allowance refills");
    // Reads of one's orders draw on the same allowance: a list costs Redis more than a placement.
    // (Two a second here: within three lists, one is refused, and so is the next read of one order.)
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(app.get("/api/v1/orders/", Some(&bob)).await.status().as_u16());
    }
    assert_eq!(statuses[0], 200);
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(app.get("/api/v1/orders/1", Some(&bob)).await.status(), 429);
}

#[tokio::test]
async fn a_full_market_answers_409_market_full_and_stores_nothing() {
    let app = spawn_app_with(Deployment::Single, |c| c.engine.max_resting_orders_per_market = 1).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    assert_eq!(app.limit(&alice, "buy", "1", "100").await.status(), 201);
    let (status, err) = status_json(app.limit(&bob, "buy", "1", "99").await).await;
    assert_eq!(status, 409);
    assert_error(&err, "market_full");
    let (_, listed) = status_json(app.get("/api/v1/orders/", Some(&bob)).await).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "nothing stored: {listed}");
    assert_eq!(app.limit(&bob, "sell", "1", "100").await.status(), 201, "an order that trades is not refused");
}

#[tokio::test]
async fn metrics_count_requests_orders_and_trades_in_the_prometheus_format() {
    let app = spawn_app(Deployment::Single).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    app.limit(&alice, "sell", "1", "100").await;
    app.limit(&bob, "buy", "1", "100").await;
    app.get("/api/v1/health", None).await;
    let text = app.get("/metrics", None).await.text().await.unwrap();
    for needle in [
        "http_requests_total{method=\"POST\",route=\"/api/v1/orders/\",status=\"201\"}",
        "http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/health\"",
        "orders_total{market=\"BTC/USD\",outcome=\"placed\"}",
        "trades_total{market=\"BTC/USD\"}",
        "redis_roundtrip_seconds_count{probe=\"health\"}",
        "websocket_connections",
    ] {
        assert!(text.contains(needle), "{needle} missing in\n{text}");
    }
}

on_every_deployment! {
    async fn concurrent_orders_are_batched_without_losing_or_mixing_any(d) {
        let app = std::sync::Arc::new(spawn_app(d).await);
        let mut tokens = Vec::new();
        for name in ["user1", "user2", "user3", "user4"] {
            tokens.push(app.user(name).await);
        }
        let mut tasks = Vec::new();
        for i in 0..60u32 {
            let (app, token) = (app.clone(), tokens[i as usize % 4].clone());
            tasks.push(tokio::spawn(async move {
                let (status, order) = status_json(app.limit(&token, "buy", "0.5", &format!("{}", 1000 + i)).await).await;
                assert_eq!(status, 201, "{order}");
                (order["id"].as_u64().unwrap(), order["price"].clone(), token)
            }));
        }
        let mut ids = std::collections::HashSet::new();
        for t in tasks {
            let (id, price, token) = t.await.unwrap();
            assert!(ids.insert(id), "order id {id} given twice");
            let (_, mine) = status_json(app.get(&format!("/api/v1/orders/{id}"), Some(&token)).await).await;
            assert_eq!(mine["price"], price, "each answer is its own order");
        }
        let (_, book) = status_json(app.get("/api/v1/orders/book/BTC-USD?depth=100", None).await).await;
        assert_eq!(book["bids"].as_array().unwrap().len(), 60);
        assert_eq!(book["sequence"], 60, "one book change per order");
    }
}
