//! The order form's client-side checks: the same grid rules the server applies (tick, lot, bounds), so
//! a typo is caught before it is sent. The server stays the judge; its errors are shown too.

use common::{Dec, Market};

/// The form's fields as typed.
pub struct Draft<'a> {
    pub market: &'a Market,
    pub is_market_order: bool,
    pub price: &'a str,
    pub quantity: &'a str,
}

/// Ok when the draft may be sent; else what to fix.
pub fn check(d: &Draft) -> Result<(), String> {
    let quantity = Dec::parse(d.quantity.trim()).map_err(|_| "quantity: enter a number like 0.5".to_string())?;
    d.market.quantity_to_lots(quantity).map_err(|e| e.to_string())?;
    if !d.is_market_order {
        let price = Dec::parse(d.price.trim()).map_err(|_| "price: enter a number like 50000.00".to_string())?;
        d.market.price_to_ticks(price).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::Symbol;

    fn btc() -> Market {
        let d = |s: &str| Dec::parse(s).unwrap();
        Market {
            symbol: Symbol::parse("BTC/USD").unwrap(),
            base: "BTC".into(),
            quote: "USD".into(),
            tick_size: d("0.01"),
            lot_size: d("0.00000001"),
            min_quantity: d("0.00001"),
            max_quantity: d("10000"),
            max_price: d("10000000"),
        }
    }

    #[test]
    fn drafts_on_the_grid_pass_and_others_say_why() {
        let m = btc();
        let draft = |price, quantity, is_market_order| Draft { market: &m, is_market_order, price, quantity };
        assert_eq!(check(&draft("50000.01", "0.5", false)), Ok(()));
        assert_eq!(check(&draft("", "0.5", true)), Ok(()), "a market order needs no price");
        assert!(check(&draft("50000.001", "0.5", false)).unwrap_err().contains("tick"));
        assert!(check(&draft("50000", "0.000000001", false)).unwrap_err().contains("minimum"));
        assert!(check(&draft("50000", "abc", false)).unwrap_err().starts_with("quantity"));
        assert!(check(&draft("", "1", false)).unwrap_err().starts_with("price"));
    }
}
