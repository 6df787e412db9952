//! Typed Rust functions over the matching engine's Lua scripts (`lua/`): place, cancel, cancel-all, book
//! snapshots, recent trades, orders by id and a user's orders. Validation against the market's grid
//! happens here, before Redis is called, so the scripts only ever see integers on the grid.

pub mod batcher;
pub mod event;
pub mod keys;
mod orders;
mod reads;
pub mod scripts;
pub mod wire;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use common::{Market, NewOrder, Order, OrderType, Side, Symbol, TimeInForce, MAX_SAFE_INT};
use redis::aio::ConnectionLike;
use redis::Value;

pub use event::{Event, RawOrder};
pub use keys::MarketKeys;
pub use orders::{read_placements, BatchOrder};

use crate::markets::Markets;

/// Limits and retention the scripts apply.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    /// How long a closed order stays readable, in milliseconds.
    pub retention_ms: u64,
    /// Resting orders one incoming order may touch (fills and self-trade cancels) in one call.
    pub max_fills_per_call: u32,
    /// Approximate length the per-market trades stream is capped at.
    pub trades_stream_len: u64,
    /// Open orders a user may have in one market.
    pub max_open_orders_per_user: u32,
    /// Closed orders kept in a user's history per market (older ones drop out of listings).
    pub history_per_user: u32,
    /// Replicas that must have a write before it is acknowledged (Redis `WAIT`); 0 acknowledges on the
    /// master's word alone.
    pub replicas_to_wait: u32,
    /// How long to wait for them, in milliseconds.
    pub replica_wait_ms: u64,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            retention_ms: 24 * 3600 * 1000,
            max_fills_per_call: 250,
            trades_stream_len: 10_000,
            max_open_orders_per_user: 500,
            history_per_user: 1000,
            replicas_to_wait: 0,
            replica_wait_ms: 200,
        }
    }
}

/// Why the engine did not do what was asked. Each variant says which HTTP status it is.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// 404 `unknown_symbol`.
    #[error("unknown symbol {0}")]
    UnknownSymbol(String),
    /// 404 `not_found`: no such order, or not the caller's.
    #[error("order not found")]
    NotFound,
    /// 422: a well-formed request that breaks a rule; `code` is the contract's.
    #[error("{detail}")]
    Invalid { code: &'static str, detail: String },
    /// 409: refused because of the book's or the order's state.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// 503: Redis unreachable or failing.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// 503: done on the master, but not confirmed by enough replicas in time.
    #[error("done on the master but confirmed by {confirmed} of {wanted} replicas in time")]
    NotReplicated { confirmed: u32, wanted: u32 },
    /// 500: the scripts answered something this code does not understand.
    #[error("unexpected engine reply: {0}")]
    Protocol(String),
    #[error(transparent)]
    Wire(#[from] wire::WireError),
}

fn invalid(code: &'static str, detail: impl Into<String>) -> EngineError {
    EngineError::Invalid { code, detail: detail.into() }
}

/// The outcome of a placement.
#[derive(Clone, Debug)]
pub struct Placed {
    /// The order with `trades` set to the fills made on arrival.
    pub order: Order,
    /// False when the client_order_id named an existing order, which is returned unchanged.
    pub created: bool,
    /// What the command did (None for a repeated client_order_id).
    pub event: Option<Event>,
}

/// Which of a user's orders to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    Open,
    Closed,
    All,
}

impl StatusFilter {
    fn as_arg(self) -> &'static str {
        match self {
            StatusFilter::Open => "open",
            StatusFilter::Closed => "closed",
            StatusFilter::All => "all",
        }
    }
}

/// A placement checked against its market: integers on the grid, ready for the script.
#[derive(Clone, Debug)]
pub struct CheckedOrder {
    pub side: Side,
    pub order_type: OrderType,
    pub time_in_force: TimeInForce,
    pub post_only: bool,
    pub price_ticks: u64,
    pub quantity_lots: u64,
    pub client_order_id: String,
}

/// Checks an order against its market: price present for limit and absent for market, on the tick,
/// quantity on the lot, both within bounds. A market order behaves as ioc (or fok when asked).
pub fn check_order(market: &Market, req: &NewOrder) -> Result<CheckedOrder, EngineError> {
    let price_ticks = match (req.order_type, req.price) {
        (OrderType::Limit, None) => return Err(invalid("invalid_price", "a limit order needs a price")),
        (OrderType::Limit, Some(p)) => market.price_to_ticks(p).map_err(|e| invalid(e.code(), e.to_string()))?,
        (OrderType::Market, Some(_)) => {
            return Err(invalid("invalid_price", "a market order takes no price"));
        }
        (OrderType::Market, None) => 0,
    };
    if req.order_type == OrderType::Market && req.post_only {
        return Err(invalid("validation_error", "post_only applies to limit orders only"));
    }
    let quantity_lots = market.quantity_to_lots(req.quantity).map_err(|e| invalid(e.code(), e.to_string()))?;
    debug_assert!(price_ticks <= MAX_SAFE_INT && quantity_lots <= MAX_SAFE_INT);
    let time_in_force = match (req.order_type, req.time_in_force) {
        (OrderType::Market, TimeInForce::Gtc) => TimeInForce::Ioc,
        (_, tif) => tif,
    };
    Ok(CheckedOrder {
        side: req.side,
        order_type: req.order_type,
        time_in_force,
        post_only: req.post_only,
        price_ticks,
        quantity_lots,
        client_order_id: req.client_order_id.as_ref().map(|c| c.as_str().to_string()).unwrap_or_default(),
    })
}

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
    fn markets_for(&self, symbol: Option<&Symbol>) -> Result<Vec<&Market>, EngineError> {
        match symbol {
            Some(s) => Ok(vec![self.market(s)?]),
            None => Ok(self.markets.all().iter().collect()),
        }
    }

    pub(crate) fn conn(&self) -> C {
        self.conn.clone()
    }

    /// Loads the engine's function library into Redis, on every master of a cluster (a pipelined caller
    /// needs it there beforehand; single calls load it by themselves).
    pub async fn load_scripts(&self) -> Result<(), EngineError> {
        scripts::load(&mut self.conn()).await?;
        Ok(())
    }

    /// Brings every market's keys written by an earlier version to the current layout (see
    /// `lua/upgrade_layout.lua`); the number of keys moved. Run once at startup, before serving.
    pub async fn upgrade_layout(&self) -> Result<u64, EngineError> {
        let mut moved = 0;
        for market in self.markets.all() {
            let n: u64 = scripts::UPGRADE_LAYOUT
                .key(MarketKeys::new(&market.symbol).seq())
                .invoke_async(&mut self.conn())
                .await?;
            moved += n;
        }
        Ok(moved)
    }

    /// Whether Redis answers a PING.
    pub async fn ping(&self) -> bool {
        let reply: Result<String, _> = redis::cmd("PING").query_async(&mut self.conn()).await;
        reply.is_ok()
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Splits one `kind, payload` pair of a script's reply.
fn reply_pair(pair: &[Value]) -> Result<(&str, &[u8]), EngineError> {
    match pair {
        [Value::BulkString(kind), Value::BulkString(payload)] => {
            let kind = std::str::from_utf8(kind).map_err(|_| EngineError::Protocol("reply kind".into()))?;
            Ok((kind, payload))
        }
        other => Err(EngineError::Protocol(format!("unexpected reply shape {other:?}"))),
    }
}

fn refusal(code: &[u8]) -> EngineError {
    match std::str::from_utf8(code).unwrap_or("") {
        "not_found" => EngineError::NotFound,
        "post_only_would_cross" => EngineError::Conflict {
            code: "post_only_would_cross",
            detail: "the post-only order would match on arrival".into(),
        },
        "order_not_open" => {
            EngineError::Conflict { code: "order_not_open", detail: "the order is already filled or cancelled".into() }
        }
        "too_many_open_orders" => EngineError::Conflict {
            code: "too_many_open_orders",
            detail: "you have reached the maximum number of open orders in this market".into(),
        },
        "level_full" => invalid("invalid_quantity", "the price level cannot hold more quantity"),
        other => EngineError::Protocol(format!("unknown refusal {other}")),
    }
}
