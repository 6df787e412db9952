//! The signed-in user's open orders (pending stops with their trigger among them) with a change of
//! price or quantity in place, cancel and cancel-all, their fills and recent history: read on sign-in
//! and when the private feed (re)connects, kept up to date from its `order_update`s.

use common::{Dec, Fill, Market, Order, OrderChange, OrderStatus, OrderType, Side, Symbol};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::format::{grouped, trimmed};
use crate::my_state::MyOrders as MyState;
use crate::updates::Updates;

/// The signed-in user's orders as the screen holds them (for this panel and the chart's markers).
pub fn use_my_orders(
    token: ReadSignal<Option<String>>,
    resyncs: ReadSignal<u64>,
    orders: Updates<Order>,
) -> (ReadSignal<MyState>, WriteSignal<MyState>) {
    let (mine, set_mine) = signal(MyState::default());
    // Everything again on sign-in and each (re)connection of the feed; merged, so that a change the
    // feed told meanwhile is not undone by an answer that left before it.
    Effect::new(move |_| {
        resyncs.track();
        let Some(t) = token.get() else {
            set_mine.set(MyState::default());
            return;
        };
        spawn_local(async move {
            for status in ["open", "closed"] {
                if let Ok(list) = api::my_orders(&t, status).await {
                    // (Not if the user signed out, or another signed in, meanwhile.)
                    if token.get_untracked().as_deref() == Some(t.as_str()) {
                        set_mine.update(|m| list.into_iter().for_each(|o| m.merge(o)));
                    }
                }
            }
        });
    });
    let seen = StoredValue::new(0);
    Effect::new(move |_| orders.each_new(seen, |o| set_mine.update(|m| m.merge(o))));
    (mine, set_mine)
}

/// What a change of an open order does to its place in the queue (the contract's rule: only a lower
/// quantity at the same price keeps it).
pub fn change_consequence(o: &Order, price: Option<Dec>, quantity: Option<Dec>) -> String {
    let (new_price, new_quantity) = (price.unwrap_or(o.price.unwrap_or_default()), quantity.unwrap_or(o.quantity));
    if Some(new_price) == o.price && new_quantity == o.quantity {
        "Nothing to change.".into()
    } else if Some(new_price) == o.price && new_quantity < o.quantity {
        "A lower quantity: it keeps its place in the queue.".into()
    } else {
        format!(
            "It goes to the back of the queue at {} (and trades at once if that crosses the book).",
            trimmed(new_price)
        )
    }
}

/// An order's type as the list shows it; a pending stop's with its trigger.
fn type_label(o: &Order, price: impl Fn(Dec) -> String) -> String {
    let name = match o.order_type {
        OrderType::Limit => "Limit",
        OrderType::Market => "Market",
        OrderType::StopLimit => "Stop limit",
        OrderType::StopMarket => "Stop market",
    };
    match (o.status, o.stop_price) {
        (OrderStatus::Pending, Some(stop)) => {
            format!("{name}, when {} {}", if o.side == Side::Buy { "≥" } else { "≤" }, price(stop))
        }
        _ => name.to_string(),
    }
}

#[component]
pub fn MyOrders(
    token: ReadSignal<Option<String>>,
    mine: ReadSignal<MyState>,
    set_mine: WriteSignal<MyState>,
    fills: ReadSignal<Vec<Fill>>,
    markets: ReadSignal<Vec<Market>>,
) -> impl IntoView {
    // A price with its market's decimal places, grouped.
    let price = move |symbol: &Symbol, p: common::Dec| {
        let places =
            markets.with_untracked(|ms| ms.iter().find(|m| &m.symbol == symbol).map(|m| m.tick_size.0.scale()));
        places.map_or_else(|| trimmed(p), |places| grouped(p, places))
    };
    let open = Memo::new(move |_| mine.with(MyState::open));
    let history = Memo::new(move |_| mine.with(MyState::history));
    let cancel = move |id: u64| {
        if let Some(t) = token.get_untracked() {
            spawn_local(async move {
                let _ = api::cancel(&t, id).await;
            });
        }
    };
    let cancel_all = move |_| {
        if let Some(t) = token.get_untracked() {
            spawn_local(async move {
                let _ = api::cancel_all(&t).await;
            });
        }
    };
    let row = move |o: &Order| {
        let side = if o.side == common::Side::Buy { "bid" } else { "ask" };
        (
            format!("row orders {side}"),
            // The side as text, not by colour alone.
            format!("{} {}", o.symbol, side_name(o.side)),
            o.price.map(|p| price(&o.symbol, p)).unwrap_or_else(|| "market".into()),
            format!("{} / {}", trimmed(o.filled_quantity), trimmed(o.quantity)),
            o.status.as_str().replace('_', " "),
        )
    };
    let recent = move || history.get().into_iter().take(15).collect::<Vec<_>>();
    let history_key = |o: &Order| (o.id, o.status == OrderStatus::Filled);
    let open_key = |o: &Order| (o.id, o.filled_quantity, o.quantity, o.price, o.status);
    // The order being changed in place (one at a time), the new price and quantity typed, and what the
    // exchange said when it refused.
    let editing = RwSignal::new(None::<u64>);
    let (new_price, new_quantity, refused) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(None::<String>));
    let edit = move |o: &Order| {
        // (As plain numbers, to be edited.)
        new_price.set(o.price.map(|p| p.0.normalize().to_string()).unwrap_or_default());
        new_quantity.set(o.quantity.0.normalize().to_string());
        refused.set(None);
        editing.set(Some(o.id));
    };
    // What was typed, as a change: only the fields that differ from the order's.
    let typed_change = move |o: &Order| -> Result<OrderChange, String> {
        // (Thousands separators typed are let through.)
        let read = |text: String, name: &str| {
            Dec::parse(&text.trim().replace(',', "")).map_err(|_| format!("{name}: enter a number"))
        };
        let p = read(new_price.get(), "price")?;
        let q = read(new_quantity.get(), "quantity")?;
        Ok(OrderChange { price: (Some(p) != o.price).then_some(p), quantity: (q != o.quantity).then_some(q) })
    };
    let save = move |o: Order| {
        let Some(t) = token.get_untracked() else { return };
        let change = match typed_change(&o) {
            Ok(c) if c.price.is_none() && c.quantity.is_none() => {
                editing.set(None);
                return;
            }
            Ok(c) => c,
            Err(why) => {
                refused.set(Some(why));
                return;
            }
        };
        spawn_local(async move {
            match api::amend(&t, o.id, &change).await {
                Ok(changed) => {
                    set_mine.update(|m| m.merge(changed));
                    editing.set(None);
                }
                Err(e) => refused.set(Some(e.detail)),
            }
        });
    };
    view! {
        <section class="panel mine">
            <h2>"My open orders"
                <Show when=move || token.get().is_some()>
                    <button class="small" name="cancel_all" on:click=cancel_all>"Cancel all"</button>
                </Show>
            </h2>
            <Show when=move || token.get().is_none()>
                <p class="muted">"Log in to see your orders, fills and history."</p>
            </Show>
            <Show when=move || !open.get().is_empty()>
                <div class="row head orders open"><span>"Market"</span><span>"Type"</span><span>"Price"</span><span>"Filled / quantity"</span><span></span></div>
            </Show>
            <For each=move || open.get() key=open_key children=move |o| {
                let (class, symbol, shown_price, filled, _) = row(&o);
                let kind = type_label(&o, |p| price(&o.symbol, p));
                let id = o.id;
                // A resting limit order can change; a pending stop or a market order cannot.
                let changeable = o.status != OrderStatus::Pending && o.order_type.has_price();
                let order = o.clone();
                let editor_order = o.clone();
                view! {
                    <div class=format!("{class} open") data-order-id=id>
                        <span>{symbol}</span><span class="kind">{kind}</span><span class="price">{shown_price}</span><span>{filled}</span>
                        <span class="actions">
                            <button class="small" name="cancel" on:click=move |_| cancel(id)>"Cancel"</button>
                            <Show when=move || changeable && editing.get() != Some(id)>
                                <button class="small" name="edit" on:click={
                                    let order = order.clone();
                                    move |_| edit(&order)
                                }>"Edit"</button>
                            </Show>
                        </span>
                    </div>
                    <Show when=move || editing.get() == Some(id)>
                        {
                            let o = editor_order.clone();
                            let for_note = o.clone();
                            let note = move || match typed_change(&for_note) {
                                Ok(c) => change_consequence(&for_note, c.price, c.quantity),
                                Err(why) => why,
                            };
                            view! {
                                <form class="edit" data-order-id=id on:submit=move |ev: leptos::ev::SubmitEvent| {
                                    ev.prevent_default();
                                    save(o.clone());
                                }>
                                    <label>"Price"<input name="edit_price" inputmode="decimal" prop:value=new_price on:input=move |ev| new_price.set(event_target_value(&ev)) /></label>
                                    <label>"Quantity"<input name="edit_quantity" inputmode="decimal" prop:value=new_quantity on:input=move |ev| new_quantity.set(event_target_value(&ev)) /></label>
                                    <p class="muted note" aria-live="polite">{note}</p>
                                    {move || refused.get().map(|why| view! { <p class="error" role="alert">{why}</p> })}
                                    <div class="buttons">
                                        <button type="submit" name="save_edit" class="primary">"Save"</button>
                                        <button type="button" name="cancel_edit" on:click=move |_| editing.set(None)>"Keep"</button>
                                    </div>
                                </form>
                            }
                        }
                    </Show>
                }
            } />
            <h2>"My fills"</h2>
            <Show when=move || !fills.get().is_empty()>
                <div class="row head orders fill"><span>"Market"</span><span>"Price"</span><span>"Quantity"</span><span>"Fee"</span><span>"Time"</span></div>
            </Show>
            <For each=move || fills.get() key=|f| f.trade_id children=move |f| {
                let time = f.timestamp.get(11..19).unwrap_or("").to_string();
                let class = if f.side == Side::Buy { "row orders fill buy" } else { "row orders fill sell" };
                let fee = format!("{} {}", trimmed(f.fee), f.fee_asset);
                view! {
                    <div class=class data-trade-id=f.trade_id>
                        <span>{format!("{} {}", f.symbol, side_name(f.side))}</span><span class="price">{price(&f.symbol, f.price)}</span>
                        <span>{trimmed(f.quantity)}</span><span class="fee" title="fee">{fee}</span>
                        <span>{time}</span>
                    </div>
                }
            } />
            <h2>"History"</h2>
            <Show when=move || !history.get().is_empty()>
                <div class="row head orders"><span>"Market"</span><span>"Price"</span><span>"Filled / quantity"</span><span>"Status"</span></div>
            </Show>
            <For each=recent key=history_key children=move |o| {
                let (class, symbol, price, filled, status) = row(&o);
                view! { <div class=class><span>{symbol}</span><span class="price">{price}</span><span>{filled}</span><span>{status}</span></div> }
            } />
        </section>
    }
}

fn side_name(side: Side) -> &'static str {
    if side == Side::Buy {
        "Buy"
    } else {
        "Sell"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(price: &str, quantity: &str) -> Order {
        // (From text: a decimal is never read from a binary float.)
        serde_json::from_str(&format!(
            r#"{{"id": 7, "client_order_id": null, "symbol": "BTC/USD", "side": "buy", "order_type": "limit",
                "time_in_force": "gtc", "post_only": false, "price": {price}, "quantity": {quantity},
                "filled_quantity": 0, "remaining_quantity": {quantity}, "average_price": null, "status": "open",
                "created_at": "", "updated_at": ""}}"#
        ))
        .unwrap()
    }

    #[test]
    fn only_a_lower_quantity_at_the_same_price_keeps_the_place_in_the_queue() {
        let o = order("100", "2");
        let dec = |t: &str| Some(Dec::parse(t).unwrap());
        assert!(change_consequence(&o, None, dec("1")).contains("keeps its place"));
        assert!(change_consequence(&o, None, dec("3")).contains("back of the queue at 100"));
        assert!(change_consequence(&o, dec("101"), dec("1")).contains("back of the queue at 101"));
        assert!(change_consequence(&o, dec("100"), dec("2")).contains("Nothing"));
    }
}
