//! Public market data: markets, book, trades, health.

use std::collections::BTreeSet;

use serde_json::json;

use crate::helpers::*;

on_every_deployment! {
    async fn markets_list_btc_and_eth_with_their_grids(d) {
        let app = spawn_app(d).await;
        let (status, markets) = status_json(app.get("/api/v1/markets", None).await).await;
        assert_eq!(status, 200);
        assert_eq!(markets[0]["symbol"], "BTC/USD");
        // Exact decimals, no exponent: compare the JSON text.
        assert_eq!(markets[0]["tick_size"].to_string(), "0.01");
        assert_eq!(markets[0]["lot_size"].to_string(), "0.00000001");
        assert_eq!(markets[0]["max_price"].to_string(), "10000000.0");
        assert_eq!(markets[0]["maker_fee"].to_string(), "0.001");
        assert_eq!(markets[0]["taker_fee"].to_string(), "0.002");
        assert_eq!(markets[1]["symbol"], "ETH/USD");
    }

    async fn assets_carry_the_scales_every_notional_needs(d) {
        let app = spawn_app(d).await;
        let (status, assets) = status_json(app.get("/api/v1/assets", None).await).await;
        assert_eq!(status, 200);
        assert_eq!(assets, json!([{"asset": "BTC", "scale": 8}, {"asset": "USD", "scale": 10}, {"asset": "ETH", "scale": 8}]));
    }

    async fn book_and_trades_refuse_unknown_symbols_and_bad_bounds(d) {
        let app = spawn_app(d).await;
        for path in ["/api/v1/orders/book/DOGE-USD", "/api/v1/orders/trades/XYZ%2FUSD", "/api/v1/orders/book/%7D%7B"] {
            let (status, body) = status_json(app.get(path, None).await).await;
            assert_eq!(status, 404, "{path}");
            assert_error(&body, "unknown_symbol");
        }
        for path in [
            "/api/v1/orders/book/BTC-USD?depth=0",
            "/api/v1/orders/book/BTC-USD?depth=1001",
            "/api/v1/orders/trades/BTC-USD?limit=abc",
        ] {
            let (status, body) = status_json(app.get(path, None).await).await;
            assert_eq!(status, 422, "{path}");
            assert_error(&body, "validation_error");
        }
    }

    async fn health_is_healthy_while_redis_answers(d) {
        let app = spawn_app(d).await;
        let (status, body) = status_json(app.get("/api/v1/health", None).await).await;
        assert_eq!(status, 200);
        assert_eq!(body, json!({"status": "healthy", "redis": "connected"}));
    }
}

/// The HTTP endpoints docs/api.md documents: its `### `METHOD path`` headings (WebSockets aside).
fn documented_endpoints() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md")).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("### `")?.strip_suffix('`')?.split_once(' '))
        .filter(|(method, _)| *method != "WS")
        .map(|(method, path)| (method.to_lowercase(), path.to_string()))
        .collect()
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_endpoints_docs_api_md_documents() {
    let app = spawn_app(Deployment::Single).await;
    let (status, doc) = status_json(app.get("/api/v1/openapi.json", None).await).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let methods = ["get", "post", "put", "patch", "delete"];
    let served: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            methods.iter().filter(|m| item[**m].is_object()).map(|m| (m.to_string(), path.clone()))
        })
        .collect();
    let documented = documented_endpoints();
    assert!(documented.len() >= 12, "docs/api.md's endpoint headings were read: {documented:?}");
    assert_eq!(
        served.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "served but not in docs/api.md"
    );
    assert_eq!(
        documented.difference(&served).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "in docs/api.md but not served"
    );
    for schema in ["Order", "Trade", "NewOrder", "BookSnapshot", "Market", "ErrorBody", "Side", "OrderStatus"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema} missing");
    }
    assert_eq!(doc["components"]["schemas"]["Order"]["properties"]["quantity"]["$ref"], "#/components/schemas/Dec");
    assert_eq!(doc["components"]["schemas"]["Dec"]["type"], "number", "decimals are JSON numbers");
    let page = app.get("/api/v1/docs", None).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("/api/v1/openapi.json"));
}
