//! The order book ladder: asks above, bids below, price, quantity and cumulative total with depth bars,
//! the last trade's price, the spread and the mid price between them.

use leptos::prelude::*;

use crate::book::{Book, Row};
use crate::format::{fixed, Places};

const DEPTH: usize = 12;

fn ladder(
    rows: Vec<Row>,
    max: f64,
    side: &'static str,
    places: Places,
    changed: &[common::Dec],
    set_price: WriteSignal<String>,
) -> impl IntoView {
    rows.into_iter()
        .map(|row| {
            let width = if max > 0.0 { row.cumulative.to_string().parse::<f64>().unwrap_or(0.0) / max * 100.0 } else { 0.0 };
            let price = fixed(row.price, places.price);
            let clicked = price.clone();
            // A level the last update changed flashes (the row is drawn anew, so the animation restarts).
            let flash = if changed.contains(&row.price) { " flash" } else { "" };
            view! {
                <div class=format!("row {side}{flash}") title="click to use this price" on:click=move |_| set_price.set(clicked.clone())>
                    <span class="bar" style=format!("width: {width:.1}%")></span>
                    <span class="price">{price}</span>
                    <span class="qty">{fixed(row.quantity, places.quantity)}</span>
                    <span class="total">{fixed(row.cumulative, places.quantity)}</span>
                </div>
            }
        })
        .collect_view()
}

#[component]
pub fn OrderBook(
    book: ReadSignal<Book>,
    last: Memo<Option<(common::Dec, &'static str)>>,
    places: Memo<Places>,
    set_price: WriteSignal<String>,
) -> impl IntoView {
    let view_book = move || {
        let b = book.get();
        let places = places.get();
        let (bids, mut asks) = (b.bid_rows(DEPTH), b.ask_rows(DEPTH));
        let max =
            |rows: &[Row]| rows.last().map(|r| r.cumulative.to_string().parse::<f64>().unwrap_or(0.0)).unwrap_or(0.0);
        let scale = max(&bids).max(max(&asks));
        asks.reverse();
        let spread = match b.spread_and_mid() {
            Some((spread, mid)) => format!("spread {} · mid {}", fixed(spread, places.price), mid),
            None => "no spread: one side is empty".to_string(),
        };
        view! {
            <div class="ladder asks">{ladder(asks, scale, "ask", places, &b.changed, set_price)}</div>
            <div class="spread">
                <span class=move || format!("last {}", last.get().map_or("", |l| l.1))>
                    {move || last.get().map(|l| fixed(l.0, places.price)).unwrap_or_default()}
                </span>
                {spread}
                <span class="seq">{format!("seq {}", b.sequence)}</span>
            </div>
            <div class="ladder bids">{ladder(bids, scale, "bid", places, &b.changed, set_price)}</div>
        }
    };
    view! {
        <section class="panel book">
            <h2>"Order book"</h2>
            <div class="row head"><span class="price">"Price"</span><span class="qty">"Quantity"</span><span class="total">"Total"</span></div>
            {view_book}
        </section>
    }
}
