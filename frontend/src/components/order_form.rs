//! Order entry: buy or sell, limit or market, price (a click on the book fills it), quantity, time in
//! force and post-only; checked against the market's tick and lot before sending; the server's answer
//! (or error) shown under the form.

use common::Market;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;

use crate::api;
use crate::order_check::{check, Draft};

#[component]
pub fn OrderForm(
    market: Memo<Option<Market>>,
    token: ReadSignal<Option<String>>,
    price: ReadSignal<String>,
    set_price: WriteSignal<String>,
) -> impl IntoView {
    let (side, set_side) = signal("buy");
    let (kind, set_kind) = signal("limit");
    let (quantity, set_quantity) = signal(String::new());
    let (tif, set_tif) = signal("gtc".to_string());
    let (post_only, set_post_only) = signal(false);
    let (outcome, set_outcome) = signal(None::<(bool, String)>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(market), Some(token)) = (market.get_untracked(), token.get_untracked()) else {
            set_outcome.set(Some((false, "log in to trade".into())));
            return;
        };
        let is_market_order = kind.get_untracked() == "market";
        let (p, q) = (price.get_untracked(), quantity.get_untracked());
        if let Err(why) = check(&Draft { market: &market, is_market_order, price: &p, quantity: &q }) {
            set_outcome.set(Some((false, why)));
            return;
        }
        let mut body = json!({
            "symbol": market.symbol, "side": side.get_untracked(), "order_type": kind.get_untracked(),
            "quantity": q.trim(), "time_in_force": tif.get_untracked(), "post_only": post_only.get_untracked(),
        });
        if !is_market_order {
            body["price"] = json!(p.trim());
        }
        spawn_local(async move {
            match api::place(&token, &body).await {
                Ok(order) => {
                    let filled = order.trades.as_ref().map_or(0, Vec::len);
                    set_outcome.set(Some((
                        true,
                        format!("order {} {:?}, {filled} fill(s)", order.id, order.status).to_lowercase(),
                    )));
                }
                Err(e) => set_outcome.set(Some((false, e.detail))),
            }
        });
    };
    view! {
        <section class="panel entry">
            <h2>"Place order"</h2>
            <form class="form" on:submit=submit>
                <div class="toggle">
                    <button type="button" name="buy" class:buy=move || side.get() == "buy" on:click=move |_| set_side.set("buy")>"Buy"</button>
                    <button type="button" name="sell" class:sell=move || side.get() == "sell" on:click=move |_| set_side.set("sell")>"Sell"</button>
                </div>
                <div class="toggle">
                    <button type="button" name="limit" class:active=move || kind.get() == "limit" on:click=move |_| set_kind.set("limit")>"Limit"</button>
                    <button type="button" name="market" class:active=move || kind.get() == "market" on:click=move |_| set_kind.set("market")>"Market"</button>
                </div>
                <label>"Price"
                    <input name="price" inputmode="decimal" disabled=move || kind.get() == "market"
                        prop:value=price on:input=move |ev| set_price.set(event_target_value(&ev)) />
                </label>
                <label>"Quantity"
                    <input name="quantity" inputmode="decimal" prop:value=quantity on:input=move |ev| set_quantity.set(event_target_value(&ev)) />
                </label>
                <label>"Time in force"
                    <select name="tif" on:change=move |ev| set_tif.set(event_target_value(&ev))>
                        <option value="gtc">"GTC"</option>
                        <option value="ioc">"IOC"</option>
                        <option value="fok">"FOK"</option>
                    </select>
                </label>
                <label class="check"><input type="checkbox" name="post_only" on:change=move |ev| set_post_only.set(event_target_checked(&ev)) />"Post only"</label>
                <button type="submit" name="place" class=move || format!("primary {}", side.get())>
                    {move || format!("{} {}", if side.get() == "buy" { "Buy" } else { "Sell" }, market.get().map(|m| m.base).unwrap_or_default())}
                </button>
                <Show when=move || outcome.get().is_some()>
                    {move || outcome.get().map(|(ok, text)| view! { <p class=if ok { "ok" } else { "error" }>{text}</p> })}
                </Show>
            </form>
        </section>
    }
}
