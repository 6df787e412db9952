//! Chart axes: round values to label a range with. No browser needed.

/// About `n` round values between `lo` and `hi` for an axis (steps of 1, 2 or 5 times a power of ten).
pub fn axis_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) || n == 0 {
        return vec![lo];
    }
    let raw = (hi - lo) / n as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(raw);
    let first = (lo / step).ceil();
    (0..).map(|i| (first + f64::from(i)) * step).take_while(|v| *v <= hi + step * 1e-9).take(4 * n + 1).collect()
}

/// An axis value with at most `places` decimals, trailing zeros dropped (the values are round).
pub fn label(value: f64, places: u32) -> String {
    let text = format!("{value:.*}", places as usize);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A price axis value with the market's decimal places, grouped like every price on the screen.
pub fn axis_price(value: f64, places: u32) -> String {
    let text = format!("{value:.*}", places as usize);
    common::Dec::parse(&text).map(|d| crate::format::grouped(d, places)).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ticks_are_round_and_within_the_range() {
        assert_eq!(axis_ticks(49_912.0, 50_230.0, 4), vec![50_000.0, 50_100.0, 50_200.0]);
        let unit = axis_ticks(0.0, 1.0, 5);
        assert_eq!(unit.len(), 6);
        assert!(unit.iter().zip([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]).all(|(a, b)| (a - b).abs() < 1e-9), "{unit:?}");
        assert_eq!(axis_ticks(5.0, 5.0, 4), vec![5.0]);
    }

    #[test]
    fn labels_drop_what_the_round_value_does_not_need() {
        assert_eq!(label(0.1 * 3.0, 8), "0.3");
        assert_eq!(label(50_000.0, 2), "50000");
        assert_eq!(label(2.5, 0), "2");
    }

    #[test]
    fn prices_on_an_axis_read_like_the_others() {
        assert_eq!(axis_price(50_100.0, 2), "50,100.00");
        assert_eq!(axis_price(0.5, 4), "0.5000");
    }
}
