//! A backend instance killed under load, 20 times: clients that retry with the same `client_order_id`
//! until they get an answer end with exactly one order each, whatever happened to the requests in flight;
//! their cancels (retried too) and fills leave the funds whole once the restarted backends' reconciler has
//! finished what the kills cut short.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{ClientOrderId, Dec, NewOrder, Side, Symbol};
use serde_json::Value;

use crate::helpers::*;

const CLIENTS: usize = 4;
const ORDERS: usize = 100;
/// Kills of the backend, spread over the clients' progress.
const KILLS: usize = 20;

#[tokio::test]
async fn retries_make_exactly_one_order_and_funds_stay_whole_across_backend_crashes() {
    let redis = RedisProcess::start(&["--appendonly", "yes"]).unwrap();
    let url = redis.url();
    let port = free_port();
    let vars = [("REDIS_URL", url.as_str()), ("RUST_LOG", "error")];
    let mut server = BackendProcess::start(env!("CARGO_BIN_EXE_backend").as_ref(), port, &vars).await;
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    let mut tokens = Vec::new();
    for c in 0..CLIENTS {
        tokens.push(register_and_login(&http, &base, &format!("client{c}"), "password-of-client").await);
        fund(&http, &base, &format!("client{c}")).await;
    }

    // Each client places its orders one after another, retrying each (same body, same id) until answered.
    let answered: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let retries = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut clients = Vec::new();
    for (c, token) in tokens.iter().cloned().enumerate() {
        let (http, base, answered, retries) = (http.clone(), base.clone(), answered.clone(), retries.clone());
        clients.push(tokio::spawn(async move {
            for i in 0..ORDERS {
                let cid = format!("c{c}-{i}");
                let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
                let price = Dec::parse(&format!("{}", 100 + (i + c) % 3)).unwrap();
                let mut body =
                    NewOrder::limit(Symbol::parse("BTC/USD").unwrap(), side, Dec::parse("1").unwrap(), price);
                body.client_order_id = Some(ClientOrderId::parse(&cid).unwrap());
                let id = loop {
                    let r = http.post(format!("{base}/orders/")).bearer_auth(&token).json(&body).send().await;
                    if let Ok(r) = r {
                        if r.status() == 201 || r.status() == 200 {
                            let order: Value = r.json().await.unwrap();
                            let id = order["id"].as_u64().unwrap();
                            answered.lock().unwrap().insert(cid.clone(), id);
                            break id;
                        }
                    }
                    retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(30)).await;
                };
                // Every fifth order is cancelled, retried until answered (cancelled, or closed already).
                if i % 5 == 4 {
                    loop {
                        let r = http.delete(format!("{base}/orders/{id}")).bearer_auth(&token).send().await;
                        if r.is_ok_and(|r| r.status() == 200 || r.status() == 409) {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(30)).await;
                    }
                }
            }
        }));
    }

    // Kill the backend (SIGKILL) while they run, each time once a share of the orders is answered (by
    // progress, not by the clock, so that a fast or a loaded machine meets the same crashes, with every
    // client's next request in flight); start a new one on the same port each time.
    for k in 1..=KILLS {
        let after = CLIENTS * ORDERS * k / (KILLS + 2);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while answered.lock().unwrap().len() < after {
            assert!(tokio::time::Instant::now() < deadline, "{after} orders answered within 60 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        drop(server);
        tokio::time::sleep(Duration::from_millis(100)).await;
        server = BackendProcess::start(env!("CARGO_BIN_EXE_backend").as_ref(), port, &vars).await;
    }
    for c in clients {
        tokio::time::timeout(Duration::from_secs(60), c).await.expect("the clients finish").unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    let retries = retries.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("{} orders answered after {retries} retries", answered.len());
    assert!(retries > 0, "the crashes hit requests in flight");
    // The repair converges by itself: the reconciler finishes every transfer a kill cut short.
    crate::funds_check::wait_transfers_done(&url).await;
    crate::funds_check::check_funds(&http, &base, &tokens, testkit::app::TEST_FUNDS).await;

    for (c, token) in tokens.iter().enumerate() {
        let list: Value = http
            .get(format!("{base}/orders/?status=all&limit=1000"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), ORDERS, "client {c} has exactly one order per client_order_id");
        for o in list {
            let cid = o["client_order_id"].as_str().expect("every order has its client_order_id");
            assert_eq!(Some(&o["id"].as_u64().unwrap()), answered.get(cid), "{cid}: the answer names the stored order");
        }
    }
}
