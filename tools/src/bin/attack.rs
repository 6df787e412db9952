//! `make attack`: the release backend, with its limits as shipped, under every abuse issue 22 found at
//! once, while a well-behaved client places and cancels orders; prints that client's latency and errors
//! before and during the attack, and what the attackers got.
//!
//! Each party connects from its own loopback address (127.0.0.x), so the per-address limits see them as
//! different clients. The attacks, all at once for `--secs` seconds:
//! 1. silent connections (a thousand sockets that send nothing) and bodies that never arrive;
//! 2. a login flood: wrong passwords for the well-behaved user's name and for random names;
//! 3. cancels at a long price level: 20 users with 500 orders each at one price, each cancelling its
//!    newest order and placing it again as fast as the order rate limit lets it;
//! 4. expensive public reads: book-feed clients asking for 1,000 levels, REST books at every depth,
//!    1,000 trades at a time;
//! 5. order lists of a user with a long history.
//!
//! `cargo run --release -p tools --bin attack [-- --secs 20] [--json PATH]` (build the backend first:
//! `cargo build --release -p backend`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{NewOrder, Side, Symbol};
use futures_util::{SinkExt, StreamExt};
use reqwest::Client;
use serde_json::{json, Value};
use testkit::{free_port, fund, register_and_login, BackendProcess, RedisProcess};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpSocket;
use tools::figures::{self as bench, Figures};

/// The well-behaved client's address, and the first of the attackers'.
const GOOD: u8 = 9;
/// Users holding the long price level, and the orders each rests there (the open-orders cap).
const LEVEL_USERS: usize = 20;
const LEVEL_ORDERS: usize = 500;
/// Orders the user with a long history places and cancels.
const HISTORY: usize = 1_200;

fn loopback(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

/// An HTTP client whose connections come from 127.0.0.`n`.
fn client_from(n: u8) -> Client {
    Client::builder().local_address(loopback(n)).pool_max_idle_per_host(256).build().unwrap()
}

fn limit(side: Side, qty: &str, price: &str) -> Value {
    let order = NewOrder::limit(Symbol::parse("BTC/USD").unwrap(), side, qty.parse().unwrap(), price.parse().unwrap());
    serde_json::to_value(order).unwrap()
}

/// Answers by status (0: no answer), for the attackers' report.
#[derive(Default)]
struct Tally(std::sync::Mutex<std::collections::BTreeMap<u16, u64>>);

impl Tally {
    fn add(&self, status: u16) {
        *self.0.lock().unwrap().entry(status).or_default() += 1;
    }

    fn describe(&self) -> String {
        let t = self.0.lock().unwrap();
        t.iter()
            .map(|(s, n)| format!("{n} × {}", if *s == 0 { "no answer or closed".into() } else { s.to_string() }))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn post(client: &Client, url: &str, token: Option<&str>, body: &Value) -> u16 {
    let mut req = client.post(url).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.map_or(0, |r| r.status().as_u16())
}

#[tokio::main]
async fn main() {
    let secs: u64 = bench::arg_or("--secs", 20);
    // `--only N` runs attack N (1-5) alone, to see what each costs.
    let only: usize = bench::arg_or("--only", 0);
    let runs = |n: usize| only == 0 || only == n;
    let redis = RedisProcess::start(&[]).expect("redis-server starts");
    let exe = std::env::current_dir().unwrap().join("target/release/backend");
    assert!(exe.exists(), "{} is missing: run `cargo build --release -p backend` first", exe.display());
    let url = redis.url();
    // The limits as shipped: nobody exempt, the order rate limit on.
    let vars = [
        ("REDIS_URL", url.as_str()),
        ("RATE_LIMIT_EXEMPT", ""),
        ("RATE_LIMIT_ORDERS_PER_SEC", "100"),
        ("RUST_LOG", "error"),
    ];
    let server = BackendProcess::start(&exe, free_port(), &vars).await;
    let base = server.base();
    let origin = server.origin();
    println!("attack: release backend with its shipped limits; every party on its own 127.0.0.x");

    // Set-up, unhurried: the well-behaved user, the long level, the long history.
    let good = register_and_login(&client_from(GOOD), &base, "good", "password-of-good").await;
    fund(&client_from(GOOD), &base, "good").await;
    // The level's holders place their orders side by side (each as fast as its rate limit lets it).
    let holders = (0..LEVEL_USERS).map(|i| {
        let base = base.clone();
        async move {
            // 20 registrations an hour per address: one address per user.
            let from = client_from(40 + i as u8);
            let token = register_and_login(&from, &base, &format!("level{i}"), "password-of-level").await;
            fund(&from, &base, &format!("level{i}")).await;
            // One short of the open-orders cap: the attack places one more and cancels it.
            for _ in 0..LEVEL_ORDERS - 1 {
                while post(&from, &format!("{base}/orders/"), Some(&token), &limit(Side::Buy, "0.001", "100")).await
                    == 429
                {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            (from, token)
        }
    });
    let level_tokens = futures_util::future::join_all(holders).await;
    let historian_client = client_from(30);
    let historian = register_and_login(&historian_client, &base, "historian", "password-of-historian").await;
    fund(&historian_client, &base, "historian").await;
    for _ in 0..HISTORY {
        let id = loop {
            let r = historian_client
                .post(format!("{base}/orders/"))
                .bearer_auth(&historian)
                .json(&limit(Side::Buy, "0.001", "90"))
                .send()
                .await
                .unwrap();
            if r.status() == 201 {
                break r.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        while historian_client
            .delete(format!("{base}/orders/{id}"))
            .bearer_auth(&historian)
            .send()
            .await
            .map_or(0, |r| r.status().as_u16())
            == 429
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    println!("set up: a level of {} orders at 100.00, a history of {HISTORY} orders", LEVEL_USERS * LEVEL_ORDERS);

    let mut figures = Figures::default();
    let quiet = well_behaved(&base, &good, Duration::from_secs(5)).await;
    quiet.print("quiet");
    quiet.record(&mut figures, "quiet");

    let stop = Arc::new(AtomicBool::new(false));
    let tallies: Vec<(&str, Arc<Tally>)> =
        ["silent connections", "logins", "cancels at the long level", "public reads", "order lists"]
            .iter()
            .map(|n| (*n, Arc::default()))
            .collect();
    let mut attackers = Vec::new();
    if runs(1) {
        attackers.push(tokio::spawn(silent_connections(origin.clone(), stop.clone(), tallies[0].1.clone())));
    }
    if runs(2) {
        attackers.push(tokio::spawn(login_flood(base.clone(), stop.clone(), tallies[1].1.clone())));
    }
    for (from, token) in level_tokens.into_iter().filter(|_| runs(3)) {
        attackers.push(tokio::spawn(level_cancels(base.clone(), from, token, stop.clone(), tallies[2].1.clone())));
    }
    if runs(4) {
        attackers.push(tokio::spawn(public_reads(base.clone(), stop.clone(), tallies[3].1.clone())));
    }
    if runs(5) {
        let (base, stop, tally) = (base.clone(), stop.clone(), tallies[4].1.clone());
        attackers.push(tokio::spawn(order_lists(base, historian_client, historian, stop, tally)));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Where the two cores went during the attack.
    let procs =
        [("backend", server.pid()), ("redis", redis.pid().unwrap_or(0)), ("attackers and client", std::process::id())];
    let cpu_before: Vec<f64> = procs.iter().map(|(_, pid)| bench::cpu_seconds(*pid)).collect();
    let wall = Instant::now();
    let attacked = well_behaved(&base, &good, Duration::from_secs(secs)).await;
    let wall = wall.elapsed().as_secs_f64();
    let cores: Vec<String> = procs
        .iter()
        .zip(&cpu_before)
        .map(|((name, pid), before)| format!("{name} {:.2}", (bench::cpu_seconds(*pid) - before) / wall))
        .collect();
    stop.store(true, Ordering::Release);
    for a in attackers {
        let _ = tokio::time::timeout(Duration::from_secs(15), a).await;
    }
    attacked.print("under attack");
    println!("  cores used during the attack: {}", cores.join(", "));
    attacked.record(&mut figures, "attacked");
    for (name, tally) in &tallies {
        println!("  attackers, {name}: {}", tally.describe());
    }
    let held = attacked.p99 <= 20.0 && attacked.errors == 0;
    println!("target: p99 ≤ 20 ms and no errors under attack: {}", if held { "met" } else { "NOT met" });
    figures.push("attack_target_met", if held { 1.0 } else { 0.0 });
    figures.write();
    drop(server);
    drop(redis);
}

/// What the well-behaved client saw.
struct Seen {
    ops: usize,
    errors: usize,
    p50: f64,
    p99: f64,
    max: f64,
}

impl Seen {
    fn print(&self, when: &str) {
        println!(
            "well-behaved client, {when}: {} requests, {} errors, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.ops, self.errors, self.p50, self.p99, self.max
        );
    }

    fn record(&self, figures: &mut Figures, when: &str) {
        figures.push(&format!("{when}_p50_ms"), self.p50);
        figures.push(&format!("{when}_p99_ms"), self.p99);
        figures.push(&format!("{when}_errors"), self.errors as f64);
    }
}

/// Places a limit buy and cancels it, ten times a second, from its own address; every request timed.
async fn well_behaved(base: &str, token: &str, for_how_long: Duration) -> Seen {
    let client = client_from(GOOD);
    let (mut latencies, mut errors) = (Vec::new(), 0);
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    while started.elapsed() < for_how_long {
        tick.tick().await;
        let t = Instant::now();
        let placed = client
            .post(format!("{base}/orders/"))
            .bearer_auth(token)
            .json(&limit(Side::Buy, "0.001", "1000"))
            .send()
            .await;
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
        let id = match placed {
            Ok(r) if r.status() == 201 => r.json::<Value>().await.ok().and_then(|v| v["id"].as_u64()),
            _ => None,
        };
        let Some(id) = id else {
            errors += 1;
            continue;
        };
        let t = Instant::now();
        let cancelled = client.delete(format!("{base}/orders/{id}")).bearer_auth(token).send().await;
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
        if !cancelled.is_ok_and(|r| r.status() == 200) {
            errors += 1;
        }
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Seen { ops: latencies.len(), errors, p50: at(0.5), p99: at(0.99), max: *latencies.last().unwrap() }
}

/// Finding 1: sockets that send nothing, and requests whose body never comes, reopened as they close.
async fn silent_connections(origin: String, stop: Arc<AtomicBool>, tally: Arc<Tally>) {
    let addr: SocketAddr = origin.trim_start_matches("http://").parse().unwrap();
    let open = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for i in 0..1_000u32 {
        let (stop, tally, open) = (stop.clone(), tally.clone(), open.clone());
        // Four attacking addresses, 250 sockets each.
        let from = SocketAddr::new(loopback(2 + (i % 4) as u8), 0);
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Acquire) {
                let socket = TcpSocket::new_v4().unwrap();
                if socket.bind(from).is_err() {
                    return;
                }
                let Ok(mut stream) = socket.connect(addr).await else {
                    tally.add(0);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                open.fetch_add(1, Ordering::AcqRel);
                if i % 2 == 1 {
                    let _ = stream
                        .write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
                        .await;
                }
                // Held until the server closes it (or the attack ends).
                let mut buf = [0u8; 512];
                loop {
                    tokio::select! {
                        read = tokio::io::AsyncReadExt::read(&mut stream, &mut buf) => match read {
                            Ok(0) | Err(_) => break,
                            Ok(_) => tally.add(408),
                        },
                        _ = tokio::time::sleep(Duration::from_millis(500)) => if stop.load(Ordering::Acquire) { break },
                    }
                }
                tally.add(1);
                // (Reconnecting at once would measure this program's CPU, not the server.)
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// Finding 2: wrong passwords for the well-behaved user's name and for random ones, 64 at a time.
/// (Every attacker here is paced to a few thousand requests a second in all: on two cores an unpaced
/// one measures its own CPU, taken from the server's, rather than the server's defences.)
async fn login_flood(base: String, stop: Arc<AtomicBool>, tally: Arc<Tally>) {
    let client = client_from(6);
    let mut tasks = Vec::new();
    for i in 0..64u64 {
        let (client, base, stop, tally) = (client.clone(), base.clone(), stop.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Acquire) {
                n += 1;
                // Each of the 64 at most 100 a second.
                tokio::time::sleep(Duration::from_millis(10)).await;
                let name = if i % 2 == 0 { "good".to_string() } else { format!("guess{i}x{n}") };
                tally.add(
                    post(
                        &client,
                        &format!("{base}/auth/login"),
                        None,
                        &json!({"username": name, "password": "wrong password"}),
                    )
                    .await,
                );
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// Finding 3: a holder of the long level places one more order there, at its far end, and cancels it,
/// as fast as its order rate limit lets it: each cancel looks for the order from the level's front.
async fn level_cancels(base: String, client: Client, token: String, stop: Arc<AtomicBool>, tally: Arc<Tally>) {
    while !stop.load(Ordering::Acquire) {
        let r = client
            .post(format!("{base}/orders/"))
            .bearer_auth(&token)
            .json(&limit(Side::Buy, "0.001", "100"))
            .send()
            .await;
        let Ok(r) = r else {
            tally.add(0);
            continue;
        };
        let status = r.status().as_u16();
        tally.add(status);
        if status == 429 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        }
        let Some(id) = r.json::<Value>().await.ok().and_then(|v| v["id"].as_u64()) else { continue };
        loop {
            let status = client
                .delete(format!("{base}/orders/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .map_or(0, |r| r.status().as_u16());
            tally.add(status);
            if status != 429 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Finding 4: book-feed clients asking for 1,000 levels, REST books at every depth, 1,000 trades.
async fn public_reads(base: String, stop: Arc<AtomicBool>, tally: Arc<Tally>) {
    let mut tasks = Vec::new();
    let ws_url = base.replacen("http://", "ws://", 1) + "/ws/orderbook/BTC-USD";
    for _ in 0..20 {
        let (ws_url, stop, tally) = (ws_url.clone(), stop.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            let socket = TcpSocket::new_v4().unwrap();
            socket.bind(SocketAddr::new(loopback(7), 0)).unwrap();
            let host = ws_url.trim_start_matches("ws://").split('/').next().unwrap().to_string();
            let Ok(stream) = socket.connect(host.parse().unwrap()).await else { return tally.add(0) };
            let Ok((mut ws, _)) = tokio_tungstenite::client_async(ws_url.as_str(), stream).await else {
                return tally.add(0);
            };
            while !stop.load(Ordering::Acquire) {
                let ask = json!({"type": "get_order_book", "depth": 1000}).to_string();
                if ws.send(ask.into()).await.is_err() {
                    return tally.add(0);
                }
                if let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_millis(50), ws.next()).await {
                    tally.add(if m.to_text().unwrap_or("").contains("\"error\"") { 429 } else { 200 });
                }
            }
        }));
    }
    let client = client_from(8);
    for i in 0..16u32 {
        let (client, base, stop, tally) = (client.clone(), base.clone(), stop.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            let mut depth = 1 + i;
            while !stop.load(Ordering::Acquire) {
                tokio::time::sleep(Duration::from_millis(5)).await;
                depth = depth % 1000 + 1;
                let url = match depth % 2 {
                    0 => format!("{base}/orders/book/BTC-USD?depth={depth}"),
                    _ => format!("{base}/orders/trades/BTC-USD?limit=1000"),
                };
                tally.add(client.get(url).send().await.map_or(0, |r| r.status().as_u16()));
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// Finding 5: the user with the long history lists its orders, 16 requests at a time.
async fn order_lists(base: String, client: Client, token: String, stop: Arc<AtomicBool>, tally: Arc<Tally>) {
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, base, token, stop, tally) =
            (client.clone(), base.clone(), token.clone(), stop.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Acquire) {
                tokio::time::sleep(Duration::from_millis(5)).await;
                let r = client.get(format!("{base}/orders/?status=all&limit=50")).bearer_auth(&token).send().await;
                tally.add(r.map_or(0, |r| r.status().as_u16()));
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}
