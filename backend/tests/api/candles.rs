//! Candles, tickers and the server time, through two backend instances on one Redis: every trade counted
//! once whichever instance placed it or answers; bad queries refused; the book feed's `candle` and
//! `ticker` messages.

use serde_json::{json, Value};

use crate::helpers::*;

/// (price, quantity) of each trade, oldest first, from the public trades list.
async fn trades(app: &TestApp) -> Vec<(f64, f64)> {
    let (_, list) = status_json(app.get("/api/v1/orders/trades/BTC-USD?limit=1000", None).await).await;
    let mut out: Vec<(f64, f64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["price"].as_f64().unwrap(), t["quantity"].as_f64().unwrap()))
        .collect();
    out.reverse();
    out
}

on_every_deployment! {
    async fn candles_and_tickers_count_each_trade_once_whichever_instance_made_or_reads_it(d) {
        let app = spawn_app(d).await;
        let peer = app.peer().await;
        let (seller, buyer) = (app.user("seller").await, app.user("buyer").await);
        // Six trades, placed through both instances in turn.
        for (i, price) in ["100.5", "101", "99.25", "100", "102.75", "101.5"].into_iter().enumerate() {
            let via = if i % 2 == 0 { &app } else { &peer };
            assert_eq!(via.limit(&seller, "sell", "0.5", price).await.status(), 201);
            assert_eq!(via.limit(&buyer, "buy", "0.5", price).await.status(), 201);
        }
        let made = trades(&app).await;
        assert_eq!(made.len(), 6);
        let (open, close) = (made[0].0, made[5].0);
        let high = made.iter().map(|t| t.0).fold(f64::MIN, f64::max);
        let low = made.iter().map(|t| t.0).fold(f64::MAX, f64::min);
        let quote: f64 = made.iter().map(|t| t.0 * t.1).sum();

        // Both instances answer the same candles at once (each folds what the other has not).
        let (_, a) = status_json(app.get("/api/v1/markets/BTC-USD/candles?interval=1d", None).await).await;
        let (_, b) = status_json(peer.get("/api/v1/markets/BTC-USD/candles?interval=1d", None).await).await;
        assert_eq!(a, b);
        let day = &a.as_array().unwrap().last().unwrap();
        assert_eq!((day["open"].as_f64(), day["close"].as_f64()), (Some(open), Some(close)));
        assert_eq!((day["high"].as_f64(), day["low"].as_f64()), (Some(high), Some(low)));
        assert_eq!(day["trades"], 6);
        assert_eq!(day["volume"].to_string(), "3.0");
        assert!((day["quote_volume"].as_f64().unwrap() - quote).abs() < 1e-9);
        // Every interval sums to the same six trades.
        for interval in ["1m", "5m", "15m", "1h", "4h", "1d"] {
            let (status, list) =
                status_json(peer.get(&format!("/api/v1/markets/BTC-USD/candles?interval={interval}"), None).await).await;
            assert_eq!(status, 200);
            let count: u64 = list.as_array().unwrap().iter().map(|c| c["trades"].as_u64().unwrap()).sum();
            assert_eq!(count, 6, "{interval}: {list}");
        }

        // The ticker, from either instance: the same 24 h figures.
        app.limit(&seller, "sell", "0.25", "110").await;
        app.limit(&buyer, "buy", "0.125", "90").await;
        let (_, t1) = status_json(app.get("/api/v1/markets/BTC-USD/ticker", None).await).await;
        let (_, t2) = status_json(peer.get("/api/v1/markets/BTC-USD/ticker", None).await).await;
        let without_time = |t: &Value| { let mut t = t.clone(); t["timestamp"] = Value::Null; t };
        assert_eq!(without_time(&t1), without_time(&t2));
        assert_eq!(t1["symbol"], "BTC/USD");
        assert_eq!((t1["open_price"].as_f64(), t1["last_price"].as_f64()), (Some(open), Some(close)));
        assert_eq!((t1["high"].as_f64(), t1["low"].as_f64(), t1["trades"].as_u64()), (Some(high), Some(low), Some(6)));
        assert_eq!(t1["price_change"].as_f64(), Some(close - open));
        assert_eq!(t1["price_change_percent"].to_string(), "1.0", "(101.5 - 100.5) / 100.5 = 0.995.., rounded");
        assert_eq!((t1["best_bid"].to_string(), t1["best_bid_quantity"].to_string()), ("90.0".into(), "0.125".into()));
        assert_eq!((t1["best_ask"].to_string(), t1["best_ask_quantity"].to_string()), ("110.0".into(), "0.25".into()));
        assert!(t1["sequence"].as_u64().unwrap() >= 14);

        // An answer kept by an instance is not given again once a trade made through the other changed
        // the candles, nor the ticker's best prices once the book moved.
        let path = "/api/v1/markets/BTC-USD/candles?interval=1d";
        let (_, before) = status_json(app.get(path, None).await).await;
        assert_eq!(before.as_array().unwrap().last().unwrap()["trades"], 6);
        assert_eq!(peer.limit(&seller, "sell", "0.125", "90").await.status(), 201);
        let (_, after) = status_json(app.get(path, None).await).await;
        assert_eq!(after.as_array().unwrap().last().unwrap()["trades"], 7, "{after}");
        let (_, t3) = status_json(app.get("/api/v1/markets/BTC-USD/ticker", None).await).await;
        assert_eq!((t3["best_bid"].clone(), t3["last_price"].as_f64(), t3["trades"].as_u64()), (Value::Null, Some(90.0), Some(7)));

        // All markets: ETH/USD has not traded, so its prices are null and its volumes zero.
        let (status, all) = status_json(app.get("/api/v1/tickers", None).await).await;
        assert_eq!(status, 200);
        assert_eq!(all[0]["symbol"], "BTC/USD");
        let eth = &all[1];
        assert_eq!(eth["symbol"], "ETH/USD");
        for field in ["last_price", "open_price", "high", "low", "price_change", "price_change_percent", "best_bid", "best_ask"] {
            assert_eq!(eth[field], Value::Null, "{field}");
        }
        assert_eq!((eth["volume"].as_f64(), eth["trades"].as_u64()), (Some(0.0), Some(0)));
    }

    async fn candle_queries_page_by_time_and_refuse_what_they_cannot_answer(d) {
        let app = spawn_app(d).await;
        let (seller, buyer) = (app.user("seller").await, app.user("buyer").await);
        app.limit(&seller, "sell", "1", "100").await;
        app.limit(&buyer, "buy", "1", "100").await;
        let (_, newest) = status_json(app.get("/api/v1/markets/BTC-USD/candles?interval=1m&limit=1", None).await).await;
        let open_time = newest[0]["open_time"].as_str().unwrap().to_string();
        let ms = common::time::parse_millis(&open_time).unwrap();
        // The same candle by RFC 3339 and by epoch ms; none before it, none from its end.
        for query in [format!("start={open_time}"), format!("start={ms}&end={}", ms + 60_000), format!("end={}", ms + 1)] {
            let (status, got) =
                status_json(app.get(&format!("/api/v1/markets/BTC-USD/candles?interval=1m&{query}"), None).await).await;
            assert_eq!((status, &got), (200, &newest), "{query}");
        }
        for query in [format!("end={ms}"), format!("start={}", ms + 60_000)] {
            let (_, got) =
                status_json(app.get(&format!("/api/v1/markets/BTC-USD/candles?interval=1m&{query}"), None).await).await;
            assert_eq!(got, json!([]), "{query}");
        }
        for query in [
            "",
            "interval=2m",
            "interval=1M",
            "interval=1m&limit=0",
            "interval=1m&limit=1001",
            "interval=1m&start=yesterday",
            "interval=1m&start=2026-12-06",
            "interval=1m&end=-1",
            "interval=1m&start=2000&end=1000",
            "interval=1m&start=1000&end=1000",
        ] {
            let (status, body) = status_json(app.get(&format!("/api/v1/markets/BTC-USD/candles?{query}"), None).await).await;
            assert_eq!(status, 422, "{query}: {body}");
            assert_error(&body, "validation_error");
        }
        for path in ["/api/v1/markets/DOGE-USD/candles?interval=1m", "/api/v1/markets/DOGE-USD/ticker"] {
            let (status, body) = status_json(app.get(path, None).await).await;
            assert_eq!(status, 404, "{path}");
            assert_error(&body, "unknown_symbol");
        }
        // The server's clock, in both forms.
        let (status, time) = status_json(app.get("/api/v1/time", None).await).await;
        assert_eq!(status, 200);
        let epoch = time["epoch_ms"].as_u64().unwrap();
        assert_eq!(common::time::parse_millis(time["server_time"].as_str().unwrap()), Some(epoch));
        assert!(epoch.abs_diff(common::time::now_ms()) < 5_000);
    }

    async fn the_book_feed_sends_the_candle_of_each_trade_and_the_ticker(d) {
        let app = spawn_app(d).await;
        let peer = app.peer().await;
        let (seller, buyer) = (app.user("seller").await, app.user("buyer").await);
        let mut ws = connect(&app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
        next_of(&mut ws, "order_book_snapshot").await;
        say(&mut ws, json!({"type": "subscribe_candles", "interval": "3m"})).await;
        assert!(next_of(&mut ws, "error").await["data"]["message"].as_str().unwrap().contains("1m"));
        say(&mut ws, json!({"type": "subscribe_candles", "interval": "5m"})).await;
        // A trade made through the other instance: its candle comes here.
        peer.limit(&seller, "sell", "0.5", "100").await;
        peer.limit(&buyer, "buy", "0.5", "100").await;
        let candle = next_of(&mut ws, "candle").await;
        assert_eq!(candle["data"]["interval"], "5m");
        assert_eq!(candle["data"]["symbol"], "BTC/USD");
        assert_eq!((candle["data"]["trades"].as_u64(), candle["data"]["closed"].as_bool()), (Some(1), Some(false)));
        assert_eq!(candle["data"]["close"].to_string(), "100.0");
        // The ticker follows within a second or so, with that trade.
        let mut ticker = next_of(&mut ws, "ticker").await;
        while ticker["data"]["trades"] != 1 {
            ticker = next_of(&mut ws, "ticker").await;
        }
        assert_eq!(ticker["data"]["last_price"].to_string(), "100.0");
        // Subscribing again sends the open candle at once.
        say(&mut ws, json!({"type": "subscribe_candles", "interval": "1h"})).await;
        let candle = next_of(&mut ws, "candle").await;
        assert_eq!((candle["data"]["interval"].as_str(), candle["data"]["trades"].as_u64()), (Some("1h"), Some(1)));
    }

    async fn a_failover_that_lost_trades_is_never_answered_candles_from_before_it(d) {
        let app = spawn_app(d).await;
        let (seller, buyer) = (app.user("seller").await, app.user("buyer").await);
        let trade = |price: &'static str| {
            let (app, seller, buyer) = (&app, &seller, &buyer);
            async move {
                assert_eq!(app.limit(seller, "sell", "0.5", price).await.status(), 201);
                assert_eq!(app.limit(buyer, "buy", "0.5", price).await.status(), 201);
            }
        };
        let day = || async {
            let (_, list) = status_json(app.get("/api/v1/markets/BTC-USD/candles?interval=1d", None).await).await;
            let day = list.as_array().unwrap().last().unwrap().clone();
            (day["close"].to_string(), day["trades"].as_u64().unwrap())
        };
        trade("100").await;
        assert_eq!(day().await, ("100.0".to_string(), 1));
        let before = dump_keyspace(&app.redis_urls()).await;
        // A trade at 120, answered (and kept) at two trades folded...
        trade("120").await;
        assert_eq!(day().await, ("120.0".to_string(), 2));
        let mut feed = connect(&app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
        next_of(&mut feed, "order_book_snapshot").await;
        // ...then lost in a failover, and a trade at 150 in its place: two trades folded again.
        restore_keyspace(&app.redis_urls(), &before).await;
        trade("150").await;
        // (The instance has seen the sequence go back once its clients are resynced.)
        next_of(&mut feed, "order_book_snapshot").await;
        assert_eq!(day().await, ("150.0".to_string(), 2), "the candle of the history that stands");
    }
}
