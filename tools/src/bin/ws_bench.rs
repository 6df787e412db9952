//! WebSocket fan-out benchmark: N clients on the public book feed of one backend instance (the release
//! binary, its own `redis-server`), while one writer places orders through REST at a fixed rate. Prints
//! the delivery latency (order sent → its book update received, at every client) p50 and p99, and the
//! backend's resident memory.
//!
//! `cargo run --release -p tools --bin ws_bench [-- --clients N --rate R --seconds S --runs N --json PATH]`

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Dec, NewOrder, Side, Symbol};
use testkit::{fund, register_and_login, BackendProcess};
use tools::feed_client;
use tools::figures::{self as bench, describe_cpu, rss_mb, CpuMeter, Figures};

#[tokio::main]
async fn main() {
    let (clients, rate, seconds) =
        (bench::arg_or("--clients", 10_000usize), bench::arg_or("--rate", 20), bench::arg_or("--seconds", 15));
    let runs = bench::arg_or("--runs", 1);
    let mut figures = Figures::default();
    for run in 1..=runs {
        println!("run {run} of {runs}: {clients} clients, {rate} book changes/s for {seconds} s");
        let r = one_run(clients, rate, seconds).await;
        figures.push("ws_clients", clients as f64);
        figures.push("ws_p50_ms", r.p50);
        figures.push("ws_p99_ms", r.p99);
        figures.push("ws_delivered_share", r.delivered_share);
        figures.push("backend_rss_mb", r.peak_rss);
        figures.push("ws_backend_cpu_us_per_delivery", r.backend_us);
        figures.push("ws_client_cpu_us_per_delivery", r.client_us);
    }
    figures.write();
    let m = |name: &str| figures.median(name).unwrap_or(f64::NAN);
    println!();
    println!("| figure (median of {runs}) | value | target |");
    println!("|---|---|---|");
    println!("| clients on one instance | {clients} | 10,000 |");
    println!("| book changes per second | {rate} | 20 |");
    println!("| share of updates delivered | {:.4} | 1 |", m("ws_delivered_share"));
    println!("| delivery latency p50 | {:.1} ms | |", m("ws_p50_ms"));
    println!("| delivery latency p99 | {:.1} ms | < 100 ms |", m("ws_p99_ms"));
    println!("| backend RSS, peak | {:.0} MB | < 300 MB |", m("backend_rss_mb"));
    println!(
        "| CPU per delivered update: backend / this client | {:.1} us / {:.1} us | |",
        m("ws_backend_cpu_us_per_delivery"),
        m("ws_client_cpu_us_per_delivery")
    );
}

struct RunFigures {
    p50: f64,
    p99: f64,
    delivered_share: f64,
    peak_rss: f64,
    backend_us: f64,
    client_us: f64,
}

/// One backend, `clients` clients on its book feed, a writer making `rate` book changes a second.
async fn one_run(clients: usize, rate: u64, seconds: u64) -> RunFigures {
    let server = BackendProcess::release_with_own_redis().await;
    let (port, pid, base) = (server.port, server.pid(), server.base());
    let http = reqwest::Client::new();
    let token = register_and_login(&http, &base, "writer", "writer-password").await;
    fund(&http, &base, "writer").await;
    let rss_idle = rss_mb(pid);

    // Connect the clients (the lean client of feed_client.rs: two reader threads over epoll). The writer
    // stores when it sent each order (microseconds since `epoch`, by sequence number) where every reader
    // reads it without a lock; each reader keeps its own latencies.
    let total = rate * seconds;
    let (btc_usd, lot) = (Symbol::parse("BTC/USD").unwrap(), Dec::parse("0.01").unwrap());
    let sent: feed_client::SentTimes = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let epoch = Instant::now();
    let started = Instant::now();
    let streams = tokio::task::spawn_blocking(move || {
        (0..clients)
            .map(|_| feed_client::connect(port, "/api/v1/ws/orderbook/BTC-USD").expect("a client connects"))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let readers = feed_client::read_all(streams, 2, sent.clone(), epoch, stop.clone());
    println!(
        "{clients} clients connected in {:.1} s; backend RSS {:.0} MB idle, {:.0} MB with them",
        started.elapsed().as_secs_f64(),
        rss_idle,
        rss_mb(pid)
    );

    // The writer: resting orders at distinct prices, so each is one book change (sequence 1, 2, ...).
    let mut peak_rss: f64 = 0.0;
    let cpu = CpuMeter::start(&[("backend", pid), ("client", std::process::id())]);
    let tick = Duration::from_secs_f64(1.0 / rate as f64);
    let start = Instant::now();
    for i in 0..total {
        tokio::time::sleep_until((start + tick * i as u32).into()).await;
        sent[i as usize].store(epoch.elapsed().as_micros().max(1) as u64, Ordering::Release);
        // Each a bid at a new price: one new level, one book change.
        let price = Dec::parse(&(1000 + i).to_string()).expect("an integer");
        let body = NewOrder::limit(btc_usd.clone(), Side::Buy, lot, price);
        let r = http.post(format!("{base}/orders/")).bearer_auth(&token).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 201);
        if i % rate == 0 {
            peak_rss = peak_rss.max(rss_mb(pid));
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    peak_rss = peak_rss.max(rss_mb(pid));
    let per_delivery_cpu = cpu.per_op(1);
    // Stopping the server closes every socket; the readers then go quiet, end and hand over their latencies.
    stop.store(true, Ordering::Release);
    drop(server);
    let mut lat = Vec::new();
    for reader in readers {
        lat.extend(tokio::task::spawn_blocking(move || reader.join().unwrap_or_default()).await.unwrap());
    }
    lat.sort_unstable();
    let at = |q: f64| {
        lat.get(((lat.len() as f64 * q) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or(0) as f64 / 1e3
    };
    let expected = clients as u64 * total;
    let per_delivery: Vec<(&str, f64)> =
        per_delivery_cpu.iter().map(|&(name, us)| (name, us / lat.len().max(1) as f64)).collect();
    println!(
        "  delivered {} of {expected}, p50 {:.1} ms, p99 {:.1} ms, peak RSS {peak_rss:.0} MB; CPU per delivered update: {}",
        lat.len(),
        at(0.5),
        at(0.99),
        describe_cpu(&per_delivery)
    );
    RunFigures {
        p50: at(0.5),
        p99: at(0.99),
        delivered_share: lat.len() as f64 / expected as f64,
        peak_rss,
        backend_us: per_delivery[0].1,
        client_us: per_delivery[1].1,
    }
}
