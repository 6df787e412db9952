//! Changing an order in place and placing a stop order through the screen (issue 25): the queue
//! consequence of a change said before it is saved, a pending stop listed with its trigger, and the
//! chart's markers at the prices of the trader's orders and stops.

use super::*;

#[tokio::test]
async fn an_order_is_changed_in_place_and_a_stop_waits_listed_with_its_trigger() {
    let (url, app) = spawn_app().await;
    // A trade at 48,500 between two others, so the chart has a candle and the market a last price.
    let (bob, carol) = (app.user("bob").await, app.user("carol").await);
    app.limit(&bob, "sell", "0.01", "48500").await;
    app.limit(&carol, "buy", "0.01", "48500").await;
    let (_driver, port) = start_driver().await;
    let alice = browser(port, 1440, 900).await;
    sign_up(&alice, &url, "alice").await;
    click(&alice, "button[name=faucet]").await;
    wait_text(&alice, ".balances [data-asset=USD] .free", |t| t == "100,000").await;

    // A bid, then a lower quantity: the screen says it keeps its place, and a new price that it would not.
    place(&alice, "buy", "48200.00", "0.01").await;
    wait_text(&alice, ".mine .row.open[data-order-id]", |t| t.contains("48,200.00") && t.contains("Limit")).await;
    click(&alice, ".mine .row.open[data-order-id] button[name=edit]").await;
    fill(&alice, "form.edit input[name=edit_quantity]", "0.005").await;
    wait_text(&alice, "form.edit .note", |t| t.contains("keeps its place")).await;
    fill(&alice, "form.edit input[name=edit_price]", "48100").await;
    wait_text(&alice, "form.edit .note", |t| t.contains("back of the queue at 48,100")).await;
    fill(&alice, "form.edit input[name=edit_price]", "48200.00").await;
    click(&alice, "form.edit button[name=save_edit]").await;
    wait_gone(&alice, "form.edit").await;
    wait_text(&alice, ".mine .row.open[data-order-id]", |t| t.contains("0.005") && t.contains("0 (0%)")).await;
    // A change the exchange refuses says why, in place.
    click(&alice, ".mine .row.open[data-order-id] button[name=edit]").await;
    fill(&alice, "form.edit input[name=edit_price]", "48200.001").await;
    click(&alice, "form.edit button[name=save_edit]").await;
    wait_text(&alice, "form.edit .error", |t| t.contains("tick")).await;
    click(&alice, "form.edit button[name=cancel_edit]").await;
    wait_gone(&alice, "form.edit").await;

    // A stop-limit sell: pending, listed with its trigger, on no book.
    click(&alice, "button[name=sell]").await;
    click(&alice, "button[name=stop_limit]").await;
    fill(&alice, "input[name=stop_price]", "48000.00").await;
    place(&alice, "sell", "47900.00", "0.01").await;
    wait_text(&alice, ".entry .ok", |t| t.contains("pending") && t.contains("at or below 48,000")).await;
    wait_text(&alice, ".mine", |t| t.contains("Stop limit, when ≤ 48,000.00") && t.contains("47,900.00")).await;
    assert!(alice.find(Locator::Css(".ladder.asks .row")).await.is_err(), "a pending stop is on no book");
    // The chart marks both: the bid at its price, the stop at its trigger.
    wait_text(&alice, ".candles g.marker.buy", |t| t.contains("buy 0.005 @ 48,200.00")).await;
    wait_text(&alice, ".candles g.marker.stop", |t| t.contains("stop sell 0.01 @ 48,000.00")).await;
    // (A picture of it, to look at: target/screens/changes-and-stops.png.)
    let shots = testkit::app::ui_dir().join("../target/screens");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("changes-and-stops.png"), alice.screenshot().await.unwrap()).unwrap();

    // A trade at 48,000 triggers it (bob's sale first fills alice's bid at 48,200, and carol's buy then
    // trades with the rest of it at 48,000): a limit sell at 47,900 now, it sells what carol still bids
    // at 48,000 and rests the rest.
    app.limit(&bob, "sell", "0.01", "48000").await;
    app.limit(&carol, "buy", "0.01", "48000").await;
    wait_text(&alice, ".mine", |t| !t.contains("when ≤")).await;
    wait_text(&alice, ".ladder.asks", |t| t.contains("47,900.00")).await;
    wait_gone(&alice, ".candles g.marker.stop").await;
}
