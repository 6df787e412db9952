//! How numbers are shown: a market's prices with its tick's decimal places and quantities with its
//! lot's, whole parts grouped by three; in a column, a quantity's trailing zeros are drawn faint rather
//! than dropped, so that the column stays aligned and the figure reads short.

use common::{Dec, Market};
use rust_decimal::RoundingStrategy;

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

/// `value` with exactly `places` decimals and its whole part in groups of three ("50,042.80").
pub fn grouped(value: Dec, places: u32) -> String {
    let text = fixed(value, places);
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |rest| ("-", rest));
    let (whole, fraction) = digits.split_once('.').map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut out = String::from(sign);
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = fraction {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// A value as written by whoever sent it, trailing zeros dropped and the whole part grouped: for
/// lists and balances, where no column needs aligning ("100,000", "1.499").
pub fn trimmed(value: Dec) -> String {
    let normal = value.0.normalize();
    grouped(Dec::from(normal), normal.scale())
}

/// The decimal places an asset's amounts are read at on the screen: the most its markets quote it in
/// (their tick's places where it is the quote, their lot's where it is the base). An asset's own scale
/// is finer (USD carries 10 places so that every fill's value is exact), which makes a balance
/// unreadable: "75,000.0001539819". None when no market lists the asset.
pub fn asset_places(markets: &[Market], asset: &str) -> Option<u32> {
    markets
        .iter()
        .filter_map(|m| match asset {
            a if a == m.quote => Some(m.tick_size.0.scale()),
            a if a == m.base => Some(m.lot_size.0.scale()),
            _ => None,
        })
        .max()
}

/// An amount at a glance: cut towards zero to `places` decimals (never more than there is), trailing
/// zeros dropped; the exact amount when `places` is None. ("75,000" for 75,000.0001539819 at 2 places.)
pub fn amount(value: Dec, places: Option<u32>) -> String {
    match places {
        Some(p) => trimmed(Dec::from(value.0.round_dp_with_strategy(p, RoundingStrategy::ToZero))),
        None => trimmed(value),
    }
}

/// `grouped(value, places)` split before its trailing zeros (and the point, when every decimal is
/// zero): ("0.01", "000000") for 0.01 with 8 places; the second part is drawn faint.
pub fn split_zeros(value: Dec, places: u32) -> (String, String) {
    let text = grouped(value, places);
    if !text.contains('.') {
        return (text, String::new());
    }
    let kept = text.trim_end_matches('0');
    let kept = kept.strip_suffix('.').unwrap_or(kept);
    (kept.to_string(), text[kept.len()..].to_string())
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

    #[test]
    fn whole_parts_are_grouped_by_three() {
        let d = |s: &str| Dec::parse(s).unwrap();
        assert_eq!(grouped(d("50042.8"), 2), "50,042.80");
        assert_eq!(grouped(d("1234567"), 0), "1,234,567");
        assert_eq!(grouped(d("999.5"), 1), "999.5");
        assert_eq!(grouped(d("-1000"), 2), "-1,000.00");
        assert_eq!(grouped(d("0.00000001"), 8), "0.00000001");
    }

    #[test]
    fn amounts_are_cut_to_the_places_their_markets_use() {
        let d = |s: &str| Dec::parse(s).unwrap();
        assert_eq!(amount(d("75000.0001539819"), Some(2)), "75,000");
        assert_eq!(amount(d("24999.9998460181"), Some(2)), "24,999.99", "never rounded up");
        assert_eq!(amount(d("-0.019"), Some(2)), "-0.01");
        assert_eq!(amount(d("1.00998"), Some(8)), "1.00998");
        assert_eq!(amount(d("0.0000000001"), None), "0.0000000001");
    }

    #[test]
    fn lists_drop_trailing_zeros_and_columns_draw_them_faint() {
        let d = |s: &str| Dec::parse(s).unwrap();
        assert_eq!(trimmed(d("100000.00")), "100,000");
        assert_eq!(trimmed(d("1.49900000")), "1.499");
        assert_eq!(split_zeros(d("0.01"), 8), ("0.01".to_string(), "000000".to_string()));
        assert_eq!(split_zeros(d("2"), 8), ("2".to_string(), ".00000000".to_string()));
        assert_eq!(split_zeros(d("1234.5"), 2), ("1,234.5".to_string(), "0".to_string()));
        assert_eq!(split_zeros(d("7"), 0), ("7".to_string(), String::new()));
    }
}
