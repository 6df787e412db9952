//! The trading screen: markets from `/api/v1/markets`, then the selected market's live book and trades.

use common::{Market, Symbol};
use gloo_net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::{header::Header, order_book::OrderBook, trades_tape::TradesTape};
use crate::format::Places;
use crate::market_feed::use_market_feed;

#[component]
pub fn App() -> impl IntoView {
    let (markets, set_markets) = signal(Vec::<Market>::new());
    let (selected, set_selected) = signal(None::<Symbol>);
    spawn_local(async move {
        if let Ok(response) = Request::get("/api/v1/markets").send().await {
            if let Ok(list) = response.json::<Vec<Market>>().await {
                set_selected.set(list.first().map(|m| m.symbol.clone()));
                set_markets.set(list);
            }
        }
    });
    let feed = use_market_feed(selected);
    // Decimal places of the selected market's tick and lot, so that columns line up.
    let places = Memo::new(move |_| {
        let list = markets.get();
        let market = selected.get().and_then(|s| list.into_iter().find(|m| m.symbol == s));
        market.map(|m| Places { price: m.tick_size.0.scale(), quantity: m.lot_size.0.scale() }).unwrap_or_default()
    });
    view! {
        <Header markets selected set_selected connection=feed.connection />
        <main class="screen">
            <OrderBook book=feed.book places />
            <TradesTape trades=feed.trades places />
        </main>
    }
}
