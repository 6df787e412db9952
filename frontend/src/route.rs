//! The market in the address bar: `/trade/ETH-USD` opens ETH/USD, a switch of market writes the
//! address (a history entry, so back and forward switch back), and back or forward switch to the market
//! their address names. The backend serves the screen for any such path.

use common::{Market, Symbol};
use leptos::leptos_dom::helpers::window_event_listener;
use leptos::prelude::*;

const PREFIX: &str = "/trade/";

/// The path of a market's screen.
pub fn path_of(symbol: &Symbol) -> String {
    format!("{PREFIX}{}", symbol.as_str().replace('/', "-"))
}

/// The listed market a path names, if any.
pub fn market_in(path: &str, markets: &[Market]) -> Option<Symbol> {
    let name = path.strip_prefix(PREFIX)?.trim_end_matches('/').replace('-', "/");
    markets.iter().find(|m| m.symbol.as_str().eq_ignore_ascii_case(&name)).map(|m| m.symbol.clone())
}

fn current_path() -> String {
    web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default()
}

/// Keeps `selected` and the address in step, once `markets` are known: the address's market first
/// (else the first listed), then each way.
pub fn follow_address(
    markets: ReadSignal<Vec<Market>>,
    selected: ReadSignal<Option<Symbol>>,
    set_selected: WriteSignal<Option<Symbol>>,
) {
    Effect::new(move |_| {
        markets.with(|list| {
            if selected.get_untracked().is_none() && !list.is_empty() {
                set_selected.set(market_in(&current_path(), list).or_else(|| list.first().map(|m| m.symbol.clone())));
            }
        })
    });
    Effect::new(move |_| {
        let Some(symbol) = selected.get() else { return };
        let path = path_of(&symbol);
        if current_path() != path {
            if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                // The first market shown replaces the entry it was opened with; later switches add one.
                let _ = if current_path().starts_with(PREFIX) {
                    history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path))
                } else {
                    history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path))
                };
            }
        }
    });
    let listener = window_event_listener(leptos::ev::popstate, move |_| {
        if let Some(symbol) = markets.with_untracked(|list| market_in(&current_path(), list)) {
            set_selected.set(Some(symbol));
        }
    });
    on_cleanup(move || listener.remove());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_a_listed_market() {
        let markets = Market::defaults();
        let eth = Symbol::parse("ETH/USD").unwrap();
        assert_eq!(path_of(&eth), "/trade/ETH-USD");
        assert_eq!(market_in("/trade/ETH-USD", &markets), Some(eth.clone()));
        assert_eq!(market_in("/trade/eth-usd/", &markets), Some(eth));
        assert_eq!(market_in("/trade/DOGE-USD", &markets), None);
        assert_eq!(market_in("/", &markets), None);
    }
}
