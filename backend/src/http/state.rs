//! What every handler can reach: one cloneable handle on the engine, the accounts, the feed and the
//! limits of this instance.

use std::sync::Arc;

use common::Symbol;

use super::book_cache::BookCache;
use super::error::ApiError;
use super::rate_limit::{AddressLimits, RateLimiter};
use super::ws::socket::WsLimits;
use crate::auth::Accounts;
use crate::config::WsConfig;
use crate::engine::batcher::Batcher;
use crate::engine::Engine;
use crate::feed::Feed;
use crate::funds::Funds;
use crate::market_data::MarketData;
use crate::redis::RedisPool;

/// What every handler can reach, behind one `Arc`: axum clones the state for every request (and every
/// extractor that takes it), and one reference count is far cheaper than one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }

    /// A listed market, from a symbol in any accepted form; anything else is 404 `unknown_symbol`.
    pub fn listed_symbol(&self, text: &str) -> Result<Symbol, ApiError> {
        let unknown = || ApiError::NotFound { code: "unknown_symbol", detail: "unknown symbol".into() };
        let symbol = Symbol::parse(text).map_err(|_| unknown())?;
        self.engine.markets().get(&symbol).map(|_| symbol).ok_or_else(unknown)
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub engine: Engine<RedisPool>,
    pub accounts: Accounts<RedisPool>,
    pub funds: Funds<RedisPool>,
    /// Orders and cancels per user.
    pub rate_limit: Arc<RateLimiter<u64>>,
    /// Logins and registrations per client address.
    pub limits: AddressLimits,
    pub book_cache: Arc<BookCache>,
    /// Placements go through here, batched per market.
    pub placer: Batcher<RedisPool>,
    /// Fan-out of every market's events to this instance's WebSocket clients.
    pub feed: Arc<Feed>,
    /// Candles and tickers, folded from the trades.
    pub market_data: Arc<MarketData>,
    pub ws: Arc<WsConfig>,
    pub ws_limits: WsLimits,
    /// What `/metrics` asks for, when set.
    pub metrics_token: Option<String>,
}
