//! Stop orders left for later (`lua/stops.lua`, "Bounded work"): a call places at most
//! `stops_per_call` of the stops its trades reach, and what is left waits for the market's next call.
//! `trigger_stops` is such a call, and `start_stop_ticks` makes one for every market every `STOP_TICK`
//! (and again at once while some are left), so that nothing reached waits longer than the contract's
//! 100 ms even when no other command comes.

use std::time::Duration;

use common::Market;
use redis::aio::ConnectionLike;
use redis::Value;

use super::error::EngineError;
use super::handle::Engine;
use super::keys::MarketKeys;
use super::library;
use super::wire::{self, Event, REPLY_OK};
use common::time::now_ms;

/// How often each market is looked at for stops left for later.
pub const STOP_TICK: Duration = Duration::from_millis(25);

impl<C: ConnectionLike + Clone + Send + Sync> Engine<C> {
    /// Places stops that earlier calls' trades reached and left for later, within one call's budget.
    /// Returns their events (published like any other) and whether some are still left.
    pub async fn trigger_stops(&self, market: &Market) -> Result<(Vec<Event>, bool), EngineError> {
        let call = self.matching_call(&library::TRIGGER_STOPS, market, now_ms())?;
        match self.write(&call).await?.as_slice() {
            [Value::BulkString(kind), Value::BulkString(events), Value::BulkString(left)]
                if kind == REPLY_OK.as_bytes() =>
            {
                Ok((wire::decode_events(events)?, left.as_slice() == b"1"))
            }
            other => Err(EngineError::Protocol(format!("trigger_stops replied {other:?}"))),
        }
    }

    /// Whether stops reached in `market` wait for a later call: a plain key lookup, far cheaper than a
    /// function call, for the tick to make 40 times a second per market.
    pub async fn stops_left(&self, market: &Market) -> Result<bool, EngineError> {
        let key = MarketKeys::new(&market.symbol).stops_reached();
        Ok(redis::cmd("EXISTS").arg(key).query_async::<bool>(&mut self.conn()).await?)
    }

    /// Places every stop left for later in `market`, a call at a time. Returns their events.
    pub async fn trigger_all_stops(&self, market: &Market) -> Result<Vec<Event>, EngineError> {
        let mut all = Vec::new();
        loop {
            let (events, left) = self.trigger_stops(market).await?;
            all.extend(events);
            if !left {
                return Ok(all);
            }
        }
    }

    /// Looks at every market every `STOP_TICK` until the process ends (every instance does: the calls
    /// are atomic, so racing instances place nothing twice); errors are logged and retried.
    pub fn start_stop_ticks(&self) -> tokio::task::JoinHandle<()>
    where
        C: 'static,
    {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(STOP_TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                for market in engine.markets().all() {
                    let placed = match engine.stops_left(market).await {
                        Ok(true) => engine.trigger_all_stops(market).await,
                        Ok(false) => Ok(Vec::new()),
                        Err(e) => Err(e),
                    };
                    match placed {
                        Ok(events) if !events.is_empty() => {
                            tracing::debug!(symbol = %market.symbol, events = events.len(), "placed stops left for later")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(symbol = %market.symbol, error = %e, "stop tick failed; retrying"),
                    }
                }
            }
        })
    }
}
