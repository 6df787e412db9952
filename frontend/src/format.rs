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
}
