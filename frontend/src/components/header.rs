//! The top bar: the exchange's name, the market selector and the connection indicator.

use common::{Market, Symbol};
use leptos::prelude::*;

use crate::market_feed::Connection;

#[component]
pub fn Header(
    markets: ReadSignal<Vec<Market>>,
    selected: ReadSignal<Option<Symbol>>,
    set_selected: WriteSignal<Option<Symbol>>,
    connection: ReadSignal<Connection>,
) -> impl IntoView {
    let (label, class) = (
        move || match connection.get() {
            Connection::Live => "live",
            Connection::Connecting => "connecting",
            Connection::Resyncing => "resyncing",
            Connection::Down => "reconnecting",
        },
        move || format!("dot {}", if connection.get() == Connection::Live { "up" } else { "down" }),
    );
    view! {
        <header class="bar">
            <span class="brand">"Exchange"</span>
            <nav class="markets">
                <For
                    each=move || markets.get()
                    key=|m| m.symbol.clone()
                    children=move |m| {
                        let symbol = m.symbol.clone();
                        let active = {
                            let symbol = symbol.clone();
                            move || selected.get().as_ref() == Some(&symbol)
                        };
                        view! {
                            <button class:active=active data-symbol=m.symbol.to_string() on:click=move |_| set_selected.set(Some(symbol.clone()))>
                                {m.symbol.to_string()}
                            </button>
                        }
                    }
                />
            </nav>
            <span class="status"><span class=class></span>{label}</span>
        </header>
    }
}
