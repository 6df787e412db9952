//! The order book ladder: asks above, bids below, price, quantity and cumulative total with depth bars,
//! the last trade's price, the spread and the mid price between them; levels grouped by 1, 10 or 100
//! ticks on request.

use leptos::prelude::*;

use crate::book::{Book, Row};
use crate::format::{fixed, grouped, split_zeros, Places};

const DEPTH: usize = 12;
/// The groupings offered, in ticks.
const GROUPINGS: [u32; 3] = [1, 10, 100];

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
            let width =
                if max > 0.0 { row.cumulative.to_string().parse::<f64>().unwrap_or(0.0) / max * 100.0 } else { 0.0 };
            let price = grouped(row.price, places.price);
            // (The form takes the price as typed: without separators.)
            let clicked = fixed(row.price, places.price);
            // A level the last update changed flashes (the row is drawn anew, so the animation restarts).
            let flash = if changed.contains(&row.price) { " flash" } else { "" };
            let keyed = clicked.clone();
            // Reachable by keyboard too: Tab to a level, Enter or Space takes its price.
            let on_key = move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Enter" || ev.key() == " " {
                    ev.prevent_default();
                    set_price.set(keyed.clone());
                }
            };
            view! {
                <div class=format!("row {side}{flash}") title="click to use this price" tabindex="0"
                    on:click=move |_| set_price.set(clicked.clone()) on:keydown=on_key>
                    <span class="bar" style=format!("width: {width:.1}%")></span>
                    <span class="price">{price}</span>
                    <span class="qty">{faint_zeros(row.quantity, places.quantity)}</span>
                    <span class="total">{faint_zeros(row.cumulative, places.quantity)}</span>
                </div>
            }
        })
        .collect_view()
}

/// A quantity in a column: its trailing zeros faint.
pub fn faint_zeros(value: common::Dec, places: u32) -> impl IntoView {
    let (kept, zeros) = split_zeros(value, places);
    view! { {kept}<span class="zeros">{zeros}</span> }
}

#[component]
pub fn OrderBook(
    book: ReadSignal<Book>,
    last: Memo<Option<(common::Dec, &'static str)>>,
    tick: Memo<Option<common::Dec>>,
    places: Memo<Places>,
    set_price: WriteSignal<String>,
    /// Whether the market's feed is live: a book that may be out of date is shown greyed.
    live: Memo<bool>,
) -> impl IntoView {
    // Ticks per row; back to one on another market.
    let (group, set_group) = signal(1u32);
    Effect::new(move |_| {
        tick.track();
        set_group.set(1);
    });
    // The first book with levels shown, marked for the browser's performance timeline ("book-shown"):
    // how long a trader waits for the screen to be of use, read by the load test.
    let marked = StoredValue::new(false);
    Effect::new(move |_| {
        if !marked.get_value() && book.with(|b| b.best_bid().is_some() || b.best_ask().is_some()) {
            marked.set_value(true);
            if let Some(performance) = window().performance() {
                let _ = performance.mark("book-shown");
            }
        }
    });
    let view_book = move || {
        let b = book.get();
        let places = places.get();
        let step = tick
            .get()
            .filter(|_| group.get() > 1)
            .map(|t| common::Dec::from(t.0 * rust_decimal::Decimal::from(group.get())));
        let (bids, mut asks) = match step {
            Some(step) => (b.grouped_bid_rows(DEPTH, step), b.grouped_ask_rows(DEPTH, step)),
            None => (b.bid_rows(DEPTH), b.ask_rows(DEPTH)),
        };
        let max =
            |rows: &[Row]| rows.last().map(|r| r.cumulative.to_string().parse::<f64>().unwrap_or(0.0)).unwrap_or(0.0);
        let scale = max(&bids).max(max(&asks));
        asks.reverse();
        let spread = match b.spread_and_mid() {
            Some((spread, mid)) => {
                format!("spread {} · mid {}", grouped(spread, places.price), grouped(mid, places.price + 1))
            }
            None => "no spread: one side is empty".to_string(),
        };
        view! {
            <div class="ladder asks">{ladder(asks, scale, "ask", places, &b.changed, set_price)}</div>
            // (The book's sequence is for those who look for it: a tooltip, and an attribute for tests.)
            <div class="spread" title=format!("book sequence {}", b.sequence) data-sequence=b.sequence>
                <span class=move || format!("last {}", last.get().map_or("", |l| l.1))>
                    {move || last.get().map(|l| grouped(l.0, places.price)).unwrap_or_default()}
                </span>
                {spread}
            </div>
            <div class="ladder bids">{ladder(bids, scale, "bid", places, &b.changed, set_price)}</div>
        }
    };
    view! {
        <section class="panel book" class:stale=move || !live.get() aria-busy=move || (!live.get()).to_string()>
            <div class="panel-head">
                <h2>"Order book"</h2>
                <label class="grouping">"Group"
                <select name="grouping" title="group price levels"
                    on:change=move |ev| set_group.set(event_target_value(&ev).parse().unwrap_or(1))
                    prop:value=move || group.get().to_string()>
                    {move || {
                        let places = places.get();
                        GROUPINGS
                            .iter()
                            .map(|&g| {
                                let label = tick.get().map(|t| fixed(common::Dec::from(t.0 * rust_decimal::Decimal::from(g)), places.price)).unwrap_or_default();
                                view! { <option value=g.to_string()>{label}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                </label>
            </div>
            <div class="row head"><span class="price">"Price"</span><span class="qty">"Quantity"</span><span class="total">"Total"</span></div>
            {view_book}
        </section>
    }
}
