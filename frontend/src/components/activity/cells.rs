//! What the activity tables' cells say: an order's type, the side in words, how much is filled, a
//! time in the browser's zone, a price with its market's decimals.

use common::{Dec, Market, Order, OrderStatus, OrderType, Side, Symbol};
use leptos::prelude::*;

use crate::format::{grouped, trimmed};

/// Prices with their market's decimal places, grouped.
#[derive(Clone, Copy)]
pub struct Prices {
    pub markets: ReadSignal<Vec<Market>>,
}

impl Prices {
    pub fn show(&self, symbol: &Symbol, p: Dec) -> String {
        let places =
            self.markets.with_untracked(|ms| ms.iter().find(|m| &m.symbol == symbol).map(|m| m.tick_size.0.scale()));
        places.map_or_else(|| trimmed(p), |places| grouped(p, places))
    }

    /// An order's limit price, or "Market".
    pub fn of_order(&self, o: &Order) -> String {
        o.price.map_or_else(|| "Market".into(), |p| self.show(&o.symbol, p))
    }
}

/// The side as text, not by colour alone.
pub fn side_name(side: Side) -> &'static str {
    if side == Side::Buy {
        "Buy"
    } else {
        "Sell"
    }
}

/// The class that colours a side.
pub fn side_class(side: Side) -> &'static str {
    if side == Side::Buy {
        "buy"
    } else {
        "sell"
    }
}

/// An order's type as the tables show it; a pending stop's with its trigger.
pub fn type_label(o: &Order, price: impl Fn(Dec) -> String) -> String {
    let name = match o.order_type {
        OrderType::Limit => "Limit",
        OrderType::Market => "Market",
        OrderType::StopLimit => "Stop limit",
        OrderType::StopMarket => "Stop market",
    };
    match (o.status, o.stop_price) {
        (OrderStatus::Pending, Some(stop)) => {
            format!("{name}, when {} {}", if o.side == Side::Buy { "≥" } else { "≤" }, price(stop))
        }
        _ => name.to_string(),
    }
}

/// What is filled of a quantity, and its share: "0.25 (50%)"; the share to one decimal, rounded down
/// (an order 99.96 % filled is not shown as 100 %).
pub fn filled(filled: Dec, quantity: Dec) -> String {
    if quantity.0.is_zero() {
        return trimmed(filled);
    }
    let share = (filled.0 * rust_decimal::Decimal::ONE_HUNDRED / quantity.0)
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::ToZero)
        .normalize();
    format!("{} ({share}%)", trimmed(filled))
}

/// An ISO 8601 time in the browser's zone, as the tables show it: "12-07 09:18:05".
pub fn local_time(iso: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return String::new();
    }
    stamp(date.get_month() + 1, date.get_date(), date.get_hours(), date.get_minutes(), date.get_seconds())
}

fn stamp(month: u32, day: u32, hours: u32, minutes: u32, seconds: u32) -> String {
    format!("{month:02}-{day:02} {hours:02}:{minutes:02}:{seconds:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filled_share_is_rounded_down() {
        let d = |s: &str| Dec::parse(s).unwrap();
        assert_eq!(filled(d("0.25"), d("0.5")), "0.25 (50%)");
        assert_eq!(filled(d("0"), d("0.5")), "0 (0%)");
        assert_eq!(filled(d("0.9996"), d("1")), "0.9996 (99.9%)");
        assert_eq!(filled(d("1"), d("3")), "1 (33.3%)");
        assert_eq!(filled(d("2"), d("2")), "2 (100%)");
    }

    #[test]
    fn times_are_month_day_and_clock() {
        assert_eq!(stamp(12, 7, 9, 5, 3), "12-07 09:05:03");
    }
}
