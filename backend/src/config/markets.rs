//! The markets this exchange lists, from configuration, looked up by symbol.

use std::collections::HashMap;

use common::{market::MarketConfigError, Dec, Market, Symbol};

/// The configured markets, in listing order.
#[derive(Clone, Debug)]
pub struct Markets {
    list: Vec<Market>,
    by_symbol: HashMap<Symbol, usize>,
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
        Ok(Markets { list, by_symbol })
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
}

/// A market from `SYMBOL:tick:lot:min_qty:max_qty:max_price` (the `MARKETS` variable's entries).
pub fn market_from_text(entry: &str) -> Result<Market, MarketConfigError> {
    let fail =
        |reason: &str| MarketConfigError { symbol: entry.chars().take(40).collect(), reason: reason.to_string() };
    let parts: Vec<&str> = entry.split(':').map(str::trim).collect();
    let [symbol, tick, lot, min_qty, max_qty, max_price] = parts[..] else {
        return Err(fail("expected SYMBOL:tick:lot:min_qty:max_qty:max_price"));
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
        assert!(Markets::new(vec![m.clone(), m]).is_err(), "listed twice");
    }
}
