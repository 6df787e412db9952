//! The signed-in user's open orders with cancel and cancel-all, and their recent history; reloaded on
//! every change the private feed reports.

use common::{Fill, Market, Order, OrderStatus, Side, Symbol};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::format::{grouped, trimmed};

#[component]
pub fn MyOrders(
    token: ReadSignal<Option<String>>,
    changes: ReadSignal<u64>,
    fills: ReadSignal<Vec<Fill>>,
    markets: ReadSignal<Vec<Market>>,
) -> impl IntoView {
    // A price with its market's decimal places, grouped.
    let price = move |symbol: &Symbol, p: common::Dec| {
        let places =
            markets.with_untracked(|ms| ms.iter().find(|m| &m.symbol == symbol).map(|m| m.tick_size.0.scale()));
        places.map_or_else(|| trimmed(p), |places| grouped(p, places))
    };
    let (open, set_open) = signal(Vec::<Order>::new());
    let (history, set_history) = signal(Vec::<Order>::new());
    Effect::new(move |_| {
        changes.track();
        let Some(t) = token.get() else {
            set_open.set(Vec::new());
            set_history.set(Vec::new());
            return;
        };
        spawn_local(async move {
            if let Ok(list) = api::my_orders(&t, "open").await {
                set_open.set(list);
            }
            if let Ok(list) = api::my_orders(&t, "closed").await {
                set_history.set(list);
            }
        });
    });
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
            o.symbol.to_string(),
            o.price.map(|p| price(&o.symbol, p)).unwrap_or_else(|| "market".into()),
            format!("{} / {}", trimmed(o.filled_quantity), trimmed(o.quantity)),
            o.status.as_str().replace('_', " "),
        )
    };
    let recent = move || history.get().into_iter().take(15).collect::<Vec<_>>();
    let history_key = |o: &Order| (o.id, o.status == OrderStatus::Filled);
    let open_key = |o: &Order| (o.id, o.filled_quantity);
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
            <For each=move || open.get() key=open_key children=move |o| {
                let (class, symbol, price, filled, _) = row(&o);
                let id = o.id;
                view! {
                    <div class=class data-order-id=id>
                        <span>{symbol}</span><span class="price">{price}</span><span>{filled}</span>
                        <span><button class="small" name="cancel" on:click=move |_| cancel(id)>"Cancel"</button></span>
                    </div>
                }
            } />
            <h2>"My fills"</h2>
            <For each=move || fills.get() key=|f| f.trade_id children=move |f| {
                let time = f.timestamp.get(11..19).unwrap_or("").to_string();
                let class = if f.side == Side::Buy { "row orders fill buy" } else { "row orders fill sell" };
                let fee = format!("{} {}", trimmed(f.fee), f.fee_asset);
                view! {
                    <div class=class data-trade-id=f.trade_id>
                        <span>{f.symbol.to_string()}</span><span class="price">{price(&f.symbol, f.price)}</span>
                        <span>{trimmed(f.quantity)}</span><span class="fee" title="fee">{fee}</span>
                        <span>{time}</span>
                    </div>
                }
            } />
            <h2>"History"</h2>
            <For each=recent key=history_key children=move |o| {
                let (class, symbol, price, filled, status) = row(&o);
                view! { <div class=class><span>{symbol}</span><span class="price">{price}</span><span>{filled}</span><span>{status}</span></div> }
            } />
        </section>
    }
}
