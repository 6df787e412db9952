//! The app's root component. The full trading screen (book, depth chart, trades, order entry, my orders)
//! arrives with the browser UI issue; for now it lists the markets it will trade.

use common::{Side, Symbol};
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let markets = ["BTC/USD", "ETH/USD"].map(|s| Symbol::parse(s).expect("a symbol literal"));
    let (side, set_side) = signal(Side::Buy);
    view! {
        <main class="app">
            <h1>"Exchange"</h1>
            <p>"A limit order book matched atomically in Redis."</p>
            <ul class="markets">
                {markets.into_iter().map(|m| view! { <li>{m.to_string()}</li> }).collect_view()}
            </ul>
            <button on:click=move |_| set_side.update(|s| *s = s.opposite())>
                {move || format!("side: {:?}", side.get())}
            </button>
        </main>
    }
}
