//! The order form's client-side checks: a number, on the market's tick and lot grid and within its
//! bounds (the rules of `common::Market`, the server's own), so that a typo or a size the market refuses
//! is caught before it is sent or asked about; and the quick sizes (a share of what is free). Every
//! other rule is the server's to judge; its errors are shown under the form.

use common::{Dec, Market, Side};

/// The form's fields as typed. `spend`: a market buy's amount of quote, instead of a quantity.
pub struct Draft<'a> {
    pub market: &'a Market,
    pub is_market_order: bool,
    pub price: &'a str,
    pub quantity: &'a str,
    pub spend: &'a str,
}

/// What the form may send: a quantity (zero for a market buy by budget), a price for a limit order, the
/// budget of a market buy by amount.
#[derive(Debug, PartialEq)]
pub struct Ready {
    pub quantity: Dec,
    pub price: Option<Dec>,
    pub quote_quantity: Option<Dec>,
}

/// The draft as it may be sent; else what to fix.
pub fn check(d: &Draft) -> Result<Ready, String> {
    if d.is_market_order && !d.spend.trim().is_empty() {
        if !d.quantity.trim().is_empty() {
            return Err("give a quantity or an amount to spend, not both".into());
        }
        let spend = Dec::parse(d.spend.trim()).map_err(|_| "amount: enter a number like 250".to_string())?;
        if !spend.is_positive() {
            return Err("amount must be greater than zero".into());
        }
        return Ok(Ready { quantity: Dec::ZERO, price: None, quote_quantity: Some(spend) });
    }
    let quantity = Dec::parse(d.quantity.trim()).map_err(|_| "quantity: enter a number like 0.5".to_string())?;
    d.market.quantity_to_lots(quantity).map_err(|e| e.to_string())?;
    if d.is_market_order {
        return Ok(Ready { quantity, price: None, quote_quantity: None });
    }
    let price = Dec::parse(d.price.trim()).map_err(|_| "price: enter a number like 50000.00".to_string())?;
    d.market.price_to_ticks(price).map_err(|e| e.to_string())?;
    Ok(Ready { quantity, price: Some(price), quote_quantity: None })
}

/// A stop order's stop price as typed: a price on the market's tick.
pub fn check_stop(market: &Market, stop: &str) -> Result<Dec, String> {
    let stop = Dec::parse(stop.trim()).map_err(|_| "stop price: enter a number like 48000.00".to_string())?;
    market.price_to_ticks(stop).map_err(|e| format!("stop {e}"))?;
    Ok(stop)
}

/// A quick size: `percent` of what is `free` to spend on this side.
#[derive(Debug, PartialEq)]
pub enum QuickSize {
    /// A quantity of base, down to the lot.
    Quantity(Dec),
    /// A market buy's amount of quote, down to the market's smallest notional (tick × lot).
    Spend(Dec),
}

/// `percent` of `free`: a sell's quantity; a limit buy's quantity at the price typed; a market buy's
/// amount to spend. Rounded down, so the order stays within the balance.
pub fn quick_size(
    market: &Market,
    side: Side,
    is_market_order: bool,
    free: Dec,
    price: &str,
    percent: u32,
) -> Result<QuickSize, String> {
    let share = free.0 * rust_decimal::Decimal::from(percent) / rust_decimal::Decimal::from(100);
    let down_to = |value: rust_decimal::Decimal, step: Dec| Dec::from((value / step.0).floor() * step.0);
    match (side, is_market_order) {
        (Side::Sell, _) => Ok(QuickSize::Quantity(down_to(share, market.lot_size))),
        (Side::Buy, true) => Ok(QuickSize::Spend(down_to(share, Dec::from(market.tick_size.0 * market.lot_size.0)))),
        (Side::Buy, false) => {
            let price = Dec::parse(price.trim()).ok().filter(Dec::is_positive).ok_or("enter a price first")?;
            Ok(QuickSize::Quantity(down_to(share / price.0, market.lot_size)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(t: &str) -> Dec {
        Dec::parse(t).unwrap()
    }

    #[test]
    fn drafts_on_the_grid_pass_and_others_say_why() {
        let m = Market::defaults().remove(0);
        let draft =
            |price, quantity, is_market_order| Draft { market: &m, is_market_order, price, quantity, spend: "" };
        let ready = |q: &str, p: Option<&str>| Ready { quantity: dec(q), price: p.map(dec), quote_quantity: None };
        assert_eq!(check(&draft("50000.01", "0.5", false)), Ok(ready("0.5", Some("50000.01"))));
        assert_eq!(check(&draft("", "0.5", true)), Ok(ready("0.5", None)), "a market order needs no price");
        assert!(check(&draft("50000.001", "0.5", false)).unwrap_err().contains("tick"));
        assert!(check(&draft("50000", "0.000010001", false)).unwrap_err().contains("lot"));
        assert!(check(&draft("50000", "0", false)).unwrap_err().contains("greater than zero"));
        // The market's bounds, before any question about the price is asked.
        assert!(check(&draft("50000", "0.000001", false)).unwrap_err().contains("below the market's minimum"));
        assert!(check(&draft("50000", "abc", false)).unwrap_err().starts_with("quantity"));
        assert!(check(&draft("", "1", false)).unwrap_err().starts_with("price"));
    }

    #[test]
    fn a_stop_price_is_a_price_on_the_tick() {
        let m = Market::defaults().remove(0);
        assert_eq!(check_stop(&m, " 48000.5 "), Ok(dec("48000.5")));
        assert!(check_stop(&m, "48000.001").unwrap_err().contains("tick"));
        assert!(check_stop(&m, "").unwrap_err().starts_with("stop price"));
        assert!(check_stop(&m, "0").unwrap_err().contains("greater than zero"));
    }

    #[test]
    fn a_market_buy_may_give_an_amount_to_spend_instead() {
        let m = Market::defaults().remove(0);
        let draft = |quantity, spend| Draft { market: &m, is_market_order: true, price: "", quantity, spend };
        let budget = Ready { quantity: Dec::ZERO, price: None, quote_quantity: Some(dec("250")) };
        assert_eq!(check(&draft("", "250")), Ok(budget));
        assert!(check(&draft("0.1", "250")).unwrap_err().contains("not both"));
        assert!(check(&draft("", "0")).unwrap_err().contains("greater than zero"));
        assert!(check(&draft("", "lots")).unwrap_err().starts_with("amount"));
    }

    #[test]
    fn quick_sizes_take_a_share_of_the_free_balance_rounded_down() {
        let m = Market::defaults().remove(0); // BTC/USD: tick 0.01, lot 0.00000001
        let size = |side, market, free, price, percent| quick_size(&m, side, market, dec(free), price, percent);
        assert_eq!(size(Side::Sell, false, "1.5", "", 50), Ok(QuickSize::Quantity(dec("0.75"))));
        assert_eq!(size(Side::Sell, true, "0.123456789", "", 100), Ok(QuickSize::Quantity(dec("0.12345678"))));
        // 25 % of 1,000 USD at 30,000: 0.00833333|33 BTC.
        assert_eq!(size(Side::Buy, false, "1000", "30000", 25), Ok(QuickSize::Quantity(dec("0.00833333"))));
        assert_eq!(size(Side::Buy, true, "1000.0000000001", "", 75), Ok(QuickSize::Spend(dec("750"))));
        assert!(size(Side::Buy, false, "1000", "", 25).is_err(), "a limit buy needs its price");
    }
}
