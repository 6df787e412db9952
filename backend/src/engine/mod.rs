//! Typed Rust functions over the matching engine's Lua scripts (`lua/`): place, cancel, cancel-all, book
//! snapshots, recent trades, orders by id and a user's orders. Validation against the market's grid
//! happens here, before Redis is called, so the scripts only ever see integers on the grid.

pub mod event;
pub mod keys;
pub mod scripts;
pub mod wire;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use common::{
    time::format_millis, BookLevel, BookSnapshot, Market, NewOrder, Order, OrderType, Side, Symbol, TimeInForce,
    Trade, MAX_SAFE_INT,
};
use redis::aio::ConnectionLike;
use redis::Value;

pub use event::{Event, RawOrder};
pub use keys::MarketKeys;

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
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            retention_ms: 24 * 3600 * 1000,
            max_fills_per_call: 1000,
            trades_stream_len: 10_000,
            max_open_orders_per_user: 500,
            history_per_user: 1000,
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

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl<C: ConnectionLike + Clone + Send + Sync> Engine<C> {
    pub fn new(conn: C, markets: Arc<Markets>, settings: EngineSettings) -> Engine<C> {
        Engine { conn, markets, settings: Arc::new(settings) }
    }

    pub fn markets(&self) -> &Markets {
        &self.markets
    }

    pub fn market(&self, symbol: &Symbol) -> Result<&Market, EngineError> {
        self.markets.get(symbol).ok_or_else(|| EngineError::UnknownSymbol(symbol.to_string()))
    }

    /// Loads every script into Redis's script cache (a pipelined caller needs them there beforehand;
    /// single calls reload by themselves).
    pub async fn load_scripts(&self) -> Result<(), EngineError> {
        let mut conn = self.conn.clone();
        for script in scripts::ALL {
            script.load_async(&mut conn).await?;
        }
        Ok(())
    }

    /// Whether Redis answers a PING.
    pub async fn ping(&self) -> bool {
        let reply: Result<String, _> = redis::cmd("PING").query_async(&mut self.conn.clone()).await;
        reply.is_ok()
    }

    /// Takes the next order id from the global counter.
    pub async fn next_order_id(&self) -> Result<u64, EngineError> {
        let mut conn = self.conn.clone();
        Ok(redis::cmd("INCR").arg(keys::NEXT_ORDER_ID).query_async(&mut conn).await?)
    }

    /// Validates and places an order for `user_id`, matching it at once.
    pub async fn place(&self, user_id: u64, req: &NewOrder) -> Result<Placed, EngineError> {
        let market = self.market(&req.symbol)?;
        let checked = check_order(market, req)?;
        let id = self.next_order_id().await?;
        self.place_checked(market, user_id, id, &checked, now_ms()).await
    }

    /// Places an already checked order under a given id and time (the benchmark and tests use this).
    pub async fn place_checked(
        &self,
        market: &Market,
        user_id: u64,
        id: u64,
        o: &CheckedOrder,
        now: u64,
    ) -> Result<Placed, EngineError> {
        let reply: Vec<Value> = self.place_invocation(market, user_id, id, o, now).invoke_async(&mut self.conn.clone()).await?;
        match reply_kind(&reply)? {
            ("ok", payload) => {
                let event = Event::parse(payload)?;
                let mut order = event.orders.first().ok_or(EngineError::Protocol("no order".into()))?.to_order(market);
                order.trades = Some(event.trades(market));
                Ok(Placed { order, created: true, event: Some(event) })
            }
            ("dup", payload) => {
                let mut order = wire::decode_order(payload)?.to_order(market);
                order.trades = Some(Vec::new());
                Ok(Placed { order, created: false, event: None })
            }
            ("refused", code) => Err(refusal(code)),
            (kind, _) => Err(EngineError::Protocol(format!("unknown reply kind {kind}"))),
        }
    }

    /// The script call for a placement, for callers that pipeline many of them.
    pub fn place_invocation(
        &self,
        market: &Market,
        user_id: u64,
        id: u64,
        o: &CheckedOrder,
        now: u64,
    ) -> redis::ScriptInvocation<'static> {
        let k = MarketKeys::new(&market.symbol);
        let s = &self.settings;
        let mut inv = scripts::PLACE_ORDER.prepare_invoke();
        inv.key(k.seq())
            .key(k.bids())
            .key(k.asks())
            .key(k.depth_bids())
            .key(k.depth_asks())
            .key(k.trades())
            .key(k.open_bucket(id))
            .key(k.user_open(user_id))
            .key(k.user_closed(user_id))
            .key(k.client_order_id(user_id, &o.client_order_id))
            .arg(id)
            .arg(user_id)
            .arg(o.side as u8)
            .arg(o.order_type as u8)
            .arg(o.time_in_force as u8)
            .arg(u8::from(o.post_only))
            .arg(o.price_ticks)
            .arg(o.quantity_lots)
            .arg(&o.client_order_id)
            .arg(now)
            .arg(s.retention_ms)
            .arg(s.max_fills_per_call)
            .arg(s.trades_stream_len)
            .arg(s.max_open_orders_per_user)
            .arg(s.history_per_user);
        inv
    }

    /// Cancels one of the user's resting orders. Another user's order is `NotFound`.
    pub async fn cancel(&self, user_id: u64, order_id: u64) -> Result<(Order, Event), EngineError> {
        let market = self.locate(order_id).await?.ok_or(EngineError::NotFound)?;
        let k = MarketKeys::new(&market.symbol);
        let s = &self.settings;
        let reply: Vec<Value> = scripts::CANCEL_ORDER
            .key(k.seq())
            .key(k.open_bucket(order_id))
            .key(k.closed(order_id))
            .arg(order_id)
            .arg(user_id)
            .arg(now_ms())
            .arg(s.retention_ms)
            .arg(s.history_per_user)
            .invoke_async(&mut self.conn.clone())
            .await?;
        match reply_kind(&reply)? {
            ("ok", payload) => {
                let event = Event::parse(payload)?;
                let order = event.orders.first().ok_or(EngineError::Protocol("no order".into()))?.to_order(market);
                Ok((order, event))
            }
            ("refused", code) => Err(refusal(code)),
            (kind, _) => Err(EngineError::Protocol(format!("unknown reply kind {kind}"))),
        }
    }

    /// Cancels all the user's resting orders, in one market or in all; one book change per market.
    pub async fn cancel_all(&self, user_id: u64, symbol: Option<&Symbol>) -> Result<(Vec<u64>, Vec<Event>), EngineError> {
        let markets: Vec<&Market> = match symbol {
            Some(s) => vec![self.market(s)?],
            None => self.markets.all().iter().collect(),
        };
        let (mut ids, mut events) = (Vec::new(), Vec::new());
        for market in markets {
            let k = MarketKeys::new(&market.symbol);
            let s = &self.settings;
            let reply: Vec<Value> = scripts::CANCEL_ALL
                .key(k.seq())
                .key(k.user_open(user_id))
                .key(k.user_closed(user_id))
                .arg(user_id)
                .arg(now_ms())
                .arg(s.retention_ms)
                .arg(s.history_per_user)
                .invoke_async(&mut self.conn.clone())
                .await?;
            let ("ok", payload) = reply_kind(&reply)? else {
                return Err(EngineError::Protocol("cancel_all refused".into()));
            };
            let event = Event::parse(payload)?;
            ids.extend(event.orders.iter().map(RawOrder::id));
            if !event.orders.is_empty() {
                events.push(event);
            }
        }
        Ok((ids, events))
    }

    /// The top `depth` levels of each side and the sequence they reflect.
    pub async fn book(&self, symbol: &Symbol, depth: u32) -> Result<BookSnapshot, EngineError> {
        let market = self.market(symbol)?;
        let k = MarketKeys::new(symbol);
        let (seq, bids, asks): (u64, Vec<u64>, Vec<u64>) = scripts::BOOK_SNAPSHOT
            .key(k.seq())
            .key(k.bids())
            .key(k.asks())
            .key(k.depth_bids())
            .key(k.depth_asks())
            .arg(depth)
            .invoke_async(&mut self.conn.clone())
            .await?;
        let levels = |flat: Vec<u64>| -> Vec<BookLevel> {
            flat.chunks_exact(3)
                .map(|c| BookLevel {
                    price: market.ticks_to_price(c[0]),
                    quantity: market.lots_to_quantity(c[1]),
                    order_count: c[2],
                })
                .collect()
        };
        Ok(BookSnapshot {
            symbol: symbol.clone(),
            bids: levels(bids),
            asks: levels(asks),
            sequence: seq,
            timestamp: format_millis(now_ms()),
        })
    }

    /// The market's most recent trades, newest first.
    pub async fn recent_trades(&self, symbol: &Symbol, limit: u32) -> Result<Vec<Trade>, EngineError> {
        let market = self.market(symbol)?;
        let k = MarketKeys::new(symbol);
        let entries: Vec<(String, Vec<(String, Vec<u8>)>)> = redis::cmd("XREVRANGE")
            .arg(k.trades())
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(limit)
            .query_async(&mut self.conn.clone())
            .await?;
        entries
            .iter()
            .filter_map(|(_, fields)| fields.iter().find(|(f, _)| f == "t").map(|(_, v)| v))
            .map(|bytes| {
                let (raw, side, seq, ts) = wire::decode_stream_trade(bytes)?;
                let side = if side == 0 { Side::Buy } else { Side::Sell };
                Ok(raw.to_trade(market, side, seq, ts))
            })
            .collect()
    }

    /// The user's order with this id; `NotFound` when it does not exist or is someone else's.
    pub async fn order(&self, user_id: u64, order_id: u64) -> Result<Order, EngineError> {
        let market = self.locate(order_id).await?.ok_or(EngineError::NotFound)?;
        let raw = self.fetch(market, &[order_id]).await?;
        raw.into_iter()
            .find(|o| o.user_id() == user_id)
            .map(|o| o.to_order(market))
            .ok_or(EngineError::NotFound)
    }

    /// The user's orders, newest (by creation) first, in one market or all.
    pub async fn orders(
        &self,
        user_id: u64,
        symbol: Option<&Symbol>,
        filter: StatusFilter,
        limit: u32,
    ) -> Result<Vec<Order>, EngineError> {
        let markets: Vec<&Market> = match symbol {
            Some(s) => vec![self.market(s)?],
            None => self.markets.all().iter().collect(),
        };
        let mut all = Vec::new();
        for market in markets {
            let k = MarketKeys::new(&market.symbol);
            let raw: Vec<Vec<u8>> = scripts::LIST_ORDERS
                .key(k.seq())
                .key(k.user_open(user_id))
                .key(k.user_closed(user_id))
                .arg(filter.as_arg())
                .arg(limit)
                .invoke_async(&mut self.conn.clone())
                .await?;
            for entry in raw {
                all.push(wire::decode_order(&entry)?.to_order(market));
            }
        }
        all.sort_by(|a, b| b.id.cmp(&a.id));
        all.truncate(limit as usize);
        Ok(all)
    }

    /// Reads orders of one market by id (open or closed, any owner).
    pub async fn fetch(&self, market: &Market, ids: &[u64]) -> Result<Vec<RawOrder>, EngineError> {
        let k = MarketKeys::new(&market.symbol);
        let mut inv = scripts::GET_ORDERS.prepare_invoke();
        inv.key(k.seq());
        for id in ids {
            inv.arg(*id);
        }
        let raw: Vec<Vec<u8>> = inv.invoke_async(&mut self.conn.clone()).await?;
        raw.iter().map(|entry| Ok(wire::decode_order(entry)?)).collect()
    }

    /// Finds which market holds an order: each market is asked in one pipeline.
    async fn locate(&self, order_id: u64) -> Result<Option<&Market>, EngineError> {
        let mut pipe = redis::pipe();
        for m in self.markets.all() {
            let k = MarketKeys::new(&m.symbol);
            pipe.cmd("HEXISTS").arg(k.open_bucket(order_id)).arg(order_id % keys::BUCKET_IDS);
            pipe.cmd("EXISTS").arg(k.closed(order_id));
        }
        let found: Vec<bool> = pipe.query_async(&mut self.conn.clone()).await?;
        Ok(found.chunks(2).position(|c| c[0] || c[1]).map(|i| &self.markets.all()[i]))
    }
}

/// Splits a script's `{kind, payload}` reply.
fn reply_kind(reply: &[Value]) -> Result<(&str, &[u8]), EngineError> {
    match reply {
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
        "order_not_open" => EngineError::Conflict { code: "order_not_open", detail: "the order is already filled or cancelled".into() },
        "too_many_open_orders" => EngineError::Conflict {
            code: "too_many_open_orders",
            detail: "you have reached the maximum number of open orders in this market".into(),
        },
        "level_full" => invalid("invalid_quantity", "the price level cannot hold more quantity"),
        other => EngineError::Protocol(format!("unknown refusal {other}")),
    }
}
