//! The signed-in user's activity under the chart, in tabs as exchanges lay it out: open orders (changed
//! in place, cancelled), order history, trade history (fills with their fees) and funds (balances and
//! the ledger). Every table has headers, the side in words, times in the browser's zone, a filter to
//! the market on screen, and older pages read on request. The orders are read on sign-in and when the
//! private feed (re)connects, then kept up to date from its `order_update`s (`use_my_orders`).

mod cells;
mod funds;
mod open_orders;
mod order_history;
mod trade_history;

use std::future::Future;

use common::{Balance, Fill, Market, Order, Symbol};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::still_signed_in;
use crate::api;
use crate::my_state::{MyOrders as MyState, PAGE};
use crate::updates::Updates;
use cells::Prices;
use funds::Funds;
use open_orders::OpenOrders;
use order_history::OrderHistory;
use trade_history::TradeHistory;

/// The most orders one list read may return (the API's limit): the open orders are read whole.
const OPEN_MAX: usize = 1000;

/// The signed-in user's orders as the screen holds them (for the tabs and the chart's markers).
pub fn use_my_orders(
    token: ReadSignal<Option<String>>,
    resyncs: ReadSignal<u64>,
    orders: Updates<Order>,
) -> (ReadSignal<MyState>, WriteSignal<MyState>) {
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
            let owner = t.clone();
            let still = move || still_signed_in(token, &owner);
            // Every open order (as many as a page may hold), then the latest closed.
            if let Ok(open) = api::my_orders(&t, "open", OPEN_MAX, None).await {
                // An order held as open that the list no longer holds closed while the feed was away:
                // its news was not replayed, so it is asked for (it may have closed after the latest
                // closed page's orders, or be no longer kept).
                let gone = mine.with_untracked(|m| m.gone_from_open(&open));
                let complete = open.len() < OPEN_MAX;
                if still() {
                    set_mine.update(|m| open.into_iter().for_each(|o| m.merge(o)));
                }
                for id in gone.into_iter().filter(|_| complete) {
                    let answer = api::order(&t, id).await;
                    if still() {
                        match answer {
                            Ok(o) => set_mine.update(|m| m.merge(o)),
                            Err(e) if e.status == 404 => set_mine.update(|m| m.forget(id)),
                            Err(_) => {}
                        }
                    }
                }
            }
            if let Ok(closed) = api::my_orders(&t, "closed", PAGE, None).await {
                if still() {
                    set_mine.update(|m| closed.into_iter().for_each(|o| m.merge(o)));
                }
            }
        });
    });
    let seen = StoredValue::new(0);
    Effect::new(move |_| orders.each_new(seen, |o| set_mine.update(|m| m.merge(o))));
    (mine, set_mine)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Open,
    History,
    Trades,
    Funds,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Open, Tab::History, Tab::Trades, Tab::Funds];

    fn name(self) -> &'static str {
        match self {
            Tab::Open => "open",
            Tab::History => "history",
            Tab::Trades => "trades",
            Tab::Funds => "funds",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Open => "Open orders",
            Tab::History => "Order history",
            Tab::Trades => "Trade history",
            Tab::Funds => "Funds",
        }
    }
}

#[component]
pub fn Activity(
    token: ReadSignal<Option<String>>,
    mine: ReadSignal<MyState>,
    set_mine: WriteSignal<MyState>,
    fills: RwSignal<Vec<Fill>>,
    balances: ReadSignal<Vec<Balance>>,
    markets: ReadSignal<Vec<Market>>,
    selected: ReadSignal<Option<Symbol>>,
) -> impl IntoView {
    let tab = RwSignal::new(Tab::Open);
    // Only the market on screen, when asked.
    let this_market_only = RwSignal::new(false);
    let kept = move |symbol: &Symbol| !this_market_only.get() || selected.with(|s| s.as_ref() == Some(symbol));
    let open = Memo::new(move |_| mine.with(MyState::open).into_iter().filter(|o| kept(&o.symbol)).collect());
    let history = Memo::new(move |_| mine.with(MyState::history).into_iter().filter(|o| kept(&o.symbol)).collect());
    let shown_fills = Memo::new(move |_| fills.get().into_iter().filter(|f| kept(&f.symbol)).collect());
    let prices = Prices { markets };
    let cancel_all = move |_| {
        if let Some(t) = token.get_untracked() {
            spawn_local(async move {
                let _ = api::cancel_all(&t).await;
            });
        }
    };
    let label = move |t: Tab| match t {
        Tab::Open => format!("{} ({})", t.label(), open.with(Vec::len)),
        _ => t.label().to_string(),
    };
    let panel = move |t: Tab| {
        let hidden = move || tab.get() != t;
        let content = match t {
            Tab::Open => view! { <OpenOrders token set_mine open prices /> }.into_any(),
            Tab::History => view! { <OrderHistory token mine set_mine history prices /> }.into_any(),
            Tab::Trades => view! { <TradeHistory token fills shown=shown_fills prices /> }.into_any(),
            Tab::Funds => {
                view! { <Funds token balances open=Signal::derive(move || tab.get() == Tab::Funds) /> }.into_any()
            }
        };
        view! {
            <div class=format!("tab-panel {}", t.name()) role="tabpanel" id=format!("panel-{}", t.name())
                aria-labelledby=format!("tab-{}", t.name()) hidden=hidden>
                // (It scrolls: focusable, so that a keyboard can scroll it too.)
                <div class="table" tabindex="0">{content}</div>
            </div>
        }
    };
    view! {
        <section class="panel mine" aria-label="My activity">
            <div class="tabs">
                <div role="tablist" aria-label="My activity">
                    {Tab::ALL.map(|t| view! {
                        <button role="tab" class="tab" name=format!("tab-{}", t.name()) id=format!("tab-{}", t.name())
                            aria-controls=format!("panel-{}", t.name()) aria-selected=move || (tab.get() == t).to_string()
                            class:active=move || tab.get() == t on:click=move |_| tab.set(t)>{move || label(t)}</button>
                    })}
                </div>
                <label class="check filter">
                    <input type="checkbox" name="this_market_only" prop:checked=this_market_only
                        on:change=move |ev| this_market_only.set(event_target_checked(&ev)) />
                    "This market only"
                </label>
                <Show when=move || token.get().is_some() && tab.get() == Tab::Open && !open.with(Vec::is_empty)>
                    <button class="small" name="cancel_all" on:click=cancel_all>"Cancel all"</button>
                </Show>
            </div>
            <Show when=move || token.get().is_none()>
                <p class="muted">"Log in to see your orders, trades and funds."</p>
            </Show>
            {Tab::ALL.map(panel)}
        </section>
    }
}

/// "Older": reads the next older page of a list for the signed-in user (`fetch`, given the token,
/// reads it from where the list held ends) and hands it to `keep`, unless the user signed out or another
/// signed in meanwhile; gone once a page comes back short of `PAGE`, until the user signs in again.
#[component]
fn Older<T, F, Fut, K>(
    name: &'static str,
    token: ReadSignal<Option<String>>,
    shown: Signal<bool>,
    fetch: F,
    keep: K,
) -> impl IntoView
where
    T: 'static,
    F: Fn(String) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<T>, api::ApiError>> + 'static,
    K: Fn(Vec<T>) + Copy + Send + Sync + 'static,
{
    let (busy, set_busy) = signal(false);
    let (exhausted, set_exhausted) = signal(false);
    Effect::new(move |_| {
        token.track();
        set_exhausted.set(false);
    });
    let click = move |_| {
        let Some(t) = token.get_untracked() else { return };
        set_busy.set(true);
        spawn_local(async move {
            if let Ok(page) = fetch(t.clone()).await {
                if page.len() < PAGE {
                    set_exhausted.set(true);
                }
                if still_signed_in(token, &t) {
                    keep(page);
                }
            }
            set_busy.set(false);
        });
    };
    view! {
        <Show when=move || shown.get() && !exhausted.get()>
            <button class="older" name=name disabled=busy on:click=click>
                {move || if busy.get() { "Reading…" } else { "Older" }}
            </button>
        </Show>
    }
}
