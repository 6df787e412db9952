//! How numbers are shown: fixed decimal places per market, so that a column of prices lines up.

use common::Dec;

/// Decimal places of a market's prices (its tick) and quantities (its lot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Places {
    pub price: u32,
    pub quantity: u32,
}

/// `value` with exactly `places` decimals (exact: the values are on the market's grid).
pub fn fixed(value: Dec, places: u32) -> String {
    format!("{:.*}", places as usize, value.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_get_the_markets_decimal_places() {
        let d = |s: &str| Dec::parse(s).unwrap();
        assert_eq!(fixed(d("50042.8"), 2), "50042.80");
        assert_eq!(fixed(d("0.3"), 8), "0.30000000");
        assert_eq!(fixed(d("7"), 0), "7");
    }
}
