//! The order form's client-side checks: a number, on the market's tick and lot grid, so that a typo is
//! caught before it is sent. Bounds (minimum, maximum) and every other rule are the server's to judge;
//! its errors are shown under the form.

use common::{Dec, Market};

/// The form's fields as typed.
pub struct Draft<'a> {
    pub market: &'a Market,
    pub is_market_order: bool,
    pub price: &'a str,
    pub quantity: &'a str,
}

/// The draft's quantity and (for a limit order) price when it may be sent; else what to fix.
pub fn check(d: &Draft) -> Result<(Dec, Option<Dec>), String> {
    let quantity = Dec::parse(d.quantity.trim()).map_err(|_| "quantity: enter a number like 0.5".to_string())?;
    on_grid("quantity", quantity, d.market.lot_size, "lot size")?;
    if d.is_market_order {
        return Ok((quantity, None));
    }
    let price = Dec::parse(d.price.trim()).map_err(|_| "price: enter a number like 50000.00".to_string())?;
    on_grid("price", price, d.market.tick_size, "tick size")?;
    Ok((quantity, Some(price)))
}

fn on_grid(name: &str, value: Dec, step: Dec, step_name: &str) -> Result<(), String> {
    if !value.is_positive() {
        return Err(format!("{name} must be greater than zero"));
    }
    match value.0.checked_rem(step.0) {
        Some(rest) if rest.is_zero() => Ok(()),
        _ => Err(format!("{name} {value} is not a multiple of the {step_name} {step}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_on_the_grid_pass_and_others_say_why() {
        let m = Market::defaults().remove(0);
        let draft = |price, quantity, is_market_order| Draft { market: &m, is_market_order, price, quantity };
        let dec = |t| Dec::parse(t).unwrap();
        assert_eq!(check(&draft("50000.01", "0.5", false)), Ok((dec("0.5"), Some(dec("50000.01")))));
        assert_eq!(check(&draft("", "0.5", true)), Ok((dec("0.5"), None)), "a market order needs no price");
        assert!(check(&draft("50000.001", "0.5", false)).unwrap_err().contains("tick"));
        assert!(check(&draft("50000", "0.000000001", false)).unwrap_err().contains("lot"));
        assert!(check(&draft("50000", "0", false)).unwrap_err().contains("greater than zero"));
        assert!(check(&draft("50000", "0.000001", false)).is_ok(), "under the minimum: the server says so");
        assert!(check(&draft("50000", "abc", false)).unwrap_err().starts_with("quantity"));
        assert!(check(&draft("", "1", false)).unwrap_err().starts_with("price"));
    }
}
