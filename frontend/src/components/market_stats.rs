//! The market's header: its last price, coloured by its last move, and its 24 h change, high, low and
//! volume. The last price also goes in the tab's title.

use common::{Dec, Market, Ticker};
use leptos::prelude::*;

use crate::format::{grouped, Places};
use crate::market_feed::TapeTrade;

/// The last price and which way it last moved (`"up"`, `"down"` or `""`): the newest trade on the tape
/// (it comes with each trade), else the ticker's (at most once a second); up or down against the trade
/// before it, else the day's change.
pub fn use_last_price(
    ticker: ReadSignal<Option<Ticker>>,
    trades: ReadSignal<Vec<TapeTrade>>,
) -> Memo<Option<(Dec, &'static str)>> {
    Memo::new(move |_| {
        let last = trades
            .with(|t| t.first().map(|t| t.trade.price))
            .or_else(|| ticker.with(|t| t.as_ref().and_then(|t| t.last_price)))?;
        let by_tape = trades.with(|t| match (t.first(), t.get(1)) {
            (Some(a), Some(b)) if a.trade.price != b.trade.price => Some(a.trade.price > b.trade.price),
            _ => None,
        });
        let by_day = ticker.with(|t| t.as_ref().and_then(|t| t.price_change).map(|c| c.0 >= Dec::ZERO.0));
        Some((
            last,
            match by_tape.or(by_day) {
                Some(true) => "up",
                Some(false) => "down",
                None => "",
            },
        ))
    })
}

#[component]
pub fn MarketStats(
    market: Memo<Option<Market>>,
    ticker: ReadSignal<Option<Ticker>>,
    last: Memo<Option<(Dec, &'static str)>>,
    places: Memo<Places>,
) -> impl IntoView {
    Effect::new(move |_| {
        let title = match (last.get(), market.get()) {
            (Some((price, _)), Some(m)) => format!("{} {} · Exchange", grouped(price, places.get().price), m.symbol),
            _ => "Exchange".to_string(),
        };
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&title);
        }
    });
    let price_text = move |p: Option<Dec>| p.map(|p| grouped(p, places.get().price)).unwrap_or_else(|| "—".into());
    let change = move || {
        ticker.with(|t| match t.as_ref().and_then(|t| t.price_change.zip(t.price_change_percent)) {
            Some((change, percent)) => {
                let sign = if change.0 > Dec::ZERO.0 { "+" } else { "" };
                format!("{sign}{} {sign}{}%", grouped(change, places.get().price), grouped(percent, 2))
            }
            None => "—".into(),
        })
    };
    let change_class = move || {
        let up = ticker.with(|t| t.as_ref().and_then(|t| t.price_change).map(|c| c.0 >= Dec::ZERO.0));
        match up {
            Some(true) => "value up",
            Some(false) => "value down",
            None => "value",
        }
    };
    let field = move |pick: fn(&Ticker) -> Option<Dec>| move || ticker.with(|t| price_text(t.as_ref().and_then(pick)));
    let volume = move || {
        let base = market.with(|m| m.as_ref().map(|m| m.base.clone()).unwrap_or_default());
        ticker.with(|t| match t {
            Some(t) => format!("{} {base}", grouped(t.volume, places.get().quantity)),
            None => "—".into(),
        })
    };
    view! {
        <section class="stats" aria-label="24 hour market statistics">
            <span class=move || format!("last-price {}", last.get().map_or("", |l| l.1))>
                {move || price_text(last.get().map(|l| l.0))}
            </span>
            <span class="stat"><small>"24h change"</small><span class=change_class>{change}</span></span>
            <span class="stat"><small>"24h high"</small><span class="value">{field(|t| t.high)}</span></span>
            <span class="stat"><small>"24h low"</small><span class="value">{field(|t| t.low)}</span></span>
            <span class="stat"><small>"24h volume"</small><span class="value">{volume}</span></span>
        </section>
    }
}
