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
        Markets::new(vec![
            market("BTC/USD", "0.01", "0.00000001", "0.00001", "10000", "10000000"),
            market("ETH/USD", "0.01", "0.00000001", "0.0001", "100000", "1000000"),
        ])
        .expect("the default markets are valid")
    }

    pub fn get(&self, symbol: &Symbol) -> Option<&Market> {
        self.by_symbol.get(symbol).map(|&i| &self.list[i])
    }

    pub fn all(&self) -> &[Market] {
        &self.list
    }
}

/// A market from its symbol and decimal texts; panics on malformed text (for literals and tests).
pub fn market(symbol: &str, tick: &str, lot: &str, min_qty: &str, max_qty: &str, max_price: &str) -> Market {
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
    }
}
