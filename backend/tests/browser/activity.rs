//! The activity tabs under the chart (issue 26): open orders, order history, trade history and funds,
//! each a table with headers; a filter to the market on screen; older pages read on request; on a
//! phone, tabs big enough to touch and tables that scroll inside their box rather than widen the page.

use common::{Dec, NewOrder, Side, Symbol};

use super::*;

async fn log_in(c: &Client, url: &str, name: &str) {
    c.goto(url).await.unwrap();
    wait_text(c, ".status", |t| t.contains("live")).await;
    // (On a phone, the sign-in is with the order form.)
    if c.find(Locator::Css("button[name=show-trade]")).await.unwrap().is_displayed().await.unwrap() {
        click(c, "button[name=show-trade]").await;
    }
    fill(c, "input[name=username]", name).await;
    fill(c, "input[name=password]", &format!("password-of-{name}")).await;
    click(c, "button[name=login]").await;
    wait_text(c, ".signed-in", |t| t.contains(name)).await;
}

/// Waits until `css` matches exactly `n` elements.
async fn wait_count(c: &Client, css: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = c.find_all(Locator::Css(css)).await.unwrap().len();
        if found == n {
            return;
        }
        assert!(Instant::now() < deadline, "{css}: {found} elements, not {n}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_activity_tabs_filter_by_market_read_older_pages_and_show_the_funds() {
    let (url, app) = spawn_app().await;
    let (dana, eve) = (app.user("dana").await, app.user("eve").await);
    // 55 of dana's sells, each filled by eve: 55 closed orders and 55 fills, more than a page of 50.
    for i in 0..55 {
        let price = format!("{}", 50_000 + i);
        assert_eq!(app.limit(&dana, "sell", "0.01", &price).await.status(), 201);
        assert_eq!(app.limit(&eve, "buy", "0.01", &price).await.status(), 201);
    }
    // One open order on each market.
    assert_eq!(app.limit(&dana, "buy", "0.02", "40000").await.status(), 201);
    let dec = |text: &str| Dec::parse(text).unwrap();
    let eth = NewOrder::limit(Symbol::parse("ETH/USD").unwrap(), Side::Buy, dec("0.5"), dec("2000"));
    assert_eq!(app.place(&dana, &eth).await.status(), 201);

    let (_driver, port) = start_driver().await;
    let c = browser(port, 1440, 900).await;
    log_in(&c, &url, "dana").await;
    wait_text(&c, "button[name=tab-open]", |t| t == "Open orders (2)").await;
    // Only the market on screen (BTC/USD), then all again.
    click(&c, "input[name=this_market_only]").await;
    wait_text(&c, "button[name=tab-open]", |t| t == "Open orders (1)").await;
    wait_text(&c, ".tab-panel.open .row.orders.open[data-order-id]", |t| t.contains("BTC/USD") && t.contains("Buy"))
        .await;
    click(&c, "input[name=this_market_only]").await;
    wait_count(&c, ".tab-panel.open .row.orders.open[data-order-id]", 2).await;
    let selected = c.find(Locator::Css("button[name=tab-open]")).await.unwrap();
    assert_eq!(selected.attr("aria-selected").await.unwrap().as_deref(), Some("true"));

    // The order history: a page, then the older ones on request; the button goes when none are left.
    click(&c, "button[name=tab-history]").await;
    assert_eq!(selected.attr("aria-selected").await.unwrap().as_deref(), Some("false"));
    wait_count(&c, ".tab-panel.history .row.orders.history[data-order-id]", 50).await;
    wait_text(&c, ".tab-panel.history .row.orders.history[data-order-id] .status", |t| t == "filled").await;
    click(&c, "button[name=older_orders]").await;
    wait_count(&c, ".tab-panel.history .row.orders.history[data-order-id]", 55).await;
    wait_gone(&c, "button[name=older_orders]").await;

    // The trade history the same way: the newest fill first, its value and role.
    click(&c, "button[name=tab-trades]").await;
    wait_count(&c, ".tab-panel.trades .row.orders.fill[data-trade-id]", 50).await;
    let newest = wait_text(&c, ".tab-panel.trades .row.orders.fill[data-trade-id]", |t| t.contains("50,054.00")).await;
    assert!(newest.contains("Sell") && newest.contains("Maker") && newest.contains("500.54"), "{newest}");
    click(&c, "button[name=older_trades]").await;
    wait_count(&c, ".tab-panel.trades .row.orders.fill[data-trade-id]", 55).await;

    // Funds: the open orders' locks (800 USD for the BTC bid, 1,000 for the ETH one) and the ledger.
    click(&c, "button[name=tab-funds]").await;
    wait_text(&c, ".tab-panel.funds .row.funds[data-asset=USD] .locked", |t| t == "1,800").await;
    let balances: serde_json::Value = app.get("/api/v1/account/balances", Some(&dana)).await.json().await.unwrap();
    let usd = balances.as_array().unwrap().iter().find(|b| b["asset"] == "USD").unwrap();
    let total = wait_text(&c, ".tab-panel.funds .row.funds[data-asset=USD] .total", |t| !t.is_empty()).await;
    assert_eq!(total.replace(',', ""), usd["total"].to_string(), "the total is the API's");
    wait_count(&c, ".tab-panel.funds .row.ledger[data-entry-id]", 50).await;
    wait_text(&c, ".tab-panel.funds .row.ledger .kind", |t| t == "trade" || t == "fee").await;
    c.close().await.unwrap();

    // On a phone: the tabs are touch targets of at least 44 px, and the tables scroll in their box.
    let phone = browser(port, 390, 844).await;
    log_in(&phone, &url, "dana").await;
    wait_text(&phone, "button[name=tab-open]", |t| t == "Open orders (2)").await;
    for name in ["tab-open", "tab-history", "tab-trades", "tab-funds", "cancel_all"] {
        let (_, _, _, height) =
            phone.find(Locator::Css(&format!("button[name={name}]"))).await.unwrap().rectangle().await.unwrap();
        assert!(height >= 44.0, "{name} is {height} px high");
    }
    assert_no_wider_than(&phone, 390.0).await;
    phone.close().await.unwrap();
}

/// An order that closes while the private feed is away, among more closed orders than the closed list's
/// first page holds, is not left open on the screen when the feed comes back: its news is not replayed,
/// so the screen asks for each order the open list no longer holds.
#[tokio::test]
async fn an_order_closed_while_the_feed_was_away_is_not_left_open() {
    let (url, app) = spawn_app().await;
    let upstream: u16 = url.trim_end_matches('/').rsplit(':').next().unwrap().parse().unwrap();
    let proxy = super::proxy::Proxy::start(upstream).await;
    let (dana, eve) = (app.user("dana").await, app.user("eve").await);
    // dana's bid, older than everything that follows.
    let placed = app.limit(&dana, "buy", "0.01", "40000").await;
    let bid = placed.json::<serde_json::Value>().await.unwrap()["id"].clone();
    let (_driver, port) = start_driver().await;
    let c = browser(port, 1440, 900).await;
    log_in(&c, &format!("http://127.0.0.1:{}/", proxy.port), "dana").await;
    wait_text(&c, ".status.private", |t| t == "orders: live").await;
    wait_text(&c, "button[name=tab-open]", |t| t == "Open orders (1)").await;

    // The screen hears nothing while 51 newer orders of dana's are placed and cancelled and eve fills the bid.
    proxy.freeze(true);
    for i in 0..51 {
        let r = app.limit(&dana, "buy", "0.01", &format!("{}", 30_000 + i)).await;
        let id = r.json::<serde_json::Value>().await.unwrap()["id"].as_u64().unwrap();
        assert_eq!(app.delete(&format!("/api/v1/orders/{id}"), Some(&dana)).await.status(), 200);
    }
    assert_eq!(app.limit(&eve, "sell", "0.01", "40000").await.status(), 201);
    wait_text_within(&c, ".status.private", Duration::from_secs(20), |t| t.contains("reconnecting")).await;
    proxy.freeze(false);
    wait_text_within(&c, ".status.private", Duration::from_secs(20), |t| t == "orders: live").await;
    wait_text(&c, "button[name=tab-open]", |t| t == "Open orders (0)").await;
    // In the history (newest orders first, as the API pages them), a page on: filled.
    click(&c, "button[name=tab-history]").await;
    click(&c, "button[name=older_orders]").await;
    let row = format!(".tab-panel.history .row.orders.history[data-order-id='{bid}']");
    wait_text(&c, &row, |t| t.contains("40,000.00") && t.contains("filled")).await;
    c.close().await.unwrap();
}
