//! End-to-end tests of the trading screen in a real headless Chromium, driven over WebDriver
//! (chromedriver), against a real backend and its own Redis. The UI must have been built into `dist/`
//! (`make test` does it first).

use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use testkit::chromium::{chromium_options, new_profile};
use testkit::{ChromeDriver, Deployment, TestApp};

mod accessibility;
mod activity;
mod changes_and_stops;
mod phone;
mod proxy;
mod shortcuts;
use proxy::Proxy;

async fn start_driver() -> (ChromeDriver, u16) {
    let driver = ChromeDriver::start().await;
    let port = driver.port();
    (driver, port)
}

async fn browser(driver_port: u16, width: u32, height: u32) -> Client {
    let mut caps = serde_json::map::Map::new();
    caps.insert("goog:chromeOptions".into(), chromium_options(&new_profile(driver_port), width, height));
    ClientBuilder::rustls()
        .expect("a TLS backend for the WebDriver client")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a browser session")
}

/// The app serving the built UI (`dist/`) over a Redis of its own; its address with a slash.
async fn spawn_app() -> (String, TestApp) {
    assert!(testkit::app::ui_dir().join("index.html").exists(), "build the UI first: trunk build --release");
    let app = testkit::spawn_app_with(Deployment::Single, |c| c.funds.faucet = true).await;
    (app.url("/"), app)
}

/// Waits until the text of the first element matching `css` satisfies `ok`; returns that text.
async fn wait_text(c: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    wait_text_within(c, css, Duration::from_secs(15), ok).await
}

async fn wait_text_within(c: &Client, css: &str, within: Duration, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + within;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if ok(&t) {
                    return t;
                }
                last = t;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: never matched; last text {last:?}");
}

/// Asserts that nothing widens the page past `width` (the viewport's), naming what does.
async fn assert_no_wider_than(c: &Client, width: f64) {
    let script = "const out = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > arguments[0] + 0.5 && !e.closest('[hidden]'))
            .map(e => e.tagName.toLowerCase() + '.' + String(e.className).replace(/ /g, '.') + ' ' + e.getBoundingClientRect().right);
        return [document.documentElement.scrollWidth, out.slice(0, 8)];";
    let found = c.execute(script, vec![serde_json::json!(width)]).await.unwrap();
    assert!(found[0].as_f64().unwrap() <= width, "the page widens to {} px: {}", found[0], found[1]);
}

/// Waits until nothing matches `css`.
async fn wait_gone(c: &Client, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while c.find(Locator::Css(css)).await.is_ok() {
        assert!(Instant::now() < deadline, "{css}: still there after 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the value of the input matching `css` is `want`.
async fn wait_value(c: &Client, css: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = None;
    while Instant::now() < deadline {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            last = e.prop("value").await.ok().flatten();
            if last.as_deref() == Some(want) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: value never {want:?}; last {last:?}");
}

async fn fill(c: &Client, css: &str, text: &str) {
    let e = c.wait().for_element(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    c.wait().for_element(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

/// How many times the page has read the order lists (`GET /api/v1/orders/?status=...`), from the
/// browser's own record of its requests.
async fn order_list_reads(c: &Client) -> u64 {
    let script = "performance.setResourceTimingBufferSize(100000);
        return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/orders/?status')).length;";
    c.execute(script, vec![]).await.unwrap().as_u64().unwrap()
}

/// Moves the pointer over the (first) element's centre.
async fn hover(c: &Client, css: &str) {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction};
    let element = c.find(Locator::Css(css)).await.unwrap();
    let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element,
        duration: None,
        x: 0.0,
        y: 0.0,
    });
    c.perform_actions(mouse).await.unwrap();
}

async fn sign_up(c: &Client, url: &str, name: &str) {
    c.goto(url).await.unwrap();
    wait_text(c, ".status", |t| t.contains("live")).await;
    fill(c, "input[name=username]", name).await;
    fill(c, "input[name=password]", &format!("{name}-password")).await;
    click(c, "button[name=register]").await;
    wait_text(c, ".signed-in", |t| t.contains(name)).await;
}

async fn place(c: &Client, side: &str, price: &str, qty: &str) {
    click(c, &format!("button[name={side}]")).await;
    fill(c, "input[name=price]", price).await;
    fill(c, "input[name=quantity]", qty).await;
    click(c, "button[name=place]").await;
}

#[tokio::test]
async fn two_traders_meet_through_the_screen() {
    let (url, _redis) = spawn_app().await;
    let (_driver, port) = start_driver().await;
    let alice = browser(port, 1280, 900).await;
    let bob = browser(port, 1280, 900).await;

    sign_up(&alice, &url, "alice").await;
    // Test funds from the faucet show in the balances panel.
    wait_text(&alice, ".balances", |t| t.contains("USD")).await;
    click(&alice, "button[name=faucet]").await;
    wait_text(&alice, ".balances .ok", |t| t.contains("credited")).await;
    wait_text(&alice, ".balances [data-asset=USD] .free", |t| t == "100,000").await;
    // The answer goes after a few seconds rather than lingering.
    wait_gone(&alice, ".balances .ok").await;
    // Once a minute: a second ask says when to come back.
    click(&alice, "button[name=faucet]").await;
    wait_text(&alice, ".balances .error", |t| t.contains("once a minute")).await;
    // The form says what the side spends and has free, and the order's total; more than is free is
    // refused before it is sent.
    wait_text(&alice, ".entry .available", |t| t == "Available: 100,000 USD").await;
    place(&alice, "buy", "50000.00", "3").await;
    wait_text(&alice, ".entry .error", |t| t == "insufficient funds: this order needs 150,000 USD, 100,000 is free")
        .await;
    fill(&alice, "input[name=quantity]", "-1").await;
    wait_text(&alice, ".entry .total", |t| t.is_empty()).await;
    click(&alice, "button[name=sell]").await;
    wait_text(&alice, ".entry .available", |t| t == "Available: 1 BTC").await;
    place(&alice, "sell", "50000.00", "2").await;
    wait_text(&alice, ".entry .total", |t| t == "Total: 100,000.00 USD").await;
    wait_text(&alice, ".entry .error", |t| t.contains("insufficient funds")).await;
    // Worth more than 10,000 USD: the form asks first, and sends only once confirmed.
    place(&alice, "sell", "50000.00", "0.5").await;
    wait_text(&alice, ".entry .confirm", |t| t.contains("worth 25,000.00 USD")).await;
    click(&alice, "button[name=confirm]").await;
    wait_text(&alice, ".entry .ok", |t| t.contains("open")).await;
    wait_gone(&alice, ".entry .confirm").await;
    wait_text(&alice, ".ladder.asks", |t| t.contains("50,000.00")).await;
    // Prices grouped by three; a quantity's trailing zeros drawn faint (the column stays aligned); lists
    // without them.
    wait_text(&alice, ".ladder.asks .qty", |t| t == "0.50000000").await;
    wait_text(&alice, ".ladder.asks .qty .zeros", |t| t == "0000000").await;
    // In the open orders tab, under headers, the side said in words (not by colour alone).
    let open_order = ".mine .tab-panel.open .row.orders.open[data-order-id]";
    wait_text(&alice, open_order, |t| t.contains("50,000.00") && t.contains("Sell") && t.contains("Limit")).await;
    wait_text(&alice, &format!("{open_order} .filled"), |t| t == "0 (0%)").await;
    wait_text(&alice, ".mine .tab-panel.open .row.head", |t| t.contains("Side") && t.contains("Filled")).await;
    wait_text(&alice, "button[name=tab-open]", |t| t == "Open orders (1)").await;
    // A quick size: half of the 0.5 BTC still free.
    wait_text(&alice, ".entry .available", |t| t == "Available: 0.5 BTC").await;
    click(&alice, "button[name=size-50]").await;
    wait_value(&alice, "input[name=quantity]", "0.25").await;

    // Bob crosses it through his own form; Alice sees the trade and her order filled, without reloading
    // (and without reading her orders again: the feed's messages say what changed).
    let reads_before = order_list_reads(&alice).await;
    assert!(reads_before >= 2, "read on sign-in, open and closed: {reads_before}");
    sign_up(&bob, &url, "bob").await;
    click(&bob, "button[name=faucet]").await;
    wait_text(&bob, ".balances [data-asset=USD] .free", |t| t == "100,000").await;
    wait_text(&bob, ".ladder.asks", |t| t.contains("50,000.00")).await;
    place(&bob, "buy", "50000.00", "0.5").await;
    click(&bob, ".entry .confirm button[name=confirm]").await;
    wait_text(&bob, ".entry .ok", |t| t.contains("filled")).await;
    wait_text(&alice, ".tape", |t| t.contains("50,000.00")).await;
    // Filled: gone from the open orders, in the order history with its average price.
    wait_text(&alice, "button[name=tab-open]", |t| t == "Open orders (0)").await;
    click(&alice, "button[name=tab-history]").await;
    let closed = wait_text(&alice, ".mine .row.orders.history[data-order-id]", |t| t.contains("filled")).await;
    assert!(closed.contains("0.5 (100%)") && closed.contains("Sell"), "{closed}");
    wait_text(&alice, ".mine .row.orders.history .average", |t| t == "50,000.00").await;
    // Both told in a toast, by the private feed.
    wait_text(&alice, ".toasts", |t| t.contains("Sold 0.5 BTC at 50,000: order") && t.contains("filled")).await;
    wait_text(&bob, ".toasts", |t| t.contains("Bought 0.5 BTC at 50,000: order")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(order_list_reads(&alice).await, reads_before, "alice's order lists were not read again");
    // The market's header: the last price is the trade's, in the tab's title too; the 24 h figures
    // follow from the feed's ticker.
    wait_text(&alice, ".stats .last-price", |t| t == "50,000.00").await;
    assert_eq!(alice.title().await.unwrap(), "50,000.00 BTC/USD · Exchange");
    wait_text(&alice, ".stats", |t| t.contains("0.50000000 BTC") && t.contains("50,000.00")).await;
    // Both balances settled: alice got 25,000 USD less the maker's 0.1 %, bob 0.5 BTC less the taker's 0.2 %.
    wait_text(&alice, ".balances [data-asset=USD] .free", |t| t == "124,975").await;
    wait_text(&bob, ".balances [data-asset=BTC] .free", |t| t == "1.499").await;
    // Each one's fill, with the fee in what it received.
    click(&alice, "button[name=tab-trades]").await;
    click(&bob, "button[name=tab-trades]").await;
    wait_text(&alice, ".mine .fill .fee", |t| t == "25 USD").await;
    wait_text(&alice, ".mine .fill .role", |t| t == "Maker").await;
    wait_text(&alice, ".mine .fill .value", |t| t == "25,000").await;
    wait_text(&bob, ".mine .fill .fee", |t| t == "0.001 BTC").await;
    wait_text(&bob, ".mine .fill .role", |t| t == "Taker").await;
    click(&alice, "button[name=tab-open]").await;

    // The price chart: the trade's candle, then the live candle moving with the next trade (from the
    // feed's candle messages), and the same after switching the interval (read over REST).
    wait_text(&alice, ".candles .last-label", |t| t == "50,000.00").await;
    assert!(!alice.find_all(Locator::Css(".candles .candle")).await.unwrap().is_empty(), "candles are drawn");
    // (Whichever of the two orders lands first rests and the other meets it at 50,100.)
    place(&alice, "sell", "50100.00", "0.01").await;
    place(&bob, "buy", "50100.00", "0.01").await;
    wait_text(&alice, ".candles .last-label", |t| t == "50,100.00").await;
    click(&alice, "button[name=interval-1h]").await;
    wait_text(&alice, ".candles .last-label", |t| t == "50,100.00").await;
    wait_text(&alice, ".stats .last-price", |t| t == "50,100.00").await;
    // A balance at the places its markets price it in, cut (never rounded up), the exact amount in its
    // title: 124,975 + 501 less the maker's fee, 0.501 USD, or the taker's, 1.002.
    let shown = wait_text(&alice, ".balances [data-asset=USD] .free", |t| t == "125,475.49" || t == "125,475.99").await;
    let exact = if shown.ends_with(".49") { "125,475.499" } else { "125,475.998" };
    let usd = alice.find(Locator::Css(".balances [data-asset=USD] .free")).await.unwrap();
    assert_eq!(usd.attr("title").await.unwrap().as_deref(), Some(exact));
    hover(&alice, ".candles g.candle:last-of-type").await;
    wait_text(&alice, ".candles .read-out", |t| t.contains("C 50,100.00")).await;

    // A limit price far from the market (a fifth above the last trade) is confirmed first; called
    // off, nothing is sent.
    place(&alice, "buy", "60000.00", "0.01").await;
    let why = wait_text(&alice, ".entry .confirm", |t| !t.is_empty()).await;
    assert!(why.contains("60,000.00 is 19.8% above the market (50,100.00): it may fill at once"), "{why}");
    click(&alice, "button[name=reconsider]").await;
    wait_gone(&alice, ".entry .confirm").await;
    assert!(!alice.find(Locator::Css(".mine")).await.unwrap().text().await.unwrap().contains("60,000"));

    // Cancel from "my orders".
    place(&alice, "sell", "51000.00", "0.1").await;
    wait_text(&alice, ".mine", |t| t.contains("51,000")).await;
    // The depth chart (one level, asks only): its axes, and the depth under the pointer.
    wait_text(&alice, ".depth .axis", |t| !t.is_empty()).await;
    hover(&alice, ".depth svg").await;
    wait_text(&alice, ".depth .read-out", |t| t.contains(" at or ")).await;
    click(&alice, ".mine button[name=cancel]").await;
    wait_text(&alice, "button[name=tab-open]", |t| t == "Open orders (0)").await;
    click(&alice, "button[name=tab-history]").await;
    wait_text(&alice, ".mine .tab-panel.history", |t| t.contains("cancelled")).await;
    click(&alice, "button[name=tab-open]").await;
    wait_text(&alice, ".toasts", |t| t.contains("cancelled")).await;
    wait_text(&alice, ".ladder.asks", |t| !t.contains("51,000.00")).await;

    // A quantity off the lot, or under the market's minimum, is caught in the form (the market's own
    // rules, before any question about the price); a stop the last trade has reached already is the
    // server's call, and its error is shown next to the form and in a toast.
    place(&alice, "sell", "52000.00", "0.000010001").await;
    let error = wait_text(&alice, ".entry .error", |t| !t.is_empty()).await;
    assert!(error.contains("lot size"), "{error}");
    place(&alice, "sell", "52000.00", "0.000001").await;
    let error = wait_text(&alice, ".entry .error", |t| t.contains("minimum")).await;
    assert!(error.contains("below the market's minimum"), "{error}");
    click(&alice, "button[name=stop_limit]").await;
    fill(&alice, "input[name=stop_price]", "50200.00").await;
    place(&alice, "sell", "52000.00", "0.01").await;
    wait_text(&alice, ".entry .error", |t| t.contains("trigger")).await;
    wait_text(&alice, ".toasts", |t| t.contains("Order refused:") && t.contains("trigger")).await;
    click(&alice, "button[name=limit]").await;
    wait_text(&alice, ".ladder.asks", |t| !t.contains("52,000.00")).await;

    // A price typed for BTC/USD does not follow to ETH/USD (sent there, it would fill far from the
    // market), nor the form's last message.
    fill(&alice, "input[name=price]", "49000.00").await;
    fill(&alice, "input[name=quantity]", "0.1").await;
    click(&alice, "button[data-symbol='ETH/USD']").await;
    wait_value(&alice, "input[name=price]", "").await;
    wait_value(&alice, "input[name=quantity]", "").await;
    wait_text(&alice, ".entry", |t| !t.contains("minimum")).await;
    click(&alice, "button[data-symbol='BTC/USD']").await;
    // The market is in the address; back and forward switch markets.
    wait_text(&alice, ".markets button.active", |t| t == "BTC/USD").await;
    assert!(alice.current_url().await.unwrap().as_str().ends_with("/trade/BTC-USD"));
    alice.back().await.unwrap();
    wait_text(&alice, ".markets button.active", |t| t == "ETH/USD").await;
    alice.forward().await.unwrap();
    wait_text(&alice, ".markets button.active", |t| t == "BTC/USD").await;

    // A market order: no price shown, ioc rather than gtc, no post-only (the server would refuse it).
    fill(&alice, "input[name=price]", "50000.00").await;
    click(&alice, "input[name=post_only]").await;
    click(&alice, "button[name=market]").await;
    wait_value(&alice, "input[name=price]", "").await;
    wait_value(&alice, "select[name=tif]", "ioc").await;
    let post_only = alice.find(Locator::Css("input[name=post_only]")).await.unwrap();
    assert!(!post_only.is_enabled().await.unwrap() && !post_only.is_selected().await.unwrap(), "post-only is off");
    click(&alice, "button[name=limit]").await;
    wait_value(&alice, "input[name=price]", "50000.00").await;

    // The screen keeps up with a fast feed: the book follows 50 updates a second.
    let started = Instant::now();
    let client = reqwest::Client::new();
    let api = url.trim_end_matches('/');
    let creds = common::Credentials { username: "bob".into(), password: "bob-password".into() };
    let login = client.post(format!("{api}/api/v1/auth/login")).json(&creds).send().await.unwrap();
    let token = login.json::<common::LoggedIn>().await.unwrap().access_token;
    for i in 0..150u32 {
        let at = started + Duration::from_millis(20 * u64::from(i));
        tokio::time::sleep_until(at.into()).await;
        let body = serde_json::json!({"symbol": "BTC/USD", "side": "buy", "order_type": "limit", "quantity": "0.01", "price": format!("{}.00", 40000 + i)});
        client.post(format!("{api}/api/v1/orders/")).bearer_auth(&token).json(&body).send().await.unwrap();
    }
    let sent = started.elapsed();
    wait_text(&alice, ".ladder.bids", |t| t.contains("40,149.00")).await;
    let caught_up = started.elapsed();
    println!(
        "book updates: 150 sent in {:.2} s ({:.0}/s); the browser showed the last one {:.0} ms after it was sent",
        sent.as_secs_f64(),
        150.0 / sent.as_secs_f64(),
        (caught_up - sent).as_secs_f64() * 1e3
    );
    let shown = alice.find(Locator::Css(".spread")).await.unwrap().attr("data-sequence").await.unwrap().unwrap();
    let (_, rest): (u16, serde_json::Value) = {
        let r = client.get(format!("{api}/api/v1/orders/book/BTC-USD")).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    };
    assert_eq!(shown, rest["sequence"].to_string(), "the screen's book is at the REST book's sequence");
    assert!(caught_up - sent < Duration::from_secs(2), "the book kept up");
    // Levels grouped by 10 ticks (0.10): the whole-dollar bids are rows of their own still, and the
    // 0.5 BTC ask at 50,000.00 rounds up to itself.
    let grouping = alice.find(Locator::Css("select[name=grouping]")).await.unwrap();
    grouping.select_by_value("10").await.unwrap();
    wait_text(&alice, ".ladder.bids", |t| t.contains("40,149.00") && t.contains("40,148.00")).await;

    alice.close().await.unwrap();
    bob.close().await.unwrap();
}

/// A connection that goes silent without closing (a half-open network) is found out by the
/// heartbeat: both feeds say so, the book is greyed and the form holds orders until the feeds are live
/// again, which they become by themselves once the network is back.
#[tokio::test]
async fn a_silent_connection_is_shown_and_holds_orders_until_it_is_back() {
    let (url, _app) = spawn_app().await;
    let upstream: u16 = url.trim_end_matches('/').rsplit(':').next().unwrap().parse().unwrap();
    let proxy = Proxy::start(upstream).await;
    let (_driver, port) = start_driver().await;
    let carol = browser(port, 1280, 900).await;
    let through = format!("http://127.0.0.1:{}/", proxy.port);
    // An address names its market.
    carol.goto(&format!("{through}trade/ETH-USD")).await.unwrap();
    wait_text(&carol, ".markets button.active", |t| t == "ETH/USD").await;
    // Signed out, the form says what is missing and sends nothing; there is no Cancel all.
    let place = carol.find(Locator::Css("button[name=place]")).await.unwrap();
    assert_eq!(place.text().await.unwrap(), "Log in to trade");
    assert!(!place.is_enabled().await.unwrap());
    assert!(carol.find(Locator::Css("button[name=cancel_all]")).await.is_err());
    // Login errors say what is wrong: nothing typed, or no such account.
    click(&carol, "button[name=login]").await;
    wait_text(&carol, ".account .error", |t| t == "enter a username and a password").await;
    fill(&carol, "input[name=username]", "carol").await;
    fill(&carol, "input[name=password]", "not-her-password").await;
    click(&carol, "button[name=login]").await;
    wait_text(&carol, ".account .error", |t| t == "wrong username or password").await;
    sign_up(&carol, &through, "carol").await;
    wait_text(&carol, ".status.private", |t| t == "orders: live").await;
    // A reload keeps her signed in (the session's cookie, which the page's scripts cannot read) and on
    // the market of the address.
    click(&carol, "button[data-symbol='ETH/USD']").await;
    wait_text(&carol, ".markets button.active", |t| t == "ETH/USD").await;
    carol.refresh().await.unwrap();
    wait_text(&carol, ".signed-in", |t| t.contains("carol")).await;
    wait_text(&carol, ".markets button.active", |t| t == "ETH/USD").await;
    let cookies = carol.execute("return document.cookie", vec![]).await.unwrap();
    assert_eq!(cookies, serde_json::json!(""), "the session is out of the page's scripts' reach");
    wait_text(&carol, ".status.private", |t| t == "orders: live").await;
    let place = carol.find(Locator::Css("button[name=place]")).await.unwrap();
    assert!(place.is_enabled().await.unwrap());
    assert!(carol.find(Locator::Css(".book.stale")).await.is_err(), "a live book is not greyed");

    let frozen = Instant::now();
    proxy.freeze(true);
    // Silence is given up after 12 s: nothing arrives, not even the pongs.
    let silent = Duration::from_secs(20);
    wait_text_within(&carol, ".status", silent, |t| t.contains("reconnecting")).await;
    wait_text_within(&carol, ".status.private", silent, |t| t.contains("reconnecting")).await;
    println!("a frozen connection was found out after {:.1} s", frozen.elapsed().as_secs_f64());
    carol.find(Locator::Css(".book.stale")).await.expect("the book is greyed");
    assert!(!place.is_enabled().await.unwrap(), "orders are held");
    wait_text(&carol, ".entry .error", |t| t.contains("Not connected")).await;

    proxy.freeze(false);
    wait_text_within(&carol, ".status", silent, |t| t == "live").await;
    wait_text_within(&carol, ".status.private", silent, |t| t == "orders: live").await;
    assert!(place.is_enabled().await.unwrap(), "orders go again");
    assert!(carol.find(Locator::Css(".book.stale")).await.is_err());
    carol.close().await.unwrap();
}
