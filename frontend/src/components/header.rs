//! The top bar: the exchange's name, the market selector and the feeds' connection indicators (the
//! market's, and the private feed's while signed in).

use common::{Market, Symbol};
use leptos::prelude::*;

use crate::connection::Connection;

#[component]
pub fn Header(
    markets: ReadSignal<Vec<Market>>,
    selected: ReadSignal<Option<Symbol>>,
    set_selected: WriteSignal<Option<Symbol>>,
    connection: ReadSignal<Connection>,
    private: ReadSignal<Option<Connection>>,
) -> impl IntoView {
    let dot = |c: Connection| format!("dot {}", if c == Connection::Live { "up" } else { "down" });
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
            <span class="status" role="status" title="the market's feed">
                <span class=move || dot(connection.get())></span>{move || connection.get().label()}
            </span>
            {move || private.get().map(|c| view! {
                <span class="status private" role="status" title="your orders' feed">
                    <span class=dot(c)></span>{format!("orders: {}", c.label())}
                </span>
            })}
        </header>
    }
}
