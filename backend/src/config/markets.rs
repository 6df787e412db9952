//! The markets this exchange lists, from configuration, looked up by symbol.

use std::collections::HashMap;

use common::asset::assets_of;
use common::market::{MarketConfigError, DEFAULT_MAKER_FEE, DEFAULT_TAKER_FEE};
use common::{Asset, Dec, Market, MarketUnits, Symbol};

/// The configured markets, in listing order, and the assets they trade.
#[derive(Clone, Debug)]
pub struct Markets {
    list: Vec<Market>,
    /// Each market's units of its assets, in the order of `list`.
    units: Vec<MarketUnits>,
    by_symbol: HashMap<Symbol, usize>,
    assets: Vec<Asset>,
}

impl Markets {
    pub fn new(list: Vec<Market>) -> Result<Markets, MarketConfigError> {
        let mut by_symbol = HashMap::new();
        for (i, m) in list.iter().enumerate() {
            m.check()?;
            if by_symbol.insert(m.symbol.clone(), i).is_some() {
                return Err(MarketConfigError { symbol: m.symbol.to_string(), reason: "listed twice".into() });
            }
        }
        let assets = assets_of(&list)?;
        let units = list.iter().map(|m| MarketUnits::new(m, &assets)).collect::<Result<_, _>>()?;
        Ok(Markets { list, units, by_symbol, assets })
    }

    /// BTC/USD and ETH/USD.
    pub fn defaults() -> Markets {
        Markets::new(Market::defaults()).expect("the default markets are valid")
    }

    pub fn get(&self, symbol: &Symbol) -> Option<&Market> {
        self.by_symbol.get(symbol).map(|&i| &self.list[i])
    }

    pub fn all(&self) -> &[Market] {
        &self.list
    }

    /// How a listed market's lots and notionals become amounts of its assets.
    pub fn units(&self, symbol: &Symbol) -> Option<MarketUnits> {
        self.by_symbol.get(symbol).map(|&i| self.units[i])
    }

    /// The assets the markets trade, each with its scale.
    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }

    pub fn asset(&self, name: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.asset == name)
    }

    /// A listed market's base and quote assets.
    pub fn assets_of(&self, market: &Market) -> (&Asset, &Asset) {
        let asset = |name: &str| self.asset(name).expect("a listed market's assets are listed");
        (asset(&market.base), asset(&market.quote))
    }
}

/// A market from `SYMBOL:tick:lot:min_qty:max_qty:max_price[:maker_fee:taker_fee]` (the `MARKETS`
/// variable's entries; without fees, the defaults).
pub fn market_from_text(entry: &str) -> Result<Market, MarketConfigError> {
    let fail =
        |reason: &str| MarketConfigError { symbol: entry.chars().take(40).collect(), reason: reason.to_string() };
    let parts: Vec<&str> = entry.split(':').map(str::trim).collect();
    let (symbol, tick, lot, min_qty, max_qty, max_price, maker_fee, taker_fee) = match parts[..] {
        [s, t, l, min, max, p] => (s, t, l, min, max, p, DEFAULT_MAKER_FEE, DEFAULT_TAKER_FEE),
        [s, t, l, min, max, p, maker, taker] => (s, t, l, min, max, p, maker, taker),
        _ => return Err(fail("expected SYMBOL:tick:lot:min_qty:max_qty:max_price[:maker_fee:taker_fee]")),
    };
    let symbol = Symbol::parse(symbol).map_err(|e| fail(&e.to_string()))?;
    let d = |s: &str| Dec::parse(s).map_err(|e| fail(&e.to_string()));
    Ok(Market {
        base: symbol.base().to_string(),
        quote: symbol.quote().to_string(),
        symbol,
        tick_size: d(tick)?,
        lot_size: d(lot)?,
        min_quantity: d(min_qty)?,
        max_quantity: d(max_qty)?,
        max_price: d(max_price)?,
        maker_fee: d(maker_fee)?,
        taker_fee: d(taker_fee)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markets_are_read_from_their_text_form() {
        let m = market_from_text("SOL/USDT:0.001:0.01:0.1:100000:100000").unwrap();
        assert_eq!(m.symbol.as_str(), "SOL/USDT");
        assert_eq!(m.tick_size.to_string(), "0.001");
        assert!(Markets::new(vec![m.clone()]).is_ok());
        assert!(market_from_text("SOL/USDT:0.001").is_err());
        assert!(market_from_text("sol:0.001:0.01:0.1:100000:100000").is_err());
        assert_eq!(m.maker_fee.to_string(), DEFAULT_MAKER_FEE);
        assert!(Markets::new(vec![m.clone(), m]).is_err(), "listed twice");
    }

    #[test]
    fn fees_may_follow_a_market_and_its_assets_come_with_it() {
        let m = market_from_text("SOL/USDT:0.001:0.01:0.1:100000:100000:-0.0001:0.0005").unwrap();
        assert_eq!((m.maker_fee.to_string().as_str(), m.taker_fee.to_string().as_str()), ("-0.0001", "0.0005"));
        let markets = Markets::new(vec![m]).unwrap();
        assert_eq!(markets.asset("USDT").map(|a| a.scale), Some(5));
        assert!(market_from_text("SOL/USDT:0.001:0.01:0.1:100000:100000:0.001").is_err());
        assert!(
            Markets::new(vec![market_from_text("SOL/USDT:0.001:0.01:0.1:100000:100000:0.5:-0.1").unwrap()]).is_err()
        );
    }
}
