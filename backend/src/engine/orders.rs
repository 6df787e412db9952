//! Placing and cancelling: the engine's writes.

use common::{Market, MarketUnits, NewOrder, Order, Symbol};
use redis::aio::ConnectionLike;
use redis::Value;

use super::check::{check_order, CheckedOrder};
use super::error::EngineError;
use super::handle::Engine;
use super::keys::{self, MarketKeys};
use super::library::{self, Function, Invocation};
use super::reply::{ok_payload, refusal, reply_pair, unknown_kind};
use super::wire::{self, Event, RawOrder, REPLY_DUP, REPLY_OK, REPLY_REFUSED};
use common::time::now_ms;

/// The outcome of a placement.
#[derive(Clone, Debug)]
pub struct Placed {
    /// The order with `trades` set to the fills made on arrival.
    pub order: Order,
    /// False when the client_order_id named an existing order, which is returned unchanged.
    pub created: bool,
    /// What the command did (None for a repeated client_order_id).
    pub event: Option<Event>,
    /// The stop orders its trades triggered, each placed by a command of its own (`lua/stops.lua`).
    pub triggered: Vec<Event>,
}

/// One order of a batch: who places it, under which id.
#[derive(Clone, Debug)]
pub struct BatchOrder<'a> {
    pub user_id: u64,
    pub id: u64,
    pub order: &'a CheckedOrder,
}

impl<C: ConnectionLike + Clone + Send + Sync> Engine<C> {
    /// Runs a script that writes. With `replicas_to_wait`, a `WAIT` follows it in the same pipeline (so on
    /// the same connection: `WAIT` counts that connection's writes) and the write is only acknowledged
    /// once that many replicas have it.
    pub async fn write(&self, call: &Invocation) -> Result<Vec<Value>, EngineError> {
        let mut conn = self.conn();
        let wanted = self.settings().replicas_to_wait;
        if wanted == 0 {
            return Ok(call.invoke_async(&mut conn).await?);
        }
        let mut pipe = redis::pipe();
        pipe.add_command(call.cmd()).cmd("WAIT").arg(wanted).arg(self.settings().replica_wait_ms);
        let (reply, confirmed): (Vec<Value>, u32) = match pipe.query_async(&mut conn).await {
            Err(e) if library::is_missing_function(&e) => {
                // Nothing ran (Redis restarted without persistence, FUNCTION FLUSH): load the library
                // and send it again.
                self.load_library().await?;
                pipe.query_async(&mut conn).await?
            }
            other => other?,
        };
        if confirmed < wanted {
            return Err(EngineError::NotReplicated { confirmed, wanted });
        }
        Ok(reply)
    }

    /// Takes the next order id from the global counter.
    pub async fn next_order_id(&self) -> Result<u64, EngineError> {
        Ok(redis::cmd("INCR").arg(keys::NEXT_ORDER_ID).query_async(&mut self.conn()).await?)
    }

    /// Checks an order against its market (`check_order`); returns the market and the checked order.
    pub fn check(&self, req: &NewOrder) -> Result<(&Market, CheckedOrder), EngineError> {
        let market = self.market(&req.symbol)?;
        Ok((market, check_order(market, self.markets().assets_of(market).1, req)?))
    }

    /// Validates and places an order for `user_id`, matching it at once.
    pub async fn place(&self, user_id: u64, req: &NewOrder) -> Result<Placed, EngineError> {
        let (market, checked) = self.check(req)?;
        let id = self.next_order_id().await?;
        self.place_checked(market, user_id, id, &checked, now_ms()).await
    }

    /// Places an already checked order under a given id and time.
    pub async fn place_checked(
        &self,
        market: &Market,
        user_id: u64,
        id: u64,
        o: &CheckedOrder,
        now: u64,
    ) -> Result<Placed, EngineError> {
        let batch = [BatchOrder { user_id, id, order: o }];
        let mut results = self.place_batch(market, &batch, now).await?;
        results.pop().ok_or(EngineError::Protocol("empty reply".into()))?
    }

    /// Places a batch of checked orders of one market in one atomic script call, in order. The outer
    /// error is the call's (Redis unreachable, …); each order has its own outcome.
    pub async fn place_batch(
        &self,
        market: &Market,
        batch: &[BatchOrder<'_>],
        now: u64,
    ) -> Result<Vec<Result<Placed, EngineError>>, EngineError> {
        if batch
            .iter()
            .any(|b| b.user_id == 0 || b.user_id > u64::from(u32::MAX) || b.id == 0 || b.id > common::MAX_SAFE_INT)
        {
            return Err(EngineError::Protocol("user ids must be 1..2^32 and order ids 1..2^53".into()));
        }
        let reply = self.write(&self.place_invocation(market, batch, now)?).await?;
        read_placements(market, &reply)
    }

    /// The script call for a batch, for callers that pipeline many of them (load the scripts first).
    pub fn place_invocation(
        &self,
        market: &Market,
        batch: &[BatchOrder<'_>],
        now: u64,
    ) -> Result<Invocation, EngineError> {
        let mut inv = self.matching_call(&library::PLACE_ORDERS, market, now)?;
        for b in batch {
            inv.arg(wire::encode_order_arg(b.id, b.user_id, b.order));
        }
        Ok(inv)
    }

    /// A call of a script that matches (place_orders, amend_order): KEYS seq, bids, asks, trades; ARGV
    /// now and the market's limits, units and fee rates (each script's own arguments follow).
    pub(super) fn matching_call(
        &self,
        script: &Function,
        market: &Market,
        now: u64,
    ) -> Result<Invocation, EngineError> {
        let k = MarketKeys::new(&market.symbol);
        let s = self.settings();
        let units = self.units(market)?;
        let (maker_fee, taker_fee) = market.fee_rates_in_millionths();
        let mut inv = script.prepare_invoke();
        inv.key(k.seq()).key(k.bids()).key(k.asks()).key(k.trades());
        inv.arg(now)
            .arg(s.retention_ms)
            .arg(s.max_fills_per_call)
            .arg(s.trades_stream_len)
            .arg(s.max_open_orders_per_user)
            .arg(s.history_per_user)
            .arg(s.max_resting_orders_per_market)
            .arg(units.base_per_lot)
            .arg(units.quote_per_notional)
            .arg(maker_fee)
            .arg(taker_fee)
            .arg(s.fills_per_user)
            .arg(s.stops_per_call);
        Ok(inv)
    }

    /// How a listed market's lots and notionals become units of its assets.
    pub(super) fn units(&self, market: &Market) -> Result<MarketUnits, EngineError> {
        self.markets().units(&market.symbol).ok_or_else(|| EngineError::UnknownSymbol(market.symbol.to_string()))
    }

    /// A call of a script that acts for one user in one market: KEYS seq, the user's open set and closed
    /// hash; ARGV user id, now, retention, history cap, the sweep's step (each script's own arguments
    /// follow).
    fn user_call(&self, script: &Function, market: &Market, user_id: u64) -> Invocation {
        let k = MarketKeys::new(&market.symbol);
        let s = self.settings();
        let mut call = script.prepare_invoke();
        call.key(k.seq()).key(k.user_open(user_id)).key(k.user_closed(user_id));
        call.arg(user_id).arg(now_ms()).arg(s.retention_ms).arg(s.history_per_user).arg(s.level_sweep);
        call
    }

    /// Cancels one of the user's resting orders (its lock back in the user's free funds). Another user's
    /// order is `NotFound`.
    pub async fn cancel(&self, user_id: u64, order_id: u64) -> Result<(Order, Event), EngineError> {
        let market = self.locate(user_id, order_id).await?.ok_or(EngineError::NotFound)?;
        let units = self.units(market)?;
        let mut call = self.user_call(&library::CANCEL_ORDER, market, user_id);
        call.arg(order_id).arg(units.base_per_lot).arg(units.quote_per_notional);
        let event = wire::decode_event(ok_payload(&self.write(&call).await?)?)?;
        let order = first_order(&event)?.to_order(market);
        Ok((order, event))
    }

    /// Cancels all the user's resting orders, in one market or in all; one book change per market.
    /// The events come with their market.
    pub async fn cancel_all(
        &self,
        user_id: u64,
        symbol: Option<&Symbol>,
    ) -> Result<(Vec<u64>, Vec<(Symbol, Event)>), EngineError> {
        let (mut ids, mut events) = (Vec::new(), Vec::new());
        for market in self.markets_for(symbol)? {
            let units = self.units(market)?;
            let mut call = self.user_call(&library::CANCEL_ALL, market, user_id);
            call.arg(units.base_per_lot).arg(units.quote_per_notional);
            let reply = self.write(&call).await?;
            let (REPLY_OK, payload) = reply_pair(&reply)? else {
                return Err(EngineError::Protocol("cancel_all refused".into()));
            };
            let event = wire::decode_event(payload)?;
            ids.extend(event.orders.iter().map(RawOrder::id));
            if !event.orders.is_empty() {
                events.push((market.symbol.clone(), event));
            }
        }
        Ok((ids, events))
    }
}

/// A matching command's payload: its own event, then those of the stops it triggered.
pub(super) fn with_triggered(payload: &[u8]) -> Result<(Event, Vec<Event>), EngineError> {
    let mut events = wire::decode_events(payload)?.into_iter();
    let own = events.next().ok_or(EngineError::Protocol("a reply without its event".into()))?;
    Ok((own, events.collect()))
}

pub(super) fn first_order(event: &Event) -> Result<&RawOrder, EngineError> {
    event.orders.first().ok_or(EngineError::Protocol("an event without its order".into()))
}

/// Reads `place_orders`' reply: a `kind, payload` pair per order.
pub fn read_placements(market: &Market, reply: &[Value]) -> Result<Vec<Result<Placed, EngineError>>, EngineError> {
    if !reply.len().is_multiple_of(2) {
        return Err(EngineError::Protocol("odd reply length".into()));
    }
    reply
        .chunks_exact(2)
        .map(|pair| {
            Ok(match reply_pair(pair)? {
                (REPLY_OK, payload) => {
                    let (event, triggered) = with_triggered(payload)?;
                    let mut order = first_order(&event)?.to_order(market);
                    order.trades = Some(event.trades(market));
                    Ok(Placed { order, created: true, event: Some(event), triggered })
                }
                (REPLY_DUP, payload) => {
                    let mut order = wire::decode_order(payload)?.to_order(market);
                    order.trades = Some(Vec::new());
                    Ok(Placed { order, created: false, event: None, triggered: Vec::new() })
                }
                (REPLY_REFUSED, code) => Err(refusal(code)),
                (kind, _) => return Err(unknown_kind(kind)),
            })
        })
        .collect()
}
