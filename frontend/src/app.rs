//! The trading screen: markets from `/api/v1/markets`, then the selected market's live book and trades.

use common::{Market, Side, Symbol};
use gloo_net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::{
    account::Account,
    activity::{use_my_orders, Activity},
    balances::{use_balances, Balances},
    depth_chart::DepthChart,
    header::Header,
    market_stats::{use_last_price, MarketStats},
    order_book::OrderBook,
    order_form::OrderForm,
    phone::{PhoneBar, PhoneTabs, PhoneView},
    price_chart::PriceChart,
    shortcuts::Shortcuts,
    toasts::{Toaster, Toasts},
    trades_tape::TradesTape,
};
use crate::connection::Connection;
use crate::format::Places;
use crate::market_feed::use_market_feed;
use crate::route::follow_address;
use crate::user_feed::use_user_feed;

#[component]
pub fn App() -> impl IntoView {
    let (markets, set_markets) = signal(Vec::<Market>::new());
    let (selected, set_selected) = signal(None::<Symbol>);
    spawn_local(async move {
        if let Ok(response) = Request::get("/api/v1/markets").send().await {
            if let Ok(list) = response.json::<Vec<Market>>().await {
                set_markets.set(list);
            }
        }
    });
    follow_address(markets, selected, set_selected);
    let feed = use_market_feed(selected);
    let last = use_last_price(feed.ticker, feed.trades);
    // Decimal places of the selected market's tick and lot, so that columns line up.
    let market = Memo::new(move |_| {
        let list = markets.get();
        selected.get().and_then(|s| list.into_iter().find(|m| m.symbol == s))
    });
    let tick = Memo::new(move |_| market.get().map(|m| m.tick_size));
    let places = Memo::new(move |_| {
        market
            .get()
            .map(|m| Places { price: m.tick_size.0.scale(), quantity: m.lot_size.0.scale() })
            .unwrap_or_default()
    });
    let (token, set_token) = signal(None::<String>);
    let toaster = Toaster::new();
    let user_feed = use_user_feed(token, toaster);
    let (price, set_price) = signal(String::new());
    let (balances, set_reloads) = use_balances(token, user_feed.resyncs, user_feed.balances);
    let (mine, set_mine) = use_my_orders(token, user_feed.resyncs, user_feed.orders);
    // The book is current: live, or refreshing after a gap on a connection that is up.
    let live = Memo::new(move |_| matches!(feed.connection.get(), Connection::Live | Connection::Resyncing));
    // What the order form compares a limit price with: the mid, or the last price.
    let reference = Memo::new(move |_| {
        feed.book.with(|b| b.spread_and_mid().map(|(_, mid)| mid)).or_else(|| last.get().map(|(price, _)| price))
    });
    // The order form's side (the phone's bar sets it too), and what a phone shows.
    let side = RwSignal::new(Side::Buy);
    let phone_view = RwSignal::new(PhoneView::Chart);
    view! {
        <Header markets selected set_selected connection=feed.connection private=user_feed.connection />
        <MarketStats market ticker=feed.ticker last places />
        <PhoneTabs view=phone_view />
        <main class="screen" data-view=move || phone_view.get().name()>
            <PriceChart market interval=feed.candle_interval live=feed.candle places mine />
            <div class="side book-side">
                <OrderBook book=feed.book last tick places set_price live />
                <DepthChart book=feed.book places />
            </div>
            <TradesTape trades=feed.trades places />
            <div class="side trade-side">
                <Account token set_token />
                <Balances token markets balances set_reloads />
                <OrderForm market token price set_price balances reference live toaster side />
            </div>
            <Activity token mine set_mine fills=user_feed.fills balances markets selected />
        </main>
        <PhoneBar view=phone_view side />
        <Toasts toaster />
        <Shortcuts />
    }
}
