//! Redis under `maxmemory` with `noeviction`: once it is full, orders are refused cleanly (503, the
//! contract's error shape), nothing already acknowledged is lost or changed, and placing works again
//! as soon as there is room.

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn a_full_redis_refuses_orders_cleanly_and_loses_nothing() {
    // The open-orders cap raised far above what 16 KiB hold, so that Redis, not the cap, refuses first
    // (Redis's memory also moves by itself a little: the Lua VM's garbage from the calls every backend
    // makes once a second, such as the candle folds).
    let app = spawn_app_with(Deployment::Single, |c| c.engine.max_open_orders_per_user = 20_000).await;
    let alice = app.user("alice").await;
    let mut conn = app.redis_conn().await;
    let _: () =
        redis::cmd("CONFIG").arg("SET").arg("maxmemory-policy").arg("noeviction").query_async(&mut conn).await.unwrap();

    // Orders acknowledged before Redis fills up: resting bids at distinct prices.
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let r = app.limit(&alice, "buy", "0.5", &format!("{}", 100 + i)).await;
        assert_eq!(r.status(), 201);
        acknowledged.push(r.json::<Value>().await.unwrap());
    }
    // Leave Redis 16 KiB of room, then keep placing until it is full.
    let info: String = redis::cmd("INFO").arg("memory").query_async(&mut conn).await.unwrap();
    let used: u64 =
        info.lines().find_map(|l| l.strip_prefix("used_memory:")).and_then(|v| v.trim().parse().ok()).unwrap();
    let _: () =
        redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(used + 16 * 1024).query_async(&mut conn).await.unwrap();
    let mut refused = None;
    for i in 0..20_000 {
        let r = app.limit(&alice, "sell", "0.5", &format!("{}", 1_000 + i % 400)).await;
        match r.status().as_u16() {
            201 => acknowledged.push(r.json::<Value>().await.unwrap()),
            _ => {
                refused = Some(status_json(r).await);
                break;
            }
        }
    }
    let (status, body) = refused.expect("Redis filled up and an order was refused");
    assert_eq!(status, 503, "{body}");
    assert_error(&body, "unavailable");

    // Every acknowledged order is there, unchanged (reads work while Redis is full).
    for order in &acknowledged {
        let id = order["id"].as_u64().unwrap();
        let (status, stored) = status_json(app.get(&format!("/api/v1/orders/{id}"), Some(&alice)).await).await;
        assert_eq!(status, 200, "order {id} readable");
        assert_eq!(stored["remaining_quantity"], order["remaining_quantity"], "order {id}");
        assert_eq!(stored["status"], order["status"], "order {id}");
    }
    // The book holds exactly the acknowledged orders: nothing half-written by the refused call.
    let (_, book) = status_json(app.get("/api/v1/orders/book/BTC-USD?depth=1000", None).await).await;
    let total =
        |side: &str| -> f64 { book[side].as_array().unwrap().iter().map(|l| l["quantity"].as_f64().unwrap()).sum() };
    let expect = |side: &str| -> f64 {
        acknowledged.iter().filter(|o| o["side"] == side).map(|o| o["remaining_quantity"].as_f64().unwrap()).sum()
    };
    assert!((total("bids") - expect("buy")).abs() < 1e-9 && (total("asks") - expect("sell")).abs() < 1e-9, "{book}");
    assert_eq!(book["sequence"].as_u64().unwrap(), acknowledged.len() as u64, "one book change per acknowledged order");

    // Room again: orders go through, without restarting anything.
    let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(0).query_async(&mut conn).await.unwrap();
    assert_eq!(app.limit(&alice, "sell", "0.5", "5000").await.status(), 201);
}

/// `make run`'s embedded Redis has a memory limit and refuses rather than evicts: unbounded, it would
/// grow until the host fails, and an eviction would silently drop orders.
#[tokio::test]
async fn the_embedded_redis_is_bounded_and_never_evicts() {
    let data = std::env::temp_dir().join(format!("exchange-embedded-{}", std::process::id()));
    let exe = std::path::PathBuf::from(env!("CARGO_BIN_EXE_backend"));
    let data_dir = data.display().to_string();
    let vars = [("DATA_DIR", data_dir.as_str()), ("REDIS_MAXMEMORY", "64mb"), ("RUST_LOG", "info")];
    let server = BackendProcess::start(&exe, free_port(), &vars).await;
    // The log without its colours (`ESC [ ... m`).
    let raw = server.output();
    let mut parts = raw.split('\x1b');
    let mut output = parts.next().unwrap_or_default().to_string();
    for part in parts {
        output.push_str(part.split_once('m').map_or(part, |(_, rest)| rest));
    }
    let port: u16 = output
        .lines()
        .find(|l| l.contains("started embedded redis-server"))
        .and_then(|l| l.split("port=").nth(1))
        .and_then(|p| p.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the log names the embedded server's port: {output}"));
    let config = |name: &str| cli(port, &["CONFIG", "GET", name]).unwrap();
    assert!(config("maxmemory").contains(&(64u64 * 1024 * 1024).to_string()), "{}", config("maxmemory"));
    assert!(config("maxmemory-policy").contains("noeviction"), "{}", config("maxmemory-policy"));
    // The backend is killed, not stopped: its Redis would outlive it.
    let _ = cli(port, &["SHUTDOWN", "NOSAVE"]);
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
}
