//! Assets and exact amounts of them (docs/funds.md). An asset's amounts are integers of its smallest
//! unit, `10^-scale`; its scale is derived from the markets that trade it, so that every quantity (lots
//! of a base) and every notional (ticks × lots of a quote) is a whole number of units.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::decimal::Dec;
use crate::market::{Market, MarketConfigError};

/// The most units any balance, lock or amount may hold: the engine keeps amounts as two 32-bit halves
/// in Lua's doubles (`lua/amounts.lua`), exact below 2^62.
pub const MAX_AMOUNT: u64 = (1 << 62) - 1;

/// The most decimal places an asset may carry: 100,000,000 whole units of it must stay below
/// `MAX_AMOUNT` (the contract holds every balance up to at least that exactly).
pub const MAX_SCALE: u32 = 10;

/// An asset as `GET /api/v1/assets` describes it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub asset: String,
    /// The decimal places its amounts carry.
    pub scale: u32,
}

impl Asset {
    /// One unit of the asset, `10^-scale`.
    fn unit(&self) -> Decimal {
        Decimal::new(1, self.scale)
    }

    /// A positive decimal amount as whole units: refuses zero, negative, off-scale and too-large values.
    pub fn units_of(&self, amount: Dec) -> Result<u64, AmountError> {
        if !amount.is_positive() {
            return Err(AmountError::NotPositive);
        }
        let units = amount.0.checked_div(self.unit()).ok_or(AmountError::TooLarge)?;
        if !units.fract().is_zero() {
            return Err(AmountError::OffScale { scale: self.scale });
        }
        match u64::try_from(units) {
            Ok(n) if n <= MAX_AMOUNT => Ok(n),
            _ => Err(AmountError::TooLarge),
        }
    }

    /// Whole units as a decimal amount.
    pub fn amount_of(&self, units: i128) -> Dec {
        Dec::from(Decimal::from_i128_with_scale(units, self.scale))
    }
}

/// Why an amount is refused; each maps to one contract error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount must be greater than zero")]
    NotPositive,
    #[error("amount has more than {scale} decimal places, the asset's scale")]
    OffScale { scale: u32 },
    #[error("amount is above the largest supported balance")]
    TooLarge,
}

impl AmountError {
    pub fn code(&self) -> &'static str {
        match self {
            AmountError::NotPositive | AmountError::OffScale { .. } => "invalid_amount",
            AmountError::TooLarge => "amount_too_large",
        }
    }
}

/// The assets the markets trade, in order of first listing, each with the scale its markets need:
/// the base's lot size, and the quote's tick size × lot size, exact in whole units.
pub fn assets_of(markets: &[Market]) -> Result<Vec<Asset>, MarketConfigError> {
    let mut assets: Vec<Asset> = Vec::new();
    for m in markets {
        for (name, step) in [(&m.base, m.lot_size.0), (&m.quote, m.tick_size.0 * m.lot_size.0)] {
            let scale = step.normalize().scale();
            if scale > MAX_SCALE {
                return Err(MarketConfigError {
                    symbol: m.symbol.to_string(),
                    reason: format!("{name} would need {scale} decimal places; at most {MAX_SCALE} are supported"),
                });
            }
            match assets.iter_mut().find(|a| &a.asset == name) {
                Some(a) => a.scale = a.scale.max(scale),
                None => assets.push(Asset { asset: name.clone(), scale }),
            }
        }
    }
    Ok(assets)
}

/// How a market's integers become amounts of its assets: a lot is `base_per_lot` units of the base,
/// a tick × lot `quote_per_notional` units of the quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketUnits {
    pub base_per_lot: u64,
    pub quote_per_notional: u64,
}

impl MarketUnits {
    /// The units of `market` given its assets' scales (from `assets_of`, which makes them whole).
    pub fn new(market: &Market, assets: &[Asset]) -> Result<MarketUnits, MarketConfigError> {
        let scale_of = |name: &str| assets.iter().find(|a| a.asset == name).map(|a| a.scale).unwrap_or(0);
        let fail = |reason: String| MarketConfigError { symbol: market.symbol.to_string(), reason };
        let whole = |step: Decimal, scale: u32| -> Result<u64, MarketConfigError> {
            let units = step * Decimal::from(10u64.pow(scale));
            match u64::try_from(units) {
                Ok(n) if units.fract().is_zero() && n > 0 => Ok(n),
                _ => Err(fail(format!("{step} is not a whole number of units of scale {scale}"))),
            }
        };
        let base_per_lot = whole(market.lot_size.0, scale_of(&market.base))?;
        let quote_per_notional = whole(market.tick_size.0 * market.lot_size.0, scale_of(&market.quote))?;
        // The engine multiplies ticks by quote_per_notional in one double, then by lots exactly.
        let max_ticks = (market.max_price.0 / market.tick_size.0).trunc();
        if max_ticks * Decimal::from(quote_per_notional) > Decimal::from(crate::market::MAX_SAFE_INT) {
            return Err(fail("max_price ticks × the quote's units per tick and lot must stay below 2^53".into()));
        }
        if Decimal::from(base_per_lot) * (market.max_quantity.0 / market.lot_size.0).trunc()
            > Decimal::from(crate::market::MAX_SAFE_INT)
        {
            return Err(fail("max_quantity in units of the base must stay below 2^53".into()));
        }
        Ok(MarketUnits { base_per_lot, quote_per_notional })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_hold_every_quantity_and_notional_of_the_default_markets() {
        let assets = assets_of(&Market::defaults()).unwrap();
        let scales: Vec<(&str, u32)> = assets.iter().map(|a| (a.asset.as_str(), a.scale)).collect();
        assert_eq!(scales, [("BTC", 8), ("USD", 10), ("ETH", 8)]);
        let units = MarketUnits::new(&Market::defaults()[0], &assets).unwrap();
        assert_eq!(units, MarketUnits { base_per_lot: 1, quote_per_notional: 1 });
    }

    #[test]
    fn a_coarser_market_gets_whole_multipliers() {
        let m = Market::from_literals("SOL/USD", "0.01", "0.1", "0.1", "1000", "10000");
        let assets = assets_of(&[Market::defaults()[0].clone(), m.clone()]).unwrap();
        // USD needs 10 places for BTC/USD; SOL/USD's notional step 0.001 is 10^7 units of it.
        assert_eq!(
            MarketUnits::new(&m, &assets).unwrap(),
            MarketUnits { base_per_lot: 1, quote_per_notional: 10_000_000 }
        );
    }

    #[test]
    fn an_asset_needing_more_than_ten_places_is_refused() {
        let m = Market::from_literals("X/USD", "0.0001", "0.0000001", "1", "10", "10");
        assert!(assets_of(&[m]).unwrap_err().reason.contains("11 decimal places"));
    }

    #[test]
    fn amounts_convert_exactly_and_bad_ones_get_their_codes() {
        let usd = Asset { asset: "USD".into(), scale: 10 };
        let d = |s: &str| Dec::parse(s).unwrap();
        assert_eq!(usd.units_of(d("1000.5")), Ok(10_005_000_000_000));
        assert_eq!(usd.amount_of(10_005_000_000_000).to_string(), "1000.5");
        assert_eq!(usd.amount_of(-5).to_string(), "-0.0000000005");
        assert_eq!(usd.units_of(d("0")).unwrap_err().code(), "invalid_amount");
        assert_eq!(usd.units_of(d("-1")).unwrap_err().code(), "invalid_amount");
        assert_eq!(usd.units_of(d("0.00000000001")).unwrap_err().code(), "invalid_amount");
        assert_eq!(usd.units_of(d("100000000")), Ok(1_000_000_000_000_000_000), "10^8 whole units are held");
        assert_eq!(usd.units_of(d("461168602")).unwrap_err().code(), "amount_too_large");
    }
}
