//! REST load test: the release backend as its own process over its own `redis-server`, driven over real
//! sockets from this process. Prints order placements per second (closed loop), latency percentiles at
//! a fixed offered rate (open loop, measured from each request's scheduled time, so a stall is not hidden)
//! with the settlement latency to the makers at that rate (trade to their `balance` message, on all the
//! users' private feeds), and book reads (depth 10) per second.
//!
//! `cargo run --release -p tools --bin rest_bench [-- --quick] [--runs N] [--json PATH]` (build the
//! backend first: `cargo build --release -p backend`; `make bench` runs it with the other scenarios).

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Client;
use testkit::{fund, register_and_login, BackendProcess};
use tools::figures::{self as bench, describe_cpu, CpuMeter, Figures};
use tools::flow;
use tools::settlement::SettlementProbe;

const USERS: usize = 64;

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let secs = if quick { 2.0 } else { 10.0 };
    let runs: usize = bench::arg_or("--runs", if quick { 1 } else { 3 });
    let server = BackendProcess::release_with_own_redis().await;
    let base = server.base();
    let client = Client::builder().pool_max_idle_per_host(256).build().unwrap();
    let tokens = Arc::new(login_users(&client, &base).await);
    let procs = [
        ("backend", server.pid()),
        ("redis", server.redis().pid().expect("redis-server runs")),
        ("load client", std::process::id()),
    ];
    let mut figures = Figures::default();

    println!("REST benchmark: backend, Redis and this load client on the same machine ({} cores)", num_cpus());
    seed_candle_history(&server).await;
    let token_file = std::env::temp_dir().join(format!("rest-bench-tokens-{}", std::process::id()));
    std::fs::write(&token_file, tokens.join("\n")).unwrap();
    for run in 1..=runs {
        // wrk is the lighter driver (about a fifth of this process's CPU per request): with everything on
        // two cores, the driver's CPU is taken from the server's.
        let cpu = CpuMeter::start(&procs[..2]);
        if let Some(wrk) = wrk_placements(&server.origin(), &token_file, secs).await {
            let mut per_order = cpu.per_op(wrk.ok);
            per_order.push(("load client", wrk.cpu_secs * 1e6 / wrk.ok.max(1) as f64));
            println!(
                "  run {run}: placements driven by wrk, 64 connections: {:.0}/s ({} refused)",
                wrk.ok as f64 / wrk.secs,
                wrk.failed
            );
            println!("         CPU per placement: {}", describe_cpu(&per_order));
            figures.push("rest_orders_per_sec", wrk.ok as f64 / wrk.secs);
            for (name, us) in &per_order {
                figures.push(&format!("rest_cpu_us_per_order_{}", name.replace(' ', "_")), *us);
            }
        }
        let cpu = CpuMeter::start(&procs);
        let placed = closed_loop(&client, &base, &tokens, 64, secs, Op::Place).await;
        let per_order = cpu.per_op(placed.count);
        println!(
            "  run {run}: placements driven by this process (reqwest), 64 connections: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
            placed.rate, placed.p50, placed.p99
        );
        println!("         CPU per placement: {}", describe_cpu(&per_order));
        figures.push("rest_orders_per_sec_reqwest_driver", placed.rate);
        let probe = SettlementProbe::start(&base.replacen("http", "ws", 1), &tokens).await;
        let offered = open_loop(&client, &base, &tokens, OFFERED, secs).await;
        let settled = latencies(probe.finish().await.iter().map(|ms| ms * 1000).collect(), secs);
        println!(
            "         offered at {OFFERED:.0}/s: {:.0}/s served, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            offered.rate, offered.p50, offered.p99, offered.max
        );
        println!(
            "         settlement to the maker (trade to its balance message, {} fills): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            settled.count, settled.p50, settled.p99, settled.max
        );
        figures.push("rest_p50_ms", offered.p50);
        figures.push("rest_p99_ms", offered.p99);
        figures.push("settlement_p50_ms", settled.p50);
        figures.push("settlement_p99_ms", settled.p99);
        // This process's HTTP client costs more CPU than the server's answer; wrk is the lighter driver.
        for (what, path, figure) in [
            ("book reads (depth 10)", "/orders/book/BTC-USD?depth=10", "book_reads_per_sec"),
            ("candle reads (1m, limit 500)", "/markets/BTC-USD/candles?interval=1m&limit=500", "candle_reads_per_sec"),
            ("ticker reads", "/markets/BTC-USD/ticker", "ticker_reads_per_sec"),
        ] {
            let cpu = CpuMeter::start(&procs[..2]);
            let rate = match wrk(&format!("{base}{path}"), secs) {
                Some(rate) => rate,
                None => closed_loop(&client, &base, &tokens, 64, secs, Op::Get(path)).await.rate,
            };
            let per_read = cpu.per_op((rate * secs) as usize);
            println!("         {what}, 64 connections: {rate:.0}/s ({})", describe_cpu(&per_read));
            figures.push(figure, rate);
        }
    }
    let _ = std::fs::remove_file(&token_file);
    figures.push("rest_offered_per_sec", OFFERED);
    if figures.median("rest_orders_per_sec").is_none() {
        // No wrk: the headline figure comes from this process's driver.
        for v in figures.runs("rest_orders_per_sec_reqwest_driver") {
            figures.push("rest_orders_per_sec", v);
        }
    }
    figures.write();
    println!();
    println!("| figure (median of {runs}) | value | target |");
    println!("|---|---|---|");
    let m = |name: &str| figures.median(name).unwrap_or(f64::NAN);
    println!("| order placements/s (64 connections) | {:.0} | >= 20,000 |", m("rest_orders_per_sec"));
    println!("| p99 at {OFFERED:.0} orders/s offered | {:.2} ms | < 10 ms |", m("rest_p99_ms"));
    println!("| settlement to the maker, p99, at {OFFERED:.0}/s | {:.0} ms | <= 50 ms |", m("settlement_p99_ms"));
    println!("| book reads/s (depth 10) | {:.0} | >= 30,000 |", m("book_reads_per_sec"));
    println!("| candle reads/s (1m, limit 500) | {:.0} | >= 20,000 |", m("candle_reads_per_sec"));
    println!("| ticker reads/s | {:.0} | >= 30,000 |", m("ticker_reads_per_sec"));
}

/// Minutes of one-minute candles written before the run, ending an hour ago: a chart's worth of
/// history, so that a `limit=500` read answers 500 candles as it would on a market that has traded for
/// a day.
const HISTORY_MINUTES: u64 = 500;

/// Writes `HISTORY_MINUTES` one-minute BTC/USD candles, in the engine's own format, straight into the
/// market's candle set: the engine folds only trades of now, and a read's cost depends on how many
/// candles it answers.
async fn seed_candle_history(server: &BackendProcess) {
    use backend::engine::wire::{encode_candle, RawCandle};
    use backend::engine::MarketKeys;
    let client = redis::Client::open(server.redis().url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let minute = 60_000;
    let start = (common::time::now_ms() / minute - 60 - HISTORY_MINUTES) * minute;
    let key = MarketKeys::new(&common::Symbol::parse("BTC/USD").unwrap()).candles("1m");
    let mut zadd = redis::cmd("ZADD");
    zadd.arg(&key);
    for i in 0..HISTORY_MINUTES {
        let price = 5_000_000 + (i % 97) * 100;
        let c = RawCandle {
            open_ms: start + i * minute,
            open: price,
            high: price + 900,
            low: price - 700,
            close: price + 300,
            volume_lots: 1_234_567 + u128::from(i),
            notional: 6_172_835_000_000 + u128::from(i),
            trades: 40 + i % 13,
        };
        zadd.arg(c.open_ms).arg(encode_candle(&c));
    }
    let _: u64 = zadd.query_async(&mut conn).await.unwrap();
}

/// The fixed offered rate the latency figures are taken at.
const OFFERED: f64 = 5_000.0;

/// Random limit orders like the engine benchmark's flow, tokens taken in turn (wrk's Lua).
const WRK_PLACEMENTS: &str = r#"
local tokens, n = {}, 0
function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  math.randomseed(42)
end
function request()
  n = n + 1
  local r = math.random(0, 999999)
  local side = (r % 2 == 0) and "buy" or "sell"
  local body = string.format('{"symbol":"BTC/USD","side":"%s","order_type":"limit","quantity":"0.0%d","price":"%d.00"}',
    side, 1 + math.floor(r / 200) % 5, 49950 + math.floor(r / 2) % 100)
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[n % #tokens + 1]}
  return wrk.format("POST", "/api/v1/orders/", headers, body)
end
"#;

struct WrkRun {
    ok: usize,
    failed: usize,
    secs: f64,
    cpu_secs: f64,
}

/// Order placements driven by `wrk` (64 connections, one thread) for `secs`; None without wrk.
async fn wrk_placements(origin: &str, token_file: &std::path::Path, secs: f64) -> Option<WrkRun> {
    let script = std::env::temp_dir().join(format!("rest-bench-{}.lua", std::process::id()));
    std::fs::write(&script, WRK_PLACEMENTS).ok()?;
    let duration = format!("-d{}s", secs.ceil() as u64);
    let mut child = Command::new("wrk")
        .args(["-t1", "-c64", &duration, "-s"])
        .arg(&script)
        .arg(origin)
        .arg("--")
        .arg(token_file)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    // Its CPU time, read while it runs (its /proc entry goes when it exits).
    let mut cpu_secs = 0.0;
    while child.try_wait().ok()?.is_none() {
        cpu_secs = bench::cpu_seconds(child.id()).max(cpu_secs);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = child.wait_with_output().ok()?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout);
    // "  123456 requests in 10.00s, 45.67MB read"
    let line = text.lines().find(|l| l.contains(" requests in "))?;
    let mut words = line.split_whitespace();
    let total: usize = words.next()?.parse().ok()?;
    let secs: f64 = words.nth(2)?.trim_end_matches(',').trim_end_matches('s').parse().ok()?;
    let failed: usize = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Some(WrkRun { ok: total - failed, failed, secs, cpu_secs })
}

/// Requests per second `wrk` reaches on `url` (64 connections, one thread); None without wrk.
fn wrk(url: &str, secs: f64) -> Option<f64> {
    let out = Command::new("wrk").args(["-t1", "-c64", &format!("-d{}s", secs.ceil() as u64), url]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().find_map(|l| l.strip_prefix("Requests/sec:")).and_then(|v| v.trim().parse().ok())
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

async fn login_users(client: &Client, base: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for i in 0..USERS {
        tokens.push(register_and_login(client, base, &format!("bench{i}"), "bench-password").await);
        fund(client, base, &format!("bench{i}")).await;
    }
    tokens
}

#[derive(Clone, Copy)]
enum Op {
    Place,
    /// A public read of this path (under the API's base).
    Get(&'static str),
}

async fn one(client: &Client, base: &str, token: &str, op: Op, r: u64) -> bool {
    let sent = match op {
        Op::Place => client.post(format!("{base}/orders/")).bearer_auth(token).json(&flow::order(r)).send().await,
        Op::Get(path) => client.get(format!("{base}{path}")).send().await,
    };
    match sent {
        Ok(resp) => {
            let ok = resp.status().is_success();
            let _ = resp.bytes().await;
            ok
        }
        Err(_) => false,
    }
}

struct Latencies {
    count: usize,
    rate: f64,
    p50: f64,
    p99: f64,
    max: f64,
}

fn latencies(mut micros: Vec<u64>, secs: f64) -> Latencies {
    micros.sort_unstable();
    let at = |q: f64| {
        micros.get(((micros.len() as f64 * q) as usize).min(micros.len().saturating_sub(1))).copied().unwrap_or(0)
            as f64
            / 1e3
    };
    Latencies { count: micros.len(), rate: micros.len() as f64 / secs, p50: at(0.50), p99: at(0.99), max: at(1.0) }
}

/// `conns` tasks each sending one request after another for `secs` seconds.
async fn closed_loop(
    client: &Client,
    base: &str,
    tokens: &Arc<Vec<String>>,
    conns: usize,
    secs: f64,
    op: Op,
) -> Latencies {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let failures = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (client, base, tokens, failures) = (client.clone(), base.to_string(), tokens.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut r = (c as u64 + 1) * 7_919;
            while Instant::now() < deadline {
                r = r.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let started = Instant::now();
                if one(&client, &base, &tokens[c % tokens.len()], op, (r >> 33) % 1_000_000).await {
                    lat.push(started.elapsed().as_micros() as u64);
                } else {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let failed = failures.load(Ordering::Relaxed);
    if failed > 0 {
        println!("  ({failed} requests failed)");
    }
    latencies(all, secs)
}

/// Requests sent at a fixed rate whatever the answers do; latency counts from the scheduled time.
async fn open_loop(client: &Client, base: &str, tokens: &Arc<Vec<String>>, rate: f64, secs: f64) -> Latencies {
    let total = (rate * secs) as u64;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let scheduled = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(scheduled.into()).await;
        let (client, base, tokens) = (client.clone(), base.to_string(), tokens.clone());
        tasks.push(tokio::spawn(async move {
            let ok = one(
                &client,
                &base,
                &tokens[i as usize % tokens.len()],
                Op::Place,
                i.wrapping_mul(2_654_435_761) % 1_000_000,
            )
            .await;
            ok.then(|| scheduled.elapsed().as_micros() as u64)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        if let Some(l) = t.await.unwrap() {
            all.push(l);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies(all, elapsed)
}
