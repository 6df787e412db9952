//! Recent trades, newest first, coloured by the taker's side.

use common::Side;
use leptos::prelude::*;

use crate::components::order_book::faint_zeros;
use crate::format::{grouped, Places};
use crate::market_feed::TapeTrade;

#[component]
pub fn TradesTape(trades: ReadSignal<Vec<TapeTrade>>, places: Memo<Places>) -> impl IntoView {
    view! {
        // (It scrolls: focusable, so that a keyboard can scroll it too.)
        <section class="panel tape" tabindex="0" aria-label="Trades">
            <h2>"Trades"</h2>
            <div class="row head"><span class="price">"Price"</span><span class="qty">"Quantity"</span><span class="time">"Time"</span></div>
            <For
                each=move || trades.get()
                key=|t| t.trade.id
                children=move |TapeTrade { trade: t, live }| {
                    let places = places.get_untracked();
                    let side = match (t.taker_side == Side::Buy, live) {
                        (true, true) => "row bid flash",
                        (true, false) => "row bid",
                        (false, true) => "row ask flash",
                        (false, false) => "row ask",
                    };
                    let time = t.timestamp.get(11..19).unwrap_or("").to_string();
                    view! {
                        <div class=side>
                            <span class="price">{grouped(t.price, places.price)}</span>
                            <span class="qty">{faint_zeros(t.quantity, places.quantity)}</span>
                            <span class="time">{time}</span>
                        </div>
                    }
                }
            />
        </section>
    }
}
