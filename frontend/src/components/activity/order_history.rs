//! The order history tab: the signed-in user's closed orders, the last closed first, with their
//! average price and how much of each filled; older pages read on request.

use common::Order;
use leptos::prelude::*;

use super::cells::{filled, local_time, side_class, side_name, type_label, Prices};
use super::Older;
use crate::api;
use crate::my_state::{MyOrders as MyState, PAGE};

#[component]
pub fn OrderHistory(
    token: ReadSignal<Option<String>>,
    mine: ReadSignal<MyState>,
    set_mine: WriteSignal<MyState>,
    history: Memo<Vec<Order>>,
    prices: Prices,
) -> impl IntoView {
    let key = |o: &Order| (o.id, o.status, o.filled_quantity);
    let fetch = move |t: String| async move {
        api::my_orders(&t, "closed", PAGE, mine.with_untracked(MyState::oldest_closed)).await
    };
    view! {
        <Show when=move || !history.get().is_empty() fallback=move || view! {
            <p class="muted empty">{move || if token.get().is_some() { "No closed orders." } else { "" }}</p>
        }>
            <div class="row head orders history">
                <span>"Time"</span><span>"Market"</span><span>"Side"</span><span>"Type"</span><span>"Price"</span>
                <span>"Avg. price"</span><span>"Amount"</span><span>"Filled"</span><span>"Status"</span>
            </div>
        </Show>
        <For each=move || history.get() key=key children=move |o| {
            let kind = type_label(&o, |p| prices.show(&o.symbol, p));
            let average = o.average_price.map_or_else(|| "–".into(), |p| prices.show(&o.symbol, p));
            view! {
                <div class=format!("row orders history {}", side_class(o.side)) data-order-id=o.id>
                    <span class="time">{local_time(&o.updated_at)}</span><span>{o.symbol.to_string()}</span>
                    <span class="side">{side_name(o.side)}</span><span class="kind">{kind}</span>
                    <span class="price">{prices.of_order(&o)}</span><span class="average">{average}</span>
                    <span>{crate::format::trimmed(o.quantity)}</span>
                    <span class="filled">{filled(o.filled_quantity, o.quantity)}</span>
                    <span class="status">{o.status.as_str().replace('_', " ")}</span>
                </div>
            }
        } />
        <Older name="older_orders" token shown=Signal::derive(move || history.with(|h| h.len() >= PAGE)) fetch keep=move |page| set_mine.update(|m| m.merge_older(page)) />
    }
}
