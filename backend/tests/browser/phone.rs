//! The phone's layout (issue 26): tabs choose whether the chart, the book, the trades or the order
//! form fills the screen, and Buy and Sell stay at the bottom, each opening the form on its side; an
//! order's round trip, the book's numbers, the session kept over a reload and the price cleared on a
//! market switch, at the phone's size.

use super::*;

async fn displayed(c: &Client, css: &str) -> bool {
    c.find(Locator::Css(css)).await.unwrap().is_displayed().await.unwrap()
}

/// Waits until `css` is shown (or hidden, `shown` false).
async fn wait_displayed(c: &Client, css: &str, shown: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while displayed(c, css).await != shown {
        assert!(Instant::now() < deadline, "{css} is still {}", if shown { "hidden" } else { "shown" });
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Scrolls `css` to the middle of the screen, then clicks it: chromedriver scrolls an element only just
/// into view, which on a phone leaves it under the fixed Buy and Sell bar (a person scrolls further).
async fn tap(c: &Client, css: &str) {
    let element = c.wait().for_element(Locator::Css(css)).await.unwrap();
    let script = "arguments[0].scrollIntoView({block: 'center'});";
    c.execute(script, vec![serde_json::to_value(&element).unwrap()]).await.unwrap();
    element.click().await.unwrap();
}

#[tokio::test]
async fn a_phone_shows_one_part_at_a_time_and_keeps_buy_and_sell_at_hand() {
    let (url, _app) = spawn_app().await;
    let (_driver, port) = start_driver().await;
    let phone = browser(port, 390, 844).await;
    phone.goto(&url).await.unwrap();
    wait_text(&phone, ".status", |t| t.contains("live")).await;
    // The chart first; the book, the trades and the form (with the sign-in) one tab away.
    wait_displayed(&phone, ".price-chart", true).await;
    for hidden in [".book-side", ".tape", ".trade-side"] {
        assert!(!displayed(&phone, hidden).await, "{hidden} waits for its tab");
    }
    click(&phone, "button[name=show-trade]").await;
    // Signed out, the form says what is missing rather than failing on submit.
    wait_text(&phone, "button[name=place]", |t| t == "Log in to trade").await;
    fill(&phone, "input[name=username]", "pat").await;
    fill(&phone, "input[name=password]", "pat-password").await;
    click(&phone, "button[name=register]").await;
    wait_text(&phone, ".signed-in", |t| t.contains("pat")).await;
    click(&phone, "button[name=show-book]").await;
    wait_displayed(&phone, ".book-side", true).await;
    wait_displayed(&phone, ".price-chart", false).await;
    click(&phone, "button[name=show-trades]").await;
    wait_displayed(&phone, ".tape", true).await;
    // Sell, from the bar at the bottom of the screen: the form, on the sell side, near the top.
    let bar = phone.find(Locator::Css(".phone-bar")).await.unwrap();
    let (_, top, _, height) = bar.rectangle().await.unwrap();
    let inner = phone.execute("return window.innerHeight", vec![]).await.unwrap().as_f64().unwrap();
    assert!((top + height - inner).abs() < 1.0, "the bar is at the bottom: {top} + {height} of {inner}");
    click(&phone, "button[name=phone-sell]").await;
    wait_displayed(&phone, ".trade-side", true).await;
    wait_text(&phone, "button[name=place]", |t| t.starts_with("Sell")).await;
    let (_, form_top, _, _) = phone.find(Locator::Css(".entry")).await.unwrap().rectangle().await.unwrap();
    assert!(form_top < inner, "the form is on screen: {form_top} of {inner}");
    click(&phone, "button[name=phone-buy]").await;
    wait_text(&phone, "button[name=place]", |t| t.starts_with("Buy")).await;
    // An order's round trip on the phone: placed from the form, listed in the open orders tab,
    // cancelled there (told in a toast); a reload keeps the session and the market.
    click(&phone, "button[name=faucet]").await;
    wait_text(&phone, ".balances [data-asset=BTC] .free", |t| t == "1").await;
    click(&phone, "button[name=phone-sell]").await;
    fill(&phone, "input[name=price]", "61000.00").await;
    fill(&phone, "input[name=quantity]", "0.1").await;
    tap(&phone, "button[name=place]").await;
    wait_text(&phone, ".entry .ok", |t| t.contains("open")).await;
    wait_text(&phone, "button[name=tab-open]", |t| t == "Open orders (1)").await;
    // It fits the phone's width: Cancel within reach, not in a table scrolled sideways.
    let row = ".tab-panel.open .row.orders.open[data-order-id]";
    let cancel = phone.find(Locator::Css(&format!("{row} button[name=cancel]"))).await.unwrap();
    let (x, _, width, _) = cancel.rectangle().await.unwrap();
    assert!(x + width <= 390.0, "Cancel at {x} + {width} on a 390 px screen");
    let shots = testkit::app::ui_dir().join("../target/screens");
    std::fs::create_dir_all(&shots).unwrap();
    phone.execute(&format!("document.querySelector('{row}').scrollIntoView()"), vec![]).await.unwrap();
    std::fs::write(shots.join("phone-orders.png"), phone.screenshot().await.unwrap()).unwrap();
    // On the book's tab, with the market's decimals and grouped.
    click(&phone, "button[name=show-book]").await;
    wait_text(&phone, ".ladder.asks", |t| t.contains("61,000.00")).await;
    click(&phone, "button[name=show-trade]").await;
    tap(&phone, ".tab-panel.open .row.orders.open[data-order-id] button[name=cancel]").await;
    wait_text(&phone, "button[name=tab-open]", |t| t == "Open orders (0)").await;
    wait_text(&phone, ".toasts", |t| t.contains("cancelled")).await;
    click(&phone, "button[data-symbol='ETH/USD']").await;
    phone.refresh().await.unwrap();
    wait_text(&phone, ".markets button.active", |t| t == "ETH/USD").await;
    click(&phone, "button[name=show-trade]").await;
    wait_text(&phone, ".signed-in", |t| t.contains("pat")).await;
    // A price typed for ETH/USD does not follow to BTC/USD.
    fill(&phone, "input[name=price]", "3050.00").await;
    click(&phone, "button[data-symbol='BTC/USD']").await;
    wait_value(&phone, "input[name=price]", "").await;
    // Nothing widens the page sideways.
    assert_no_wider_than(&phone, 390.0).await;
    std::fs::write(shots.join("phone.png"), phone.screenshot().await.unwrap()).unwrap();
    phone.close().await.unwrap();
}
