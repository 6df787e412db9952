//! The signed-in user's open orders with cancel and cancel-all, and their recent history: read on
//! sign-in and when the private feed (re)connects, kept up to date from its `order_update`s.

use common::{Fill, Market, Order, OrderStatus, Side, Symbol};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::format::{grouped, trimmed};
use crate::my_state::MyOrders as MyState;
use crate::updates::Updates;

#[component]
pub fn MyOrders(
    token: ReadSignal<Option<String>>,
    resyncs: ReadSignal<u64>,
    orders: Updates<Order>,
    fills: ReadSignal<Vec<Fill>>,
    markets: ReadSignal<Vec<Market>>,
) -> impl IntoView {
    // A price with its market's decimal places, grouped.
    let price = move |symbol: &Symbol, p: common::Dec| {
        let places =
            markets.with_untracked(|ms| ms.iter().find(|m| &m.symbol == symbol).map(|m| m.tick_size.0.scale()));
        places.map_or_else(|| trimmed(p), |places| grouped(p, places))
    };
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
            <Show when=move || !open.get().is_empty()>
                <div class="row head orders"><span>"Market"</span><span>"Price"</span><span>"Filled / quantity"</span><span></span></div>
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
