//! Markets and the exact conversion between decimal prices/quantities and the integer ticks/lots the
//! matching engine works in.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::decimal::Dec;
use crate::symbol::Symbol;

/// Every integer the engine stores stays below this bound (Lua numbers are doubles: exact below 2^53).
pub const MAX_SAFE_INT: u64 = (1 << 53) - 1;

/// A market as `GET /api/v1/markets` describes it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Market {
    pub symbol: Symbol,
    pub base: String,
    pub quote: String,
    pub tick_size: Dec,
    pub lot_size: Dec,
    pub min_quantity: Dec,
    pub max_quantity: Dec,
    pub max_price: Dec,
    /// The fee rate of a fill's resting side (negative: a rebate) and of its incoming side
    /// (docs/funds.md, "Fees"), charged in the asset the party receives.
    pub maker_fee: Dec,
    pub taker_fee: Dec,
}

/// The fee rates of a market configured without any: 0.1 % for the maker, 0.2 % for the taker.
pub const DEFAULT_MAKER_FEE: &str = "0.001";
pub const DEFAULT_TAKER_FEE: &str = "0.002";

/// The most decimal places a fee rate may have (the engine divides by 10^this, exactly).
pub const FEE_RATE_PLACES: u32 = 6;

/// Why a price or quantity is refused; each maps to one contract error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    #[error("price must be greater than zero")]
    PriceNotPositive,
    #[error("price {price} is above the market's maximum of {max}")]
    PriceTooHigh { price: Dec, max: Dec },
    #[error("price {price} is not a multiple of the tick size {tick}")]
    PriceNotOnTick { price: Dec, tick: Dec },
    #[error("quantity must be greater than zero")]
    QuantityNotPositive,
    #[error("quantity {quantity} is below the market's minimum of {min}")]
    QuantityTooSmall { quantity: Dec, min: Dec },
    #[error("quantity {quantity} is above the market's maximum of {max}")]
    QuantityTooLarge { quantity: Dec, max: Dec },
    #[error("quantity {quantity} is not a multiple of the lot size {lot}")]
    QuantityNotOnLot { quantity: Dec, lot: Dec },
}

impl GridError {
    /// The contract's machine-readable error code.
    pub fn code(&self) -> &'static str {
        match self {
            GridError::PriceNotPositive | GridError::PriceTooHigh { .. } => "invalid_price",
            GridError::PriceNotOnTick { .. } => "price_not_on_tick",
            GridError::QuantityNotPositive
            | GridError::QuantityTooSmall { .. }
            | GridError::QuantityTooLarge { .. } => "invalid_quantity",
            GridError::QuantityNotOnLot { .. } => "quantity_not_on_lot",
        }
    }
}

/// Why a market's own configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("market {symbol}: {reason}")]
pub struct MarketConfigError {
    pub symbol: String,
    pub reason: String,
}

impl Market {
    /// A market from its symbol and decimal texts. Panics on malformed text: for literals only.
    pub fn from_literals(symbol: &str, tick: &str, lot: &str, min_qty: &str, max_qty: &str, max_price: &str) -> Market {
        let d = |s: &str| Dec::parse(s).expect("a decimal literal");
        let symbol = Symbol::parse(symbol).expect("a symbol literal");
        Market {
            base: symbol.base().to_string(),
            quote: symbol.quote().to_string(),
            symbol,
            tick_size: d(tick),
            lot_size: d(lot),
            min_quantity: d(min_qty),
            max_quantity: d(max_qty),
            max_price: d(max_price),
            maker_fee: d(DEFAULT_MAKER_FEE),
            taker_fee: d(DEFAULT_TAKER_FEE),
        }
    }

    /// The fee rates (maker, taker) in millionths, as the engine computes with them: exact, since a
    /// checked rate has at most `FEE_RATE_PLACES` decimal places and lies below 1 in size.
    pub fn fee_rates_in_millionths(&self) -> (i64, i64) {
        let millionths = |rate: Dec| {
            let scaled = (rate.0 * Decimal::from(10i64.pow(FEE_RATE_PLACES))).trunc();
            i64::try_from(scaled).unwrap_or(0)
        };
        (millionths(self.maker_fee), millionths(self.taker_fee))
    }

    /// The market with these fee rates.
    pub fn with_fees(self, maker_fee: Dec, taker_fee: Dec) -> Market {
        Market { maker_fee, taker_fee, ..self }
    }

    /// The markets listed when none are configured: BTC/USD and ETH/USD.
    pub fn defaults() -> Vec<Market> {
        vec![
            Market::from_literals("BTC/USD", "0.01", "0.00000001", "0.00001", "10000", "10000000"),
            Market::from_literals("ETH/USD", "0.01", "0.00000001", "0.0001", "100000", "1000000"),
        ]
    }

    /// Checks that the market's bounds keep every tick and lot count exact in the engine.
    pub fn check(&self) -> Result<(), MarketConfigError> {
        let fail =
            |reason: &str| Err(MarketConfigError { symbol: self.symbol.to_string(), reason: reason.to_string() });
        if !self.tick_size.is_positive() || !self.lot_size.is_positive() {
            return fail("tick_size and lot_size must be positive");
        }
        if !self.min_quantity.is_positive() || self.min_quantity > self.max_quantity || !self.max_price.is_positive() {
            return fail("need 0 < min_quantity <= max_quantity and max_price > 0");
        }
        for (value, step, what) in [
            (self.max_price, self.tick_size, "max_price"),
            (self.min_quantity, self.lot_size, "min_quantity"),
            (self.max_quantity, self.lot_size, "max_quantity"),
        ] {
            match units(value, step) {
                Some(n) if n <= MAX_SAFE_INT => {}
                Some(_) => return fail(&format!("{what} is more than 2^53 steps")),
                None => return fail(&format!("{what} is not a multiple of its step")),
            }
        }
        let (maker, taker) = (self.maker_fee.0, self.taker_fee.0);
        if [maker, taker].iter().any(|r| r.normalize().scale() > FEE_RATE_PLACES || r.abs() >= Decimal::ONE) {
            return fail(&format!("fee rates must lie between -1 and 1 with at most {FEE_RATE_PLACES} decimal places"));
        }
        if taker.is_sign_negative() || maker + taker < Decimal::ZERO {
            return fail("taker_fee must not be negative, nor a maker rebate larger than the taker fee");
        }
        // The engine keeps an order's traded notional (ticks × lots) as hi·2^20 + lo, each below 2^53.
        let steps = |v: Dec, s: Dec| units(v, s).map(u128::from).unwrap_or(u128::MAX);
        if steps(self.max_price, self.tick_size).saturating_mul(steps(self.max_quantity, self.lot_size)) >= 1 << 73 {
            return fail("max_price ticks × max_quantity lots must stay below 2^73");
        }
        Ok(())
    }

    /// Price → ticks, refusing zero, negative, off-tick and above-maximum prices.
    pub fn price_to_ticks(&self, price: Dec) -> Result<u64, GridError> {
        if !price.is_positive() {
            return Err(GridError::PriceNotPositive);
        }
        if price > self.max_price {
            return Err(GridError::PriceTooHigh { price, max: self.max_price });
        }
        units(price, self.tick_size).ok_or(GridError::PriceNotOnTick { price, tick: self.tick_size })
    }

    /// Quantity → lots, refusing zero, negative, off-lot and out-of-bounds quantities.
    pub fn quantity_to_lots(&self, quantity: Dec) -> Result<u64, GridError> {
        if !quantity.is_positive() {
            return Err(GridError::QuantityNotPositive);
        }
        if quantity < self.min_quantity {
            return Err(GridError::QuantityTooSmall { quantity, min: self.min_quantity });
        }
        if quantity > self.max_quantity {
            return Err(GridError::QuantityTooLarge { quantity, max: self.max_quantity });
        }
        units(quantity, self.lot_size).ok_or(GridError::QuantityNotOnLot { quantity, lot: self.lot_size })
    }

    pub fn ticks_to_price(&self, ticks: u64) -> Dec {
        Dec::from(self.tick_size.0 * Decimal::from(ticks))
    }

    pub fn lots_to_quantity(&self, lots: u64) -> Dec {
        Dec::from(self.lot_size.0 * Decimal::from(lots))
    }

    /// Average price of fills whose summed `ticks × lots` is `notional`, over `lots` filled lots.
    pub fn average_price(&self, notional: u128, lots: u64) -> Option<Dec> {
        if lots == 0 {
            return None;
        }
        let ticks = Decimal::from_i128_with_scale(notional as i128, 0) / Decimal::from(lots);
        Some(Dec::from((ticks * self.tick_size.0).round_dp(12)))
    }
}

/// `value / step` when it is a whole number that fits a u64.
fn units(value: Dec, step: Dec) -> Option<u64> {
    let q = value.0.checked_div(step.0)?;
    if q.fract().is_zero() {
        u64::try_from(q).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn btc() -> Market {
        Market::defaults().remove(0)
    }

    #[test]
    fn prices_and_quantities_convert_exactly_to_ticks_and_lots() {
        let m = btc();
        assert_eq!(m.price_to_ticks(Dec::parse("50000.01").unwrap()), Ok(5_000_001));
        assert_eq!(m.quantity_to_lots(Dec::parse("0.1").unwrap()), Ok(10_000_000));
        assert_eq!(m.ticks_to_price(5_000_001).to_string(), "50000.01");
        assert_eq!(m.lots_to_quantity(30_000_000).to_string(), "0.3");
        assert!(m.check().is_ok());
    }

    #[test]
    fn off_grid_and_out_of_bound_values_get_their_own_codes() {
        let m = btc();
        let d = |s: &str| Dec::parse(s).unwrap();
        assert_eq!(m.price_to_ticks(d("50000.001")).unwrap_err().code(), "price_not_on_tick");
        assert_eq!(m.price_to_ticks(d("0")).unwrap_err().code(), "invalid_price");
        assert_eq!(m.price_to_ticks(d("-1")).unwrap_err().code(), "invalid_price");
        assert_eq!(m.price_to_ticks(d("10000000.01")).unwrap_err().code(), "invalid_price");
        assert_eq!(m.quantity_to_lots(d("0.000000001")).unwrap_err().code(), "invalid_quantity");
        assert_eq!(m.quantity_to_lots(d("0.000010001")).unwrap_err().code(), "quantity_not_on_lot");
        assert_eq!(m.quantity_to_lots(d("10000.00000001")).unwrap_err().code(), "invalid_quantity");
        assert_eq!(m.quantity_to_lots(d("0")).unwrap_err().code(), "invalid_quantity");
    }

    #[test]
    fn average_price_is_exact_and_absent_before_a_fill() {
        let m = btc();
        assert_eq!(m.average_price(0, 0), None);
        // 1 lot at 100.00 and 1 lot at 100.01 → 100.005
        assert_eq!(m.average_price(10_000 + 10_001, 2).unwrap().to_string(), "100.005");
    }

    #[test]
    fn a_market_whose_bounds_exceed_2_pow_53_steps_is_refused() {
        let mut m = btc();
        m.lot_size = Dec::parse("0.0000000000001").unwrap();
        assert!(m.check().is_err());
    }

    #[test]
    fn fee_rates_are_bounded_and_a_rebate_never_exceeds_the_taker_fee() {
        let d = |s: &str| Dec::parse(s).unwrap();
        assert!(btc().with_fees(d("-0.0001"), d("0.0002")).check().is_ok());
        assert!(btc().with_fees(d("0"), d("0")).check().is_ok());
        assert!(btc().with_fees(d("-0.0003"), d("0.0002")).check().is_err());
        assert!(btc().with_fees(d("0.001"), d("-0.001")).check().is_err());
        assert!(btc().with_fees(d("0.0000001"), d("0.001")).check().is_err(), "seven places");
        assert!(btc().with_fees(d("0.001"), d("1")).check().is_err());
    }
}
