//! How soon the trading screen is of use on a modest connection: the release backend serving the built
//! UI (`make ui`), headless Chromium driven over WebDriver with its network emulated at 9 Mbit/s down
//! and up and 85 ms of latency per request, a cold cache each run (a new profile). The figure is the time
//! from the navigation's start to the first book with levels on screen (the page marks it in the
//! browser's performance timeline as `book-shown`); also printed: what crossed the network, and how.
//!
//! `cargo run --release -p tools --bin ui_load [-- --quick] [--runs N] [--json PATH]` (build the backend
//! and the UI first; `make bench` runs it with the other scenarios).

use std::time::{Duration, Instant};

use common::{Dec, NewOrder, Side, Symbol};
use serde_json::{json, Value};
use testkit::chromium::{chromium_options, new_profile};
use testkit::{fund, register_and_login, BackendProcess, ChromeDriver};
use tools::figures::{self as bench, Figures};

/// The emulated connection: 9 Mbit/s each way, 85 ms added to every request.
const BYTES_PER_SEC: f64 = 9_000_000.0 / 8.0;
const LATENCY_MS: u32 = 85;

/// A WebDriver session: its commands are JSON over HTTP.
struct Session<'a> {
    http: &'a reqwest::Client,
    base: String,
}

impl Session<'_> {
    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let answer = self.http.request(method, format!("{}{path}", self.base)).json(&body).send().await;
        let answer: Value = answer.expect("chromedriver answers").json().await.expect("a JSON answer");
        assert!(answer["value"]["error"].is_null(), "WebDriver {path}: {answer}");
        answer["value"].clone()
    }

    async fn script(&self, script: &str) -> Value {
        self.command(reqwest::Method::POST, "/execute/sync", json!({"script": script, "args": []})).await
    }
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let runs: usize = bench::arg_or("--runs", if quick { 1 } else { 3 });
    let server = BackendProcess::release_with_own_redis().await;
    seed_book(&server.base()).await;
    let driver = ChromeDriver::start().await;
    let http = reqwest::Client::new();
    let mut figures = Figures::default();
    println!(
        "UI load: Chromium, cold cache, network emulated at {:.0} Mbit/s and {LATENCY_MS} ms per request",
        BYTES_PER_SEC * 8.0 / 1e6
    );
    for run in 1..=runs {
        // A new profile each run: a cold cache.
        let session = new_session(&http, driver.port()).await;
        let conditions = json!({"network_conditions": {"offline": false, "latency": LATENCY_MS,
            "download_throughput": BYTES_PER_SEC, "upload_throughput": BYTES_PER_SEC}});
        session.command(reqwest::Method::POST, "/chromium/network_conditions", conditions).await;
        session
            .command(reqwest::Method::POST, "/url", json!({"url": format!("{}/trade/BTC-USD", server.origin())}))
            .await;
        let shown = wait_for_mark(&session).await;
        let transfer = session
            .script(
                "const r = performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'));
                 return r.map(e => [e.name.split('/').pop() || '/', e.transferSize, e.encodedBodySize, e.decodedBodySize, e.responseEnd]);",
            )
            .await;
        let total: f64 = transfer.as_array().unwrap().iter().map(|e| e[1].as_f64().unwrap_or(0.0)).sum();
        println!(
            "  run {run}: first book shown {shown:.0} ms after the navigation started; {:.0} KB crossed the network",
            total / 1e3
        );
        for e in transfer.as_array().unwrap() {
            let name: String = e[0].as_str().unwrap_or("").chars().take(48).collect();
            println!(
                "         {name:<48} {:>7.0} B sent ({:>7.0} B decoded), done at {:>5.0} ms",
                e[1].as_f64().unwrap_or(0.0),
                e[3].as_f64().unwrap_or(0.0),
                e[4].as_f64().unwrap_or(0.0)
            );
        }
        figures.push("ui_first_book_ms", shown);
        session.command(reqwest::Method::DELETE, "", json!({})).await;
    }
    figures.write();
}

/// A few resting orders on each side of BTC/USD, so that there is a book to show (`api`: the API's
/// base, `http://host:port/api/v1`).
async fn seed_book(api: &str) {
    let http = reqwest::Client::new();
    let token = register_and_login(&http, api, "ui-load", "ui-load-password").await;
    fund(&http, api, "ui-load").await;
    let symbol = Symbol::parse("BTC/USD").unwrap();
    for i in 0..10u32 {
        for (side, price) in [(Side::Buy, 49_000 - i * 10), (Side::Sell, 51_000 + i * 10)] {
            let order = NewOrder::limit(
                symbol.clone(),
                side,
                Dec::parse("0.1").unwrap(),
                Dec::parse(&price.to_string()).unwrap(),
            );
            let r = http.post(format!("{api}/orders/")).bearer_auth(&token).json(&order).send().await.unwrap();
            assert_eq!(r.status(), 201, "a seed order");
        }
    }
}

async fn new_session(http: &reqwest::Client, port: u16) -> Session<'_> {
    let options = chromium_options(&new_profile(port), 1440, 900);
    let caps = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}});
    let answer: Value = http
        .post(format!("http://127.0.0.1:{port}/session"))
        .json(&caps)
        .send()
        .await
        .expect("chromedriver answers")
        .json()
        .await
        .expect("a JSON answer");
    let id = answer["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {answer}")).to_string();
    Session { http, base: format!("http://127.0.0.1:{port}/session/{id}") }
}

/// The `book-shown` mark's time (ms from the navigation's start), once the page has set it.
async fn wait_for_mark(session: &Session<'_>) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mark = session
            .script("const m = performance.getEntriesByName('book-shown'); return m.length ? m[0].startTime : null;")
            .await;
        if let Some(ms) = mark.as_f64() {
            return ms;
        }
        assert!(Instant::now() < deadline, "no book shown within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
