//! Changing an open order (`lua/amend_order.lua`): a lower quantity keeps its place, a higher one or a
//! new price moves it to the back of its (new) level, matching at once where the new price crosses.

use common::{Market, Order, OrderChange};
use redis::aio::ConnectionLike;

use super::error::{invalid, EngineError};
use super::handle::Engine;
use super::library::{self, Invocation};
use super::orders::{first_order, with_triggered};
use super::reply::ok_payload;
use super::wire::Event;
use common::time::now_ms;

/// A change checked against its market: the new quantity in lots and the new price in ticks (None:
/// unchanged).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Change {
    pub quantity_lots: Option<u64>,
    pub price_ticks: Option<u64>,
}

impl Change {
    /// Checks a change against the market's grid and bounds (as an order's quantity and price are).
    pub fn check(market: &Market, change: &OrderChange) -> Result<Change, EngineError> {
        let quantity_lots = change.quantity.map(|q| market.quantity_to_lots(q)).transpose()?;
        let price_ticks = change.price.map(|p| market.price_to_ticks(p)).transpose()?;
        if quantity_lots.is_none() && price_ticks.is_none() {
            return Err(invalid("validation_error", "give a new quantity, a new price or both"));
        }
        Ok(Change { quantity_lots, price_ticks })
    }
}

/// The outcome of a change: the order as it is now (with `trades`, the fills a move made), and what the
/// command did (`book_changed` false when nothing needed to change).
#[derive(Clone, Debug)]
pub struct Amended {
    pub order: Order,
    pub event: Event,
    /// The stop orders a move's trades triggered, each placed by a command of its own.
    pub triggered: Vec<Event>,
}

impl<C: ConnectionLike + Clone + Send + Sync> Engine<C> {
    /// Changes one of the user's open orders. Another user's order is `NotFound`.
    pub async fn amend(&self, user_id: u64, order_id: u64, change: &OrderChange) -> Result<Amended, EngineError> {
        let market = self.locate(user_id, order_id).await?.ok_or(EngineError::NotFound)?;
        let checked = Change::check(market, change)?;
        // The trades of a move take their ids from a fresh order id (see amend_order.lua).
        let trade_id = self.next_order_id().await?;
        self.amend_with_trade_id(market, user_id, order_id, checked, trade_id).await
    }

    /// Changes an order of `market` with a change already checked; the trades a move makes take their
    /// ids from `trade_id`, an order id taken from the global counter and used for nothing else.
    pub async fn amend_with_trade_id(
        &self,
        market: &Market,
        user_id: u64,
        order_id: u64,
        change: Change,
        trade_id: u64,
    ) -> Result<Amended, EngineError> {
        let call = self.amend_invocation(market, user_id, order_id, change, trade_id, now_ms())?;
        read_amend(market, &self.write(&call).await?)
    }

    /// The script call of a change, for callers that pipeline many of them (load the library first).
    pub fn amend_invocation(
        &self,
        market: &Market,
        user_id: u64,
        order_id: u64,
        change: Change,
        trade_id: u64,
        now: u64,
    ) -> Result<Invocation, EngineError> {
        let mut call = self.matching_call(&library::AMEND_ORDER, market, now)?;
        call.arg(user_id)
            .arg(order_id)
            .arg(change.quantity_lots.unwrap_or(0))
            .arg(change.price_ticks.unwrap_or(0))
            .arg(trade_id);
        Ok(call)
    }
}

/// Reads `amend_order`'s reply.
pub fn read_amend(market: &Market, reply: &[redis::Value]) -> Result<Amended, EngineError> {
    let (event, triggered) = with_triggered(ok_payload(reply)?)?;
    let mut order = first_order(&event)?.to_order(market);
    order.trades = Some(event.trades(market));
    Ok(Amended { order, event, triggered })
}
