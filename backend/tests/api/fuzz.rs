//! A fuzz run (proptest) on request decoding and validation, end to end: thousands of generated order
//! bodies (well-formed, ill-typed, out of range, and raw text with bytes flipped) go to the running app.
//! Whatever comes in, the answer is a success with exactly the order asked for, or one of the contract's
//! 4xx errors in its shape: never a 5xx, never a hang, never an order that differs from the request.
//! Bounded by its case count, so `make test` runs it every time.

use common::Dec;
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::helpers::*;

/// Text that is nearly a decimal: digits, a point, signs, exponents, spaces, letters.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,6}(\\.[0-9]{1,10})?",
        "-?[0-9]{0,3}\\.?[0-9]{0,3}([eE][-+]?[0-9]{1,3})?",
        "[ 0-9a-fA-FxX.,+-]{0,12}",
        Just("NaN".to_string()),
        Just("Infinity".to_string()),
        "\\PC{0,8}",
    ]
}

fn field_value(name: &'static str) -> impl Strategy<Value = Value> {
    let plausible: BoxedStrategy<Value> = match name {
        "symbol" => prop_oneof![Just("BTC/USD"), Just("ETH/USD"), Just("BTC-USD"), Just("}{")]
            .prop_map(|s| Value::String(s.into()))
            .boxed(),
        "side" => prop_oneof![Just("buy"), Just("sell"), Just("Buy"), Just("hold")]
            .prop_map(|s| Value::String(s.into()))
            .boxed(),
        "order_type" => {
            prop_oneof![Just("limit"), Just("market"), Just("stop")].prop_map(|s| Value::String(s.into())).boxed()
        }
        "time_in_force" => prop_oneof![Just("gtc"), Just("ioc"), Just("fok"), Just("day")]
            .prop_map(|s| Value::String(s.into()))
            .boxed(),
        "post_only" => any::<bool>().prop_map(Value::Bool).boxed(),
        "client_order_id" => "[a-zA-Z0-9_-]{1,70}|\\PC{0,10}".prop_map(Value::String).boxed(),
        _ => prop_oneof![
            number_text().prop_map(Value::String),
            number_text().prop_filter_map("a JSON number", |t| serde_json::from_str::<serde_json::Number>(&t)
                .ok()
                .map(Value::Number)),
        ]
        .boxed(),
    };
    prop_oneof![
        6 => plausible,
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(Value::from),
        1 => "\\PC{0,12}".prop_map(Value::String),
        1 => Just(Value::Array(vec![])),
    ]
}

/// A valid order: a market of the two, a side, a limit (or market) order on the grid within bounds,
/// quantity and price as JSON strings or numbers, the optional fields or not.
fn valid_order() -> impl Strategy<Value = Map<String, Value>> {
    (
        prop_oneof![Just("BTC/USD"), Just("ETH/USD")],
        prop_oneof![Just("buy"), Just("sell")],
        prop_oneof![4 => Just("limit"), 1 => Just("market")],
        (0u32..5, 1u32..1000),
        (1u32..50_000, 0u32..100),
        any::<bool>(),
        prop_oneof![Just(None), Just(Some("gtc")), Just(Some("ioc")), Just(Some("fok"))],
        proptest::option::of("[a-z0-9]{1,20}"),
    )
        .prop_map(|(symbol, side, kind, (q_int, q_frac), (p_int, p_frac), as_numbers, tif, cid)| {
            let decimal =
                |text: String| if as_numbers { serde_json::from_str(&text).unwrap() } else { Value::String(text) };
            let mut map = Map::new();
            map.insert("symbol".into(), symbol.into());
            map.insert("side".into(), side.into());
            map.insert("order_type".into(), kind.into());
            map.insert("quantity".into(), decimal(format!("{q_int}.{q_frac:03}")));
            if kind == "limit" {
                map.insert("price".into(), decimal(format!("{p_int}.{p_frac:02}")));
            }
            if let Some(tif) = tif {
                map.insert("time_in_force".into(), tif.into());
            }
            if let Some(cid) = cid {
                map.insert("client_order_id".into(), cid.into());
            }
            map
        })
}

/// A valid order with up to three fields replaced by near-miss or ill-typed values, or removed, and
/// sometimes a stray field that must be ignored.
fn body() -> impl Strategy<Value = Map<String, Value>> {
    let fields = ["symbol", "side", "order_type", "quantity", "price", "time_in_force", "post_only", "client_order_id"];
    let values = (
        field_value("symbol"),
        field_value("side"),
        field_value("order_type"),
        field_value("quantity"),
        field_value("price"),
        field_value("time_in_force"),
        field_value("post_only"),
        field_value("client_order_id"),
    );
    let mutations = proptest::collection::vec((0..fields.len(), any::<bool>()), 0..=3);
    (valid_order(), values, mutations, any::<bool>()).prop_map(move |(mut map, v, mutations, stray)| {
        let values = [v.0, v.1, v.2, v.3, v.4, v.5, v.6, v.7];
        for (i, remove) in mutations {
            if remove {
                map.remove(fields[i]);
            } else {
                map.insert(fields[i].to_string(), values[i].clone());
            }
        }
        if stray {
            map.insert("user_id".into(), Value::from(999));
        }
        map
    })
}

/// The body's text, sometimes with a few bytes replaced (the decoder must refuse, never break).
fn body_text() -> impl Strategy<Value = String> {
    (body(), proptest::collection::vec((any::<usize>(), any::<u8>()), 0..3), any::<u8>()).prop_map(|(b, flips, p)| {
        let mut bytes = serde_json::to_vec(&b).unwrap();
        if p % 5 == 0 {
            for (at, byte) in flips {
                let i = at % bytes.len();
                bytes[i] = byte;
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn same_decimal(asked: &Value, got: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    matches!((Dec::parse(&text(asked)), Dec::parse(&text(got))), (Ok(a), Ok(b)) if a == b)
}

#[test]
fn fuzzed_order_bodies_get_an_exact_order_or_a_contract_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (app, token) = rt.block_on(async {
        let app = spawn_app_with(Deployment::Single, |c| c.engine.max_open_orders_per_user = 100_000).await;
        let token = app.user("fuzzer").await;
        (app, token)
    });
    let config = ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() };
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::<u16, usize>::new());
    proptest!(config, |(text in body_text())| {
        let (status, answer) = rt.block_on(async {
            let r = app
                .client
                .post(app.url("/api/v1/orders/"))
                .bearer_auth(&token)
                .header("Content-Type", "application/json")
                .body(text.clone())
                .send()
                .await
                .unwrap();
            status_json(r).await
        });
        *seen.lock().unwrap().entry(status).or_default() += 1;
        prop_assert!([200, 201, 400, 404, 409, 422].contains(&status), "{status} for {text}: {answer}");
        if status >= 400 {
            prop_assert!(answer["code"].as_str().is_some_and(|c| !c.is_empty()), "{answer}");
            prop_assert!(answer["detail"].as_str().is_some_and(|d| !d.is_empty()), "{answer}");
        } else if status == 200 {
            // A repeated client_order_id: the order it already names, placed earlier.
            let asked: Map<String, Value> = serde_json::from_str(&text).expect("an accepted body was JSON");
            prop_assert_eq!(&asked["client_order_id"], &answer["client_order_id"]);
        } else {
            let asked: Map<String, Value> = serde_json::from_str(&text).expect("an accepted body was JSON");
            // BTC-USD (the path form) is read as BTC/USD.
            prop_assert_eq!(asked["symbol"].as_str().map(|s| s.replace('-', "/")), answer["symbol"].as_str().map(String::from));
            for field in ["side", "order_type"] {
                prop_assert_eq!(&asked[field], &answer[field]);
            }
            prop_assert!(same_decimal(&asked["quantity"], &answer["quantity"]), "{text} → {answer}");
            if answer["order_type"] == "limit" {
                prop_assert!(same_decimal(&asked["price"], &answer["price"]), "{text} → {answer}");
            }
        }
    });
    let seen = seen.into_inner().unwrap();
    eprintln!("answers by status: {seen:?}");
    assert!(seen.get(&201).is_some_and(|n| *n >= 50), "the fuzzer reaches accepted orders too: {seen:?}");
}
