//! Every kind of malformed value at every endpoint and both WebSockets: each gets the contract's error,
//! and no Redis key changes (a dump of the whole keyspace is compared before and after).

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use backend::config::percent_encode;

use crate::helpers::*;

async fn dump(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for mut conn in app.redis_nodes().await {
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query_async(&mut conn).await.unwrap();
        for k in keys {
            let value: Vec<u8> = redis::cmd("DUMP").arg(&k).query_async(&mut conn).await.unwrap();
            out.push((k, value));
        }
    }
    out.sort();
    out
}

/// An order body with one field replaced by raw JSON text (or removed when `raw` is empty).
fn order_with(field: &str, raw: &str) -> String {
    let mut fields = vec![
        ("symbol", "\"BTC/USD\"".to_string()),
        ("side", "\"buy\"".to_string()),
        ("order_type", "\"limit\"".to_string()),
        ("quantity", "\"1\"".to_string()),
        ("price", "\"100\"".to_string()),
    ];
    fields.retain(|(k, _)| *k != field);
    if !raw.is_empty() {
        fields.push((field, raw.to_string()));
    }
    let inner: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// Symbols built to break key names, paths and headers.
fn nasty_symbols() -> Vec<String> {
    vec![
        "}{".into(),
        "{BTC/USD}".into(),
        "*".into(),
        ":".into(),
        "BTC/USD:*".into(),
        "".into(),
        "A".repeat(10_000),
        "БТК/USD".into(),
        "BTC/USD\r\nX-Injected: 1".into(),
        "BTC/USD ".into(),
        "btc/usd".into(),
        "BTC/USD\u{0}".into(),
    ]
}

on_every_deployment! {
    async fn malformed_input_everywhere_gets_the_contracts_error_and_changes_no_key(d) {
        let app = spawn_app(d).await;
        let alice = app.user("alice").await;
        assert_eq!(app.limit(&alice, "buy", "1", "100").await.status(), 201, "a book that is not empty");
        let before = dump(&app).await;
        let mut failures = Vec::new();
        let mut tried = 0;

        // Orders: numbers in every malformed form (raw JSON text, so exponents and the like reach the
        // server as written), wrong types, missing fields, unknown enum values, nasty symbols and ids.
        let mut orders: Vec<(String, u16, &str)> = Vec::new();
        for (raw, code) in [
            ("0", "invalid_quantity"),
            ("\"0\"", "invalid_quantity"),
            ("-1", "invalid_quantity"),
            ("\"-0.5\"", "invalid_quantity"),
            ("\"NaN\"", "invalid_quantity"),
            ("\"Infinity\"", "invalid_quantity"),
            ("\"-Infinity\"", "invalid_quantity"),
            ("1e3", "invalid_quantity"),
            ("1E-2", "invalid_quantity"),
            ("\"1e3\"", "invalid_quantity"),
            ("\"0x10\"", "invalid_quantity"),
            ("\" 1\"", "invalid_quantity"),
            ("\"1 \"", "invalid_quantity"),
            ("\"\"", "invalid_quantity"),
            ("\"1,5\"", "invalid_quantity"),
            ("0.000000001", "invalid_quantity"),
            ("0.123456789012345678901234567890", "invalid_quantity"),
            ("100000000000000000000000000000000000000000", "invalid_quantity"),
            ("10001", "invalid_quantity"),
            ("0.000010001", "quantity_not_on_lot"),
            ("true", "invalid_quantity"),
            ("[]", "invalid_quantity"),
            ("{}", "invalid_quantity"),
            ("", "invalid_quantity"),
        ] {
            orders.push((order_with("quantity", raw), 422, code));
        }
        for (raw, code) in [
            ("0", "invalid_price"),
            ("-100", "invalid_price"),
            ("\"NaN\"", "invalid_price"),
            ("1e400", "invalid_price"),
            ("\"1e2\"", "invalid_price"),
            ("100.001", "price_not_on_tick"),
            ("10000000.01", "invalid_price"),
            ("\"100.00000000000000000001\"", "price_not_on_tick"),
            ("false", "invalid_price"),
            ("", "invalid_price"),
        ] {
            orders.push((order_with("price", raw), 422, code));
        }
        for (field, raw) in [
            ("side", "\"hold\""),
            ("side", "1"),
            ("side", "\"BUY\""),
            ("side", ""),
            ("order_type", "\"stop\""),
            ("order_type", "null"),
            ("order_type", ""),
            ("time_in_force", "\"gtd\""),
            ("time_in_force", "5"),
            ("post_only", "\"yes\""),
            ("post_only", "1"),
            ("client_order_id", "5"),
            ("client_order_id", "\"has space\""),
            ("client_order_id", "\"a}{b\""),
            ("client_order_id", "\"a:b*\""),
            ("client_order_id", "\"line\\r\\nbreak\""),
            ("client_order_id", "\"ключ\""),
            ("symbol", "7"),
            ("symbol", ""),
        ] {
            orders.push((order_with(field, raw), 422, "validation_error"));
        }
        orders.push((order_with("client_order_id", &format!("\"{}\"", "x".repeat(65))), 422, "validation_error"));
        // A budget (`quote_quantity`): with a quantity, on a limit order or a sell, or malformed.
        let market_buy = |budget: &str| {
            format!(r#"{{"symbol": "BTC/USD", "side": "buy", "order_type": "market", "quote_quantity": {budget}}}"#)
        };
        orders.push((order_with("quote_quantity", "5"), 422, "validation_error"));
        orders.push((market_buy("5").replace("}", r#", "quantity": 1}"#), 422, "validation_error"));
        orders.push((market_buy("5").replace("buy", "sell"), 422, "validation_error"));
        for (raw, code) in [
            ("0", "invalid_quantity"),
            ("-5", "invalid_quantity"),
            ("\"1e3\"", "invalid_quantity"),
            ("0.00000000001", "invalid_quantity"),
            ("\"1.2345678901234567890123456789\"", "invalid_quantity"), // 29 significant digits
            ("true", "invalid_quantity"),
            ("1000000000000", "amount_too_large"),
        ] {
            orders.push((market_buy(raw), 422, code));
        }
        for symbol in nasty_symbols() {
            orders.push((order_with("symbol", &serde_json::to_string(&symbol).unwrap()), 404, "unknown_symbol"));
        }
        for (body, status, code) in [
            ("[]", 422, "validation_error"),
            ("[\"BTC/USD\", \"buy\"]", 422, "validation_error"),
            ("null", 422, "validation_error"),
            ("\"order\"", 422, "validation_error"),
            ("{", 400, "bad_request"),
            (" [1", 400, "bad_request"),
        ] {
            orders.push((body.to_string(), status, code));
        }
        for (body, status, code) in &orders {
            tried += 1;
            let r = app
                .client
                .post(app.url("/api/v1/orders/"))
                .bearer_auth(&alice)
                .header("Content-Type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let (got, err) = status_json(r).await;
            let detail = err["detail"].as_str().unwrap_or("");
            // (A body that is not an object says so, not what its first element is not.)
            let said = !body.starts_with(['[', 'n']) || detail == "the body must be a JSON object";
            if (got, err["code"].as_str().unwrap_or("?")) != (*status, *code) || detail.is_empty() || !said {
                failures.push(format!("POST /orders/ {}: {got} {err}", &body[..body.len().min(120)]));
            }
        }

        // Paths and queries: nasty symbols, bad ids, out-of-range or malformed bounds.
        let mut gets: Vec<(String, Option<&str>, u16, &str)> = Vec::new();
        for symbol in nasty_symbols() {
            let enc = percent_encode(&symbol);
            // An empty symbol leaves a path that names no endpoint.
            let code = if symbol.is_empty() { "not_found" } else { "unknown_symbol" };
            gets.push((format!("/api/v1/orders/book/{enc}"), None, 404, code));
            gets.push((format!("/api/v1/orders/trades/{enc}"), None, 404, code));
        }
        gets.push(("/api/v1/no/such/endpoint".into(), None, 404, "not_found"));
        for q in ["depth=0", "depth=-1", "depth=abc", "depth=1e3", "depth=1001", "depth=99999999999999999999", "depth="] {
            gets.push((format!("/api/v1/orders/book/BTC-USD?{q}"), None, 422, "validation_error"));
        }
        for q in ["limit=0", "limit=-5", "limit=1.5", "limit=1001", "limit=%00"] {
            gets.push((format!("/api/v1/orders/trades/BTC-USD?{q}"), None, 422, "validation_error"));
        }
        for q in ["status=weird", "limit=0", "limit=x", "symbol=%7D%7B"] {
            let code = if q.starts_with("symbol") { "unknown_symbol" } else { "validation_error" };
            let status = if q.starts_with("symbol") { 404 } else { 422 };
            gets.push((format!("/api/v1/orders/?{q}"), Some(alice.as_str()), status, code));
        }
        for id in ["abc", "-1", "0", "1.5", "99999999999999999999", "%7D%7B", "1e3"] {
            gets.push((format!("/api/v1/orders/{id}"), Some(alice.as_str()), 404, "not_found"));
        }
        for (path, token, status, code) in &gets {
            tried += 1;
            let (got, err) = status_json(app.get(path, *token).await).await;
            if (got, err["code"].as_str().unwrap_or("?")) != (*status, *code) {
                failures.push(format!("GET {}: {got} {err}", &path[..path.len().min(120)]));
            }
        }
        for id in ["abc", "-1", "0", "99999999999999999999", "%7D%7B"] {
            tried += 1;
            let (got, err) = status_json(app.delete(&format!("/api/v1/orders/{id}"), Some(&alice)).await).await;
            if (got, err["code"].as_str().unwrap_or("?")) != (404, "not_found") {
                failures.push(format!("DELETE /orders/{id}: {got} {err}"));
            }
        }
        tried += 1;
        let (got, err) = status_json(app.delete("/api/v1/orders/?symbol=DOGE-USD", Some(&alice)).await).await;
        if (got, err["code"].as_str().unwrap_or("?")) != (404, "unknown_symbol") {
            failures.push(format!("DELETE /orders/?symbol=DOGE-USD: {got} {err}"));
        }

        // Accounts: bad names and passwords, wrong types; a wrong password is 401 and writes nothing.
        for body in [
            json!({"username": "", "password": "long-enough-password"}),
            json!({"username": "a b", "password": "long-enough-password"}),
            json!({"username": "x".repeat(10_000), "password": "long-enough-password"}),
            json!({"username": "}{", "password": "long-enough-password"}),
            json!({"username": "user:*", "password": "long-enough-password"}),
            json!({"username": "bob", "password": "short"}),
            json!({"username": 5, "password": "long-enough-password"}),
            json!({"username": "bob"}),
            json!({}),
        ] {
            tried += 1;
            let (got, err) = status_json(app.post_json("/api/v1/auth/register", None, &body).await).await;
            if (got, err["code"].as_str().unwrap_or("?")) != (422, "validation_error") {
                failures.push(format!("register {}: {got} {err}", &body.to_string()[..body.to_string().len().min(120)]));
            }
        }
        tried += 1;
        let wrong = json!({"username": "alice", "password": "password-of-somebody-else"});
        let (got, err) = status_json(app.post_json("/api/v1/auth/login", None, &wrong).await).await;
        if (got, err["code"].as_str().unwrap_or("?"), err["detail"].as_str().unwrap_or("?"))
            != (401, "unauthorized", "wrong username or password")
        {
            failures.push(format!("login with a wrong password: {got} {err}"));
        }
        for token in ["}{", "x", &"a".repeat(300), "Bearer", "\u{7f}"] {
            tried += 1;
            let r =
                app.client.get(app.url("/api/v1/orders/")).header("Authorization", format!("Bearer {token}")).send().await;
            if let Ok(r) = r {
                let (got, err) = status_json(r).await;
                if (got, err["code"].as_str().unwrap_or("?")) != (401, "unauthorized") {
                    failures.push(format!("token {:?}: {got} {err}", &token[..token.len().min(20)]));
                }
            }
        }

        // WebSockets: every bad message gets an error message and the connection stays usable.
        let (mut ws, _) = tokio_tungstenite::connect_async(app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await.unwrap();
        let _snapshot = ws.next().await;
        for text in [
            "not json",
            "{}",
            "[]",
            "{\"type\": \"nope\"}",
            "{\"type\": 5}",
            "{\"type\": \"get_order_book\", \"depth\": 0}",
            "{\"type\": \"get_order_book\", \"depth\": \"abc\"}",
            "{\"type\": \"get_order_book\", \"depth\": 1e3}",
            "{\"type\": \"get_recent_trades\", \"limit\": -1}",
            "{\"type\": \"get_recent_trades\", \"limit\": 100000}",
            "{\"type\": \"auth\", \"token\": \"}{\"}",
        ] {
            tried += 1;
            ws.send(Message::Text(text.into())).await.unwrap();
            let answer = next_text(&mut ws).await;
            if answer.as_ref().map(|a| a["type"] != "error").unwrap_or(true) {
                failures.push(format!("ws message {text}: {answer:?}"));
            }
        }
        ws.send(Message::Text("{\"type\": \"ping\"}".into())).await.unwrap();
        if next_text(&mut ws).await.map(|a| a["type"] != "pong").unwrap_or(true) {
            failures.push("the book feed is not usable after bad messages".into());
        }
        for token in ["}{", "", &"t".repeat(3000), "*"] {
            tried += 1;
            let (mut private, _) = tokio_tungstenite::connect_async(app.ws_url("/api/v1/ws/user")).await.unwrap();
            private.send(Message::Text(json!({"type": "auth", "token": token}).to_string().into())).await.unwrap();
            let mut closed = false;
            while let Ok(Some(m)) = tokio::time::timeout(std::time::Duration::from_secs(5), private.next()).await {
                match m {
                    Ok(Message::Close(_)) | Err(_) => {
                        closed = true;
                        break;
                    }
                    Ok(Message::Text(t)) if t.contains("authenticated") => break,
                    _ => {}
                }
            }
            if !closed {
                failures.push(format!("private feed with token {:?} not closed", &token[..token.len().min(10)]));
            }
        }
        for symbol in nasty_symbols().into_iter().take(6) {
            tried += 1;
            let url = app.ws_url(&format!("/api/v1/ws/orderbook/{}", percent_encode(&symbol)));
            if tokio_tungstenite::connect_async(url).await.is_ok() {
                failures.push(format!("a book feed for {symbol:?} was opened"));
            }
        }

        assert!(failures.is_empty(), "{} of {tried} inputs answered wrongly:\n{}", failures.len(), failures.join("\n"));
        assert_eq!(dump(&app).await, before, "a refused input changed a key");
        eprintln!("{tried} malformed inputs refused with the contract's errors; the keyspace is unchanged");
    }
}

async fn next_text(
    ws: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) -> Option<Value> {
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(&t).ok()?;
                // A resync snapshot may come at any time; it is not an answer.
                if v["type"] != "order_book_snapshot" {
                    return Some(v);
                }
            }
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}
