//! The open orders tab: the signed-in user's open orders (pending stops with their trigger among
//! them), each cancellable, a resting limit order changeable in place (saying first what the change
//! does to its place in the queue).

use common::{Dec, Order, OrderChange, OrderStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::cells::{filled, local_time, side_class, side_name, type_label, Prices};
use crate::api;
use crate::format::trimmed;
use crate::my_state::MyOrders as MyState;

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

#[component]
pub fn OpenOrders(
    token: ReadSignal<Option<String>>,
    set_mine: WriteSignal<MyState>,
    open: Memo<Vec<Order>>,
    prices: Prices,
) -> impl IntoView {
    let cancel = move |id: u64| {
        if let Some(t) = token.get_untracked() {
            spawn_local(async move {
                let _ = api::cancel(&t, id).await;
            });
        }
    };
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
        <Show when=move || !open.get().is_empty() fallback=move || view! {
            <p class="muted empty">{move || if token.get().is_some() { "No open orders." } else { "" }}</p>
        }>
            <div class="row head orders open">
                <span class="time">"Time"</span><span>"Market"</span><span>"Side"</span><span>"Type"</span>
                <span>"Price"</span><span>"Amount"</span><span>"Filled"</span><span class="actions"></span>
            </div>
        </Show>
        <For each=move || open.get() key=open_key children=move |o| {
            let kind = type_label(&o, |p| prices.show(&o.symbol, p));
            let id = o.id;
            // A resting limit order can change; a pending stop or a market order cannot.
            let changeable = o.status != OrderStatus::Pending && o.order_type.has_price();
            let order = o.clone();
            let editor_order = o.clone();
            view! {
                <div class=format!("row orders open {}", side_class(o.side)) data-order-id=id>
                    <span class="time">{local_time(&o.created_at)}</span><span>{o.symbol.to_string()}</span>
                    <span class="side">{side_name(o.side)}</span><span class="kind">{kind}</span>
                    <span class="price">{prices.of_order(&o)}</span><span>{trimmed(o.quantity)}</span>
                    <span class="filled">{filled(o.filled_quantity, o.quantity)}</span>
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
