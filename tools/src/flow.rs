//! The benchmarks' order flow, the yardstick's (`tools/yardstick/seed_layout_match.lua`): from one
//! random number, a side, a BTC/USD limit price in a band of 100 ticks (49,950 to 50,049) and 1-5
//! lots of 0.01 BTC, so that about 60% of the orders rest and the rest cross.

use common::{Dec, NewOrder, Side, Symbol};

/// The flow's order for the random number `r`.
pub fn order(r: u64) -> NewOrder {
    let side = if r.is_multiple_of(2) { Side::Buy } else { Side::Sell };
    let price = Dec::parse(&format!("{}", 49_950 + (r / 2) % 100)).expect("an integer");
    let quantity = Dec::parse(&format!("0.0{}", 1 + (r / 200) % 5)).expect("a plain decimal");
    NewOrder::limit(Symbol::parse("BTC/USD").expect("a symbol"), side, quantity, price)
}
