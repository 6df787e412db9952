//! Order entry: buy or sell; limit, market, stop-limit or stop-market (a stop waits for a trade at its
//! stop price, then becomes the limit or market order); price (a click on the book fills it), quantity
//! (or, for a market buy, an amount to spend), quick sizes of 25-100 % of what is free, time in force and
//! post-only; what is available to spend and the order's total; checked against the market's tick and
//! lot and the free balance before sending; the server's answer (or error) shown under the form.
//! Keys: B and S choose the side, F goes to the quantity, Esc clears the form (`shortcuts.rs` lists them).

use common::{Balance, Dec, Market, NewOrder, OrderType, Side, TimeInForce};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::shortcuts::{plain, typing};
use crate::components::toasts::Toaster;
use crate::format::{amount, asset_places, grouped, trimmed};
use crate::notice::Tone;
use crate::order_check::{check, check_stop, quick_size, Draft, QuickSize};
use crate::order_guard::{warnings, Guard};
use leptos::leptos_dom::helpers::window_event_listener;

/// The trader's confirmation bounds, as stored in this browser (or the defaults).
fn guard() -> Guard {
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    Guard::load(|key| storage.as_ref().and_then(|s| s.get_item(key).ok().flatten()))
}

/// A time in force as the form's select names it.
fn tif_value(tif: TimeInForce) -> &'static str {
    match tif {
        TimeInForce::Gtc => "gtc",
        TimeInForce::Ioc => "ioc",
        TimeInForce::Fok => "fok",
    }
}

/// The quick sizes, in percent of what is free.
const QUICK_SIZES: [u32; 4] = [25, 50, 75, 100];

#[component]
pub fn OrderForm(
    market: Memo<Option<Market>>,
    token: ReadSignal<Option<String>>,
    price: ReadSignal<String>,
    set_price: WriteSignal<String>,
    balances: ReadSignal<Vec<Balance>>,
    /// The price a limit price is compared with: the mid, or the last price without one.
    reference: Memo<Option<Dec>>,
    /// Whether the market's feed is live: orders are not sent from a screen that may be out of date.
    live: Memo<bool>,
    /// Refusals are told here too (they may come after the trader has looked away from the form).
    toaster: Toaster,
    /// The side (shared with the phone's Buy and Sell bar).
    side: RwSignal<Side>,
) -> impl IntoView {
    let set_side = side.write_only();
    let (kind, set_kind) = signal(OrderType::Limit);
    let (quantity, set_quantity) = signal(String::new());
    // A market buy's amount of quote to spend (instead of a quantity).
    let (spend, set_spend) = signal(String::new());
    // A stop order's trigger price.
    let (stop, set_stop) = signal(String::new());
    let market_buy = move || kind.get() == OrderType::Market && side.get() == Side::Buy;
    let is_stop = move || kind.get().is_stop();
    let quantity_input = NodeRef::<leptos::html::Input>::new();
    let (tif, set_tif) = signal(TimeInForce::Gtc);
    let (post_only, set_post_only) = signal(false);
    let (outcome, set_outcome) = signal(None::<(bool, String)>);
    // An order held for the trader to confirm, with why; any change to the form drops it.
    let (pending, set_pending) = signal(None::<(NewOrder, Vec<String>)>);
    Effect::new(move |_| {
        price.track();
        quantity.track();
        spend.track();
        stop.track();
        side.track();
        kind.track();
        market.track();
        set_pending.set(None);
    });
    // A market order (or a stop that becomes one).
    let is_market = move || kind.get().when_triggered() == OrderType::Market;
    // A market order rests never: good till cancelled means ioc for it, and post-only nothing.
    let to_market = move |kind: OrderType| {
        set_kind.set(kind);
        if tif.get_untracked() == TimeInForce::Gtc {
            set_tif.set(TimeInForce::Ioc);
        }
        set_post_only.set(false);
    };
    // Another market: a price, quantity or message typed for the last one means nothing here (a BTC price
    // sent as an ETH order would fill far from the market), so they are cleared.
    Effect::new(move |shown: Option<Option<common::Symbol>>| {
        let now = market.get().map(|m| m.symbol);
        if shown.is_some_and(|before| before != now) {
            set_price.set(String::new());
            set_quantity.set(String::new());
            set_spend.set(String::new());
            set_stop.set(String::new());
            set_outcome.set(None);
        }
        now
    });
    // The keys: not while typing in a field, where letters are text (Esc still clears).
    let clear = move || {
        set_price.set(String::new());
        set_quantity.set(String::new());
        set_spend.set(String::new());
        set_stop.set(String::new());
        set_pending.set(None);
        set_outcome.set(None);
    };
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if !plain(&ev) {
            return;
        }
        match ev.key().as_str() {
            "Escape" => clear(),
            _ if typing() => {}
            "b" | "B" => set_side.set(Side::Buy),
            "s" | "S" => set_side.set(Side::Sell),
            "f" | "F" => {
                ev.prevent_default();
                if let Some(input) = quantity_input.get() {
                    let _ = input.focus();
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());
    // What the chosen side spends (the quote to buy, the base to sell), and how much of it is free.
    let available = Memo::new(move |_| {
        let m = market.get()?;
        let asset = if side.get() == Side::Buy { m.quote } else { m.base };
        let free = balances.get().into_iter().find(|b| b.asset == asset).map(|b| b.free)?;
        Some((asset, free))
    });
    // The order's value in the quote asset, once its numbers are typed: a limit's price × quantity, a
    // market buy's amount, a market order's quantity at the reference price (an estimate).
    let total = Memo::new(move |_| {
        let m = market.get()?;
        let places = m.tick_size.0.scale();
        // (No total for a quantity or price that is not a positive number: it would only mislead.)
        let positive = |text: String| Dec::parse(text.trim()).ok().filter(Dec::is_positive);
        let q = positive(quantity.get());
        let (value, about) = if kind.get().has_price() {
            (Dec::from(positive(price.get())?.0 * q?.0), "")
        } else if let (Side::Buy, Some(amount)) = (side.get(), positive(spend.get())) {
            (amount, "")
        } else {
            (Dec::from(reference.get()?.0 * q?.0), "≈ ")
        };
        Some(format!("{about}{} {}", grouped(value, places), m.quote))
    });
    let quick = move |percent: u32| {
        let (Some(m), Some((_, free))) = (market.get_untracked(), available.get_untracked()) else {
            set_outcome.set(Some((false, "log in to see what is free".into())));
            return;
        };
        let is_market_order = kind.get_untracked().when_triggered() == OrderType::Market;
        match quick_size(&m, side.get_untracked(), is_market_order, free, &price.get_untracked(), percent) {
            Ok(QuickSize::Quantity(q)) => {
                set_quantity.set(q.to_string());
                set_spend.set(String::new());
            }
            Ok(QuickSize::Spend(amount)) => {
                set_spend.set(amount.to_string());
                set_quantity.set(String::new());
            }
            Err(why) => set_outcome.set(Some((false, why))),
        }
    };
    let send = move |token: String, order: NewOrder| {
        spawn_local(async move {
            match api::place(&token, &order).await {
                Ok(order) => {
                    let filled = order.trades.as_ref().map_or(0, Vec::len);
                    let status = order.status.as_str().replace('_', " ");
                    let text = match order.stop_price {
                        Some(stop) if order.status == common::OrderStatus::Pending => {
                            let towards = if order.side == Side::Buy { "at or above" } else { "at or below" };
                            format!(
                                "stop order {} pending: it triggers on a trade {towards} {}",
                                order.id,
                                trimmed(stop)
                            )
                        }
                        _ => format!("order {} {status}, {filled} fill(s)", order.id),
                    };
                    set_outcome.set(Some((true, text)));
                }
                Err(e) => {
                    toaster.show(Tone::Warning, format!("Order refused: {}", e.detail));
                    set_outcome.set(Some((false, e.detail)));
                }
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(market), Some(token)) = (market.get_untracked(), token.get_untracked()) else {
            set_outcome.set(Some((false, "log in to trade".into())));
            return;
        };
        if !live.get_untracked() {
            return;
        }
        let is_market_order = kind.get_untracked().when_triggered() == OrderType::Market;
        let (p, q) = (price.get_untracked(), quantity.get_untracked());
        let s = if market_buy() { spend.get_untracked() } else { String::new() };
        let draft = Draft { market: &market, is_market_order, price: &p, quantity: &q, spend: &s };
        let ready = match check(&draft) {
            Ok(ready) => ready,
            Err(why) => {
                set_outcome.set(Some((false, why)));
                return;
            }
        };
        let stop_price = if kind.get_untracked().is_stop() {
            match check_stop(&market, &stop.get_untracked()) {
                Ok(stop) => Some(stop),
                Err(why) => {
                    set_outcome.set(Some((false, why)));
                    return;
                }
            }
        } else {
            None
        };
        // Refused here when the free balance cannot cover it (the server checks again): a limit buy
        // spends price × quantity of quote, a market buy its amount, a sell its quantity of base.
        let spends = match (side.get_untracked(), ready.price) {
            (Side::Buy, _) if ready.quote_quantity.is_some() => ready.quote_quantity,
            (Side::Buy, Some(p)) => Some(Dec::from(p.0 * ready.quantity.0)),
            (Side::Sell, _) => Some(ready.quantity),
            (Side::Buy, None) => None,
        };
        if let (Some(spends), Some((asset, free))) = (spends, available.get_untracked()) {
            if spends.0 > free.0 {
                set_outcome.set(Some((
                    false,
                    format!(
                        "insufficient funds: this order needs {} {asset}, {} is free",
                        trimmed(spends),
                        trimmed(free)
                    ),
                )));
                return;
            }
        }
        let reasons = warnings(&guard(), &market, side.get_untracked(), &ready, reference.get_untracked());
        let order = NewOrder {
            symbol: market.symbol,
            side: side.get_untracked(),
            order_type: kind.get_untracked(),
            quantity: ready.quantity,
            quote_quantity: ready.quote_quantity,
            price: ready.price,
            time_in_force: tif.get_untracked(),
            post_only: post_only.get_untracked(),
            client_order_id: None,
            stop_price,
        };
        if reasons.is_empty() {
            send(token, order);
        } else {
            set_outcome.set(None);
            set_pending.set(Some((order, reasons)));
        }
    };
    let confirm = move |_| {
        if let (Some((order, _)), Some(token), true) =
            (pending.get_untracked(), token.get_untracked(), live.get_untracked())
        {
            set_pending.set(None);
            send(token, order);
        }
    };
    view! {
        <section class="panel entry">
            <h2>"Place order"</h2>
            <form class="form" on:submit=submit>
                <div class="toggle">
                    <button type="button" name="buy" class:buy=move || side.get() == Side::Buy on:click=move |_| set_side.set(Side::Buy)>"Buy"</button>
                    <button type="button" name="sell" class:sell=move || side.get() == Side::Sell on:click=move |_| set_side.set(Side::Sell)>"Sell"</button>
                </div>
                <div class="toggle types">
                    <button type="button" name="limit" class:active=move || kind.get() == OrderType::Limit aria-pressed=move || (kind.get() == OrderType::Limit).to_string()
                        on:click=move |_| set_kind.set(OrderType::Limit)>"Limit"</button>
                    <button type="button" name="market" class:active=move || kind.get() == OrderType::Market aria-pressed=move || (kind.get() == OrderType::Market).to_string()
                        on:click=move |_| to_market(OrderType::Market)>"Market"</button>
                    <button type="button" name="stop_limit" class:active=move || kind.get() == OrderType::StopLimit aria-pressed=move || (kind.get() == OrderType::StopLimit).to_string()
                        title="Waits for a trade at the stop price, then places a limit order" on:click=move |_| set_kind.set(OrderType::StopLimit)>"Stop limit"</button>
                    <button type="button" name="stop_market" class:active=move || kind.get() == OrderType::StopMarket aria-pressed=move || (kind.get() == OrderType::StopMarket).to_string()
                        title="Waits for a trade at the stop price, then places a market order" on:click=move |_| to_market(OrderType::StopMarket)>"Stop market"</button>
                </div>
                <Show when=is_stop>
                    <label>{move || if side.get() == Side::Buy { "Stop price (triggers on a trade at or above)" } else { "Stop price (triggers on a trade at or below)" }}
                        <input name="stop_price" inputmode="decimal" prop:value=stop on:input=move |ev| set_stop.set(event_target_value(&ev)) />
                    </label>
                </Show>
                <label>"Price"
                    <input name="price" inputmode="decimal" disabled=is_market placeholder=move || if is_market() { "at the market" } else { "" }
                        prop:value=move || if is_market() { String::new() } else { price.get() } on:input=move |ev| set_price.set(event_target_value(&ev)) />
                </label>
                <label>"Quantity"
                    <input name="quantity" inputmode="decimal" node_ref=quantity_input prop:value=quantity on:input=move |ev| set_quantity.set(event_target_value(&ev)) />
                </label>
                <Show when=market_buy>
                    <label>{move || format!("or spend ({})", market.get().map(|m| m.quote).unwrap_or_default())}
                        <input name="spend" inputmode="decimal" prop:value=spend on:input=move |ev| set_spend.set(event_target_value(&ev)) />
                    </label>
                </Show>
                <div class="quick">
                    {QUICK_SIZES.map(|percent| view! {
                        <button type="button" class="small" name=format!("size-{percent}") on:click=move |_| quick(percent)>
                            {format!("{percent}%")}
                        </button>
                    })}
                </div>
                <p class="available">
                    {move || available.get().map(|(asset, free)| {
                        let places = market.with(|m| m.as_ref().and_then(|m| asset_places(std::slice::from_ref(m), &asset)));
                        format!("Available: {} {asset}", amount(free, places))
                    }).unwrap_or_default()}
                </p>
                <p class="total">{move || total.get().map(|t| format!("Total: {t}")).unwrap_or_default()}</p>
                <label>"Time in force"
                    <select name="tif" prop:value=move || tif_value(tif.get()) on:change=move |ev| {
                        let chosen = serde_json::from_value(serde_json::Value::String(event_target_value(&ev)));
                        set_tif.set(chosen.unwrap_or_default())
                    }>
                        <option value="gtc" disabled=is_market>"GTC"</option>
                        <option value="ioc">"IOC"</option>
                        <option value="fok">"FOK"</option>
                    </select>
                </label>
                <label class="check"><input type="checkbox" name="post_only" disabled=is_market prop:checked=post_only on:change=move |ev| set_post_only.set(event_target_checked(&ev)) />"Post only"</label>
                <Show when=move || !live.get()>
                    <p class="error" role="alert">"Not connected to the market: sending is paused until the feed is live again."</p>
                </Show>
                // (Signed out, the button says what is missing instead of failing on a click.)
                <button type="submit" name="place" disabled=move || !live.get() || token.get().is_none() class=move || format!("primary {}", if side.get() == Side::Buy { "buy" } else { "sell" })>
                    {move || match token.get() {
                        None => "Log in to trade".to_string(),
                        Some(_) => format!("{} {}", if side.get() == Side::Buy { "Buy" } else { "Sell" }, market.get().map(|m| m.base).unwrap_or_default()),
                    }}
                </button>
                <Show when=move || pending.get().is_some()>
                    <div class="confirm" role="alertdialog" aria-label="Confirm the order">
                        {move || pending.get().map(|(_, reasons)| reasons.into_iter().map(|r| view! { <p>{r}</p> }).collect_view())}
                        <div class="buttons">
                            <button type="button" name="confirm" class="primary" on:click=confirm>"Place it"</button>
                            <button type="button" name="reconsider" on:click=move |_| set_pending.set(None)>"Cancel"</button>
                        </div>
                    </div>
                </Show>
                <Show when=move || outcome.get().is_some()>
                    {move || outcome.get().map(|(ok, text)| view! { <p class=if ok { "ok" } else { "error" }>{text}</p> })}
                </Show>
            </form>
        </section>
    }
}
