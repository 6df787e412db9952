//! The engine's handle: the configured markets, the engine's settings and a Redis connection. Its
//! operations are in `orders.rs` (writes) and `reads.rs`.

use std::sync::Arc;

use common::{Market, Symbol};
use redis::aio::ConnectionLike;

use super::error::EngineError;
use super::keys::MarketKeys;
use super::library;
use crate::config::{EngineSettings, Markets};

/// The matching engine over one Redis connection (any `ConnectionLike`: a multiplexed connection,
/// a connection manager that reconnects by itself, …).
#[derive(Clone)]
pub struct Engine<C> {
    conn: C,
    markets: Arc<Markets>,
    settings: Arc<EngineSettings>,
}

impl<C: ConnectionLike + Clone + Send + Sync> Engine<C> {
    pub fn new(conn: C, markets: Arc<Markets>, settings: EngineSettings) -> Engine<C> {
        Engine { conn, markets, settings: Arc::new(settings) }
    }

    pub fn markets(&self) -> &Markets {
        &self.markets
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    pub fn market(&self, symbol: &Symbol) -> Result<&Market, EngineError> {
        self.markets.get(symbol).ok_or_else(|| EngineError::UnknownSymbol(symbol.to_string()))
    }

    /// The markets a request covers: the named one, or all.
    pub fn markets_for(&self, symbol: Option<&Symbol>) -> Result<Vec<&Market>, EngineError> {
        match symbol {
            Some(s) => Ok(vec![self.market(s)?]),
            None => Ok(self.markets.all().iter().collect()),
        }
    }

    pub fn conn(&self) -> C {
        self.conn.clone()
    }

    /// Loads the engine's function library into Redis, on every master of a cluster (a pipelined caller
    /// needs it there beforehand; single calls load it by themselves).
    pub async fn load_library(&self) -> Result<(), EngineError> {
        library::load(&mut self.conn()).await?;
        Ok(())
    }

    /// Moves the books that an engine before level buckets wrote into the level buckets (a thousand
    /// levels a call, so Redis never blocks long): `lua/migrate_levels.lua`. Returns how many levels
    /// moved. A book that holds none of the old layout costs one call per market.
    pub async fn migrate_books(&self) -> Result<u64, EngineError> {
        const LEVELS_PER_CALL: u64 = 1000;
        let mut moved = 0;
        for market in self.markets.all() {
            let seq = MarketKeys::new(&market.symbol).seq();
            loop {
                let (now, left): (u64, u64) =
                    library::MIGRATE_LEVELS.key(&seq).arg(LEVELS_PER_CALL).invoke_async(&mut self.conn()).await?;
                moved += now;
                if left == 0 {
                    break;
                }
            }
        }
        Ok(moved)
    }

    /// Whether Redis answers a PING.
    pub async fn ping(&self) -> bool {
        let reply: Result<String, _> = redis::cmd("PING").query_async(&mut self.conn()).await;
        reply.is_ok()
    }
}
