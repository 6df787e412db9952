//! Soak run: the release backend over its own `redis-server` under a steady mixed load for a bounded
//! time, sampled every few seconds: backend RSS, Redis memory, placement latency p99 in the window,
//! WebSocket clients still connected. At the end it compares the last minute with the first (after a
//! minute of warm-up): memory must be flat and latency stable. `make soak` runs it for 10 minutes.
//!
//! `cargo run --release -p tools --bin soak [-- --minutes M --rate R --clients N --json PATH]`
//! (build the backend first: `cargo build --release -p backend`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use testkit::ws_client::drain;
use testkit::{fund, register_and_login, BackendProcess};
use tools::figures::{self as bench, rss_mb, Figures};
use tools::flow;

const USERS: usize = 16;

struct Sample {
    at_secs: f64,
    rss_mb: f64,
    redis_mb: f64,
    p99_ms: f64,
    placed: usize,
    failed: usize,
    ws_open: usize,
}

#[tokio::main]
async fn main() {
    let (minutes, rate, clients) =
        (bench::arg_or("--minutes", 10.0), bench::arg_or("--rate", 500.0), bench::arg_or("--clients", 100usize));
    let server = BackendProcess::release_with_own_redis().await;
    let (base, port, pid) = (server.base(), server.port, server.pid());
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    let mut tokens = Vec::new();
    for i in 0..USERS {
        tokens.push(register_and_login(&http, &base, &format!("soak{i}"), "soak-password").await);
        fund(&http, &base, &format!("soak{i}")).await;
    }
    let redis = redis::Client::open(format!("redis://127.0.0.1:{}/", server.redis().port())).unwrap();
    let mut redis = redis.get_multiplexed_async_connection().await.unwrap();

    // Book-feed clients that read everything, counted while connected.
    let ws_open = Arc::new(AtomicUsize::new(0));
    for _ in 0..clients {
        let url = format!("ws://127.0.0.1:{port}/api/v1/ws/orderbook/BTC-USD");
        let ws_open = ws_open.clone();
        tokio::spawn(async move {
            if let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url).await {
                ws_open.fetch_add(1, Ordering::Relaxed);
                // (It reads for as long as the soak lasts: the feed is never idle for an hour.)
                drain(&mut ws, Duration::from_secs(3600)).await;
                ws_open.fetch_sub(1, Ordering::Relaxed);
            }
        });
    }

    // The load: placements at a fixed rate (open loop) around a mid price, so that about half cross;
    // users cancel all their orders in turn, so the book stays the size of a real one.
    let latencies: Arc<Mutex<Vec<u64>>> = Arc::default();
    let failed = Arc::new(AtomicUsize::new(0));
    let total = Duration::from_secs_f64(minutes * 60.0);
    let start = Instant::now();
    let writer = {
        let (http, base, tokens, latencies, failed) =
            (http.clone(), base.clone(), tokens.clone(), latencies.clone(), failed.clone());
        tokio::spawn(async move {
            let mut i: u64 = 0;
            while start.elapsed() < total {
                let scheduled = start + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(scheduled.into()).await;
                let token = tokens[i as usize % USERS].clone();
                let body = flow::order(i.wrapping_mul(2_654_435_761) % 1_000_000);
                let (client, url, latencies, failed) =
                    (http.clone(), format!("{base}/orders/"), latencies.clone(), failed.clone());
                tokio::spawn(async move {
                    let ok = client.post(url).bearer_auth(&token).json(&body).send().await;
                    if ok.is_ok_and(|r| r.status() == 201) {
                        latencies.lock().unwrap().push(scheduled.elapsed().as_micros() as u64);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                });
                i += 1;
            }
        })
    };
    // Each second one user (in turn) cancels all its orders, on its own task: the placements' schedule
    // never waits for it.
    let canceller = {
        let (http, base, tokens) = (http.clone(), base.clone(), tokens.clone());
        tokio::spawn(async move {
            for n in 0.. {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let _ = http.delete(format!("{base}/orders/")).bearer_auth(&tokens[n % USERS]).send().await;
            }
        })
    };

    println!("soak: {minutes} min, {rate} placements/s offered from {USERS} users, {clients} book-feed clients");
    println!(
        "{:>6} {:>9} {:>10} {:>9} {:>8} {:>7} {:>8}",
        "t (s)", "RSS MB", "Redis MB", "p99 ms", "placed", "failed", "ws open"
    );
    let mut samples = Vec::new();
    while start.elapsed() < total {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let mut window = std::mem::take(&mut *latencies.lock().unwrap());
        window.sort_unstable();
        let p99 = window.get((window.len() as f64 * 0.99) as usize).copied().unwrap_or(0) as f64 / 1e3;
        let info: String = redis::cmd("INFO").arg("memory").query_async(&mut redis).await.unwrap_or_default();
        let redis_bytes: f64 = info
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0);
        let s = Sample {
            at_secs: start.elapsed().as_secs_f64(),
            rss_mb: rss_mb(pid),
            redis_mb: redis_bytes / 1e6,
            p99_ms: p99,
            placed: window.len(),
            failed: failed.swap(0, Ordering::Relaxed),
            ws_open: ws_open.load(Ordering::Relaxed),
        };
        println!(
            "{:>6.0} {:>9.1} {:>10.1} {:>9.2} {:>8} {:>7} {:>8}",
            s.at_secs, s.rss_mb, s.redis_mb, s.p99_ms, s.placed, s.failed, s.ws_open
        );
        samples.push(s);
    }
    writer.abort();
    canceller.abort();

    // The first minute is warm-up (the book and the histories fill up); compare the minute after it
    // with the last one.
    let minute =
        |from: f64, to: f64| samples.iter().filter(|s| s.at_secs > from && s.at_secs <= to).collect::<Vec<_>>();
    let end = samples.last().map_or(0.0, |s| s.at_secs);
    let (early, late) = (minute(60.0, 120.0), minute(end - 60.0, end));
    let avg = |v: &[&Sample], f: fn(&Sample) -> f64| v.iter().map(|s| f(s)).sum::<f64>() / v.len().max(1) as f64;
    let mut figures = Figures::default();
    let rows = [
        ("backend_rss_mb", avg(&early, |s| s.rss_mb), avg(&late, |s| s.rss_mb)),
        ("redis_used_mb", avg(&early, |s| s.redis_mb), avg(&late, |s| s.redis_mb)),
        ("placement_p99_ms", avg(&early, |s| s.p99_ms), avg(&late, |s| s.p99_ms)),
    ];
    println!();
    println!("| figure | minute 2 | last minute | change |");
    println!("|---|---|---|---|");
    for (name, a, b) in rows {
        println!("| {name} | {a:.2} | {b:.2} | {:+.1}% |", 100.0 * (b - a) / a.max(1e-9));
        figures.push(&format!("{name}_early"), a);
        figures.push(&format!("{name}_late"), b);
    }
    let failed_total: usize = samples.iter().map(|s| s.failed).sum();
    let placed_total: usize = samples.iter().map(|s| s.placed).sum();
    println!(
        "placed {placed_total}, failed {failed_total}; WebSocket clients connected at the end: {}",
        ws_open.load(Ordering::Relaxed)
    );
    figures.push("placed", placed_total as f64);
    figures.push("failed", failed_total as f64);
    figures.write();
    let (rss, redis_mem, p99) = (rows[0], rows[1], rows[2]);
    let flat = |(_, a, b): (&str, f64, f64), slack: f64| b <= a * slack + 1.0;
    let verdict = flat(rss, 1.10) && flat(redis_mem, 1.10) && flat(p99, 2.0) && failed_total == 0;
    println!(
        "{}",
        if verdict { "flat memory, stable latency, nothing failed" } else { "NOT FLAT or failures: see above" }
    );
    if !verdict {
        std::process::exit(1);
    }
}
