//! What the order form asks a trader to confirm before it sends an order: a limit price far from the
//! market (a price typed for another market, a digit too many or too few) and an order worth more than
//! a threshold. Both bounds are the trader's to set (`Guard::load`). No browser needed.

use common::{Dec, Market, Side};
use rust_decimal::Decimal;

use crate::format::grouped;
use crate::order_check::Ready;

/// The bounds past which an order is confirmed first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Guard {
    /// How far from the mid price (the last price when the book has one side) a limit price may be,
    /// in percent.
    pub max_distance_percent: Decimal,
    /// The order value, in the market's quote asset, above which the order is confirmed.
    pub confirm_value: Decimal,
}

impl Default for Guard {
    fn default() -> Guard {
        Guard { max_distance_percent: Decimal::from(5), confirm_value: Decimal::from(10_000) }
    }
}

/// The browser storage keys a trader may set to change the bounds (e.g. in the console:
/// `localStorage.setItem("confirm.distance_percent", "2")`).
pub const DISTANCE_KEY: &str = "confirm.distance_percent";
pub const VALUE_KEY: &str = "confirm.value";

impl Guard {
    /// The defaults, with what the trader stored (`get` reads a key) in their place.
    pub fn load(get: impl Fn(&str) -> Option<String>) -> Guard {
        let read = |key: &str, default: Decimal| {
            get(key).and_then(|v| v.trim().parse::<Decimal>().ok()).filter(|v| v.is_sign_positive()).unwrap_or(default)
        };
        let d = Guard::default();
        Guard {
            max_distance_percent: read(DISTANCE_KEY, d.max_distance_percent),
            confirm_value: read(VALUE_KEY, d.confirm_value),
        }
    }
}

/// The order's value in the quote asset: a limit order's price × quantity, a market buy's amount to
/// spend, a market order by quantity at the reference price (then an estimate: `true`).
pub fn order_value(ready: &Ready, reference: Option<Dec>) -> Option<(Dec, bool)> {
    match (ready.price, ready.quote_quantity) {
        (_, Some(amount)) => Some((amount, false)),
        (Some(price), None) => Some((Dec::from(price.0 * ready.quantity.0), false)),
        (None, None) => reference.map(|r| (Dec::from(r.0 * ready.quantity.0), true)),
    }
}

/// Why the order should be confirmed before it is sent; empty: send it. `reference` is the mid price,
/// or the last price when there is no mid.
pub fn warnings(guard: &Guard, market: &Market, side: Side, ready: &Ready, reference: Option<Dec>) -> Vec<String> {
    let places = market.tick_size.0.scale();
    let mut out = Vec::new();
    if let (Some(price), Some(reference)) = (ready.price, reference.filter(|r| r.is_positive())) {
        let distance = (price.0 - reference.0) / reference.0 * Decimal::ONE_HUNDRED;
        if distance.abs() > guard.max_distance_percent {
            let direction = if distance > Decimal::ZERO { "above" } else { "below" };
            let consequence = match (side, distance > Decimal::ZERO) {
                (Side::Buy, true) | (Side::Sell, false) => "it may fill at once, far from the market",
                _ => "it will wait far from the market",
            };
            out.push(format!(
                "The price {} is {}% {direction} the market ({}): {consequence}.",
                grouped(price, places),
                distance.abs().round_dp(1),
                grouped(reference, places)
            ));
        }
    }
    if let Some((value, estimate)) = order_value(ready, reference) {
        if value.0 > guard.confirm_value {
            out.push(format!(
                "This order is worth {}{} {} (more than {} {}).",
                if estimate { "about " } else { "" },
                grouped(value, places),
                market.quote,
                grouped(Dec::from(guard.confirm_value), 0),
                market.quote
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(t: &str) -> Dec {
        Dec::parse(t).unwrap()
    }

    fn limit(price: &str, quantity: &str) -> Ready {
        Ready { quantity: dec(quantity), price: Some(dec(price)), quote_quantity: None }
    }

    #[test]
    fn a_limit_price_far_from_the_market_is_confirmed_first() {
        let m = Market::defaults().remove(0);
        let g = Guard::default();
        let mid = Some(dec("3050"));
        // A BTC price sent to an ETH-like market: far above, and a buy would fill at once.
        let w = warnings(&g, &m, Side::Buy, &limit("49000.00", "0.1"), mid);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("49,000.00") && w[0].contains("1506.6% above") && w[0].contains("fill at once"), "{w:?}");
        // Within 5 %: nothing to confirm.
        assert!(warnings(&g, &m, Side::Buy, &limit("3200.00", "0.1"), mid).is_empty());
        // Far below, a buy waits.
        let w = warnings(&g, &m, Side::Buy, &limit("2000.00", "0.1"), mid);
        assert!(w[0].contains("below") && w[0].contains("wait"), "{w:?}");
        // With nothing to compare with, no distance.
        assert!(warnings(&g, &m, Side::Sell, &limit("2000.00", "0.1"), None).is_empty());
    }

    #[test]
    fn an_order_worth_more_than_the_threshold_is_confirmed_first() {
        let m = Market::defaults().remove(0);
        let g = Guard::default();
        let w = warnings(&g, &m, Side::Buy, &limit("50000.00", "0.5"), Some(dec("50000")));
        assert_eq!(w, vec!["This order is worth 25,000.00 USD (more than 10,000 USD).".to_string()]);
        let market_sell = Ready { quantity: dec("1"), price: None, quote_quantity: None };
        let w = warnings(&g, &m, Side::Sell, &market_sell, Some(dec("50000")));
        assert!(w[0].starts_with("This order is worth about 50,000.00"), "{w:?}");
        assert!(warnings(&g, &m, Side::Sell, &limit("50000.00", "0.1"), Some(dec("50000"))).is_empty());
    }

    #[test]
    fn the_trader_sets_the_bounds() {
        let g = Guard::load(|key| match key {
            DISTANCE_KEY => Some("2".into()),
            VALUE_KEY => Some("not a number".into()),
            _ => None,
        });
        assert_eq!(g, Guard { max_distance_percent: Decimal::from(2), confirm_value: Decimal::from(10_000) });
    }
}
