//! Market data made from the trades: candles, the rolling 24 h ticker, and the book feed's `candle` and
//! `ticker` messages (docs/market-data.md).
//!
//! Candles are folded from each market's trades stream by `lua/fold_candles.lua`, which moves a mark
//! past what it folded in the same atomic step: every instance folds every market (after each event
//! with trades, at most every `FOLD_GAP`, and once a second), and a trade is counted once whoever folds
//! it, across restarts and failovers, since the mark lives with the stream and the candles in the
//! market's slot. The matching scripts never touch candles. Each instance keeps what it needs to tell
//! its own WebSocket clients (`tracker`): changed candles after each fold, closed ones after their end,
//! and the ticker once a second while it changes.

mod flight;
mod tracker;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;

use common::time::{format_millis, now_ms};
use common::{BookSnapshot, Candle, CandleInterval, CandleMessage, Dec, Market, ServerMessage, Symbol, Ticker};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::engine::wire::RawCandle;
use crate::engine::{Engine, EngineError};
use crate::feed::messages::text;
use crate::feed::{Feed, MarketDataItem};
use crate::redis::RedisPool;
use flight::Flight;
pub use tracker::{CandleChange, DayStats, Tracker, LATE_MS, WINDOW_MINUTES};

/// The least time between two folds a market's trades ask for (more trades meanwhile wait for the next
/// one): candle messages come at most this late, and a busy market costs Redis one fold per gap.
pub const FOLD_GAP: Duration = Duration::from_millis(25);

/// Candle answers kept per market (the newest `limit` of an interval is what charts ask for; a few
/// limits and ranges are common). When full, all go: a miss costs one read.
const ANSWERS_KEPT: usize = 32;

/// What a candles request asks for: interval, open-time range, limit, newest (not first) `limit`.
type CandleQuery = (CandleInterval, (u64, u64), u32, bool);

/// One market's state on this instance.
#[derive(Default)]
struct MarketState {
    tracker: Mutex<Tracker>,
    /// Folds on this instance, one at a time, shared by the requests that wait for one at once.
    folding: Flight,
    /// A fold and then the book's best levels, shared likewise by ticker requests; and those levels.
    topping: Flight,
    top: Mutex<Option<BookSnapshot>>,
    /// The candles' version as of this instance's last fold (`Folded::version`: they change only when
    /// it grows).
    version: AtomicU64,
    /// Recent candle answers, as JSON, with the version and the feed's epoch they were read at (a
    /// failover that lost writes moves the epoch, whatever the version says after it).
    answers: Mutex<HashMap<CandleQuery, (u64, u64, Bytes)>>,
}

pub struct MarketData {
    engine: Engine<RedisPool>,
    feed: Arc<Feed>,
    markets: HashMap<Symbol, MarketState>,
}

impl MarketData {
    /// Starts folding every market's trades (a task per market) and returns the handle.
    pub fn start(engine: Engine<RedisPool>, feed: Arc<Feed>) -> Arc<MarketData> {
        let markets = engine.markets().all().iter().map(|m| (m.symbol.clone(), MarketState::default())).collect();
        let data = Arc::new(MarketData { engine, feed, markets });
        for symbol in data.markets.keys() {
            tokio::spawn(run(data.clone(), symbol.clone()));
        }
        data
    }

    fn state(&self, symbol: &Symbol) -> Result<&MarketState, EngineError> {
        self.markets.get(symbol).ok_or_else(|| EngineError::UnknownSymbol(symbol.to_string()))
    }

    /// Folds the market's trades not folded yet (by anyone) and tells this instance's candle
    /// subscribers what changed. After it, the candles hold every trade that happened before the call.
    pub async fn refresh(&self, symbol: &Symbol) -> Result<(), EngineError> {
        let state = self.state(symbol)?;
        let market = self.engine.market(symbol)?;
        state.folding.share(self.fold(symbol, market, state)).await
    }

    /// Folds until nothing is left to fold (see `refresh`).
    async fn fold(&self, symbol: &Symbol, market: &Market, state: &MarketState) -> Result<(), EngineError> {
        loop {
            let since = lock(&state.tracker).since(now_ms());
            let folded = self.engine.fold_candles(symbol, since).await?;
            if state.version.swap(folded.version, Ordering::AcqRel) > folded.version {
                // Fewer entries folded than before: Redis lost writes (a failover); so may the answers.
                lock(&state.answers).clear();
            }
            let changes = {
                let mut tracker = lock(&state.tracker);
                if folded.lost > tracker.lost_seen {
                    tracing::error!(
                        %symbol, lost = folded.lost,
                        "trades-stream entries were trimmed before they were folded into candles: candles miss trades"
                    );
                    tracker.lost_seen = folded.lost;
                }
                tracker.apply(&folded, now_ms())
            };
            self.tell(market, changes);
            if !folded.more {
                return Ok(());
            }
        }
    }

    fn tell(&self, market: &Market, changes: Vec<CandleChange>) {
        if changes.is_empty() || !self.feed.watched(&market.symbol) {
            return;
        }
        for change in changes {
            let (interval, raw, closed) = match change {
                CandleChange::Updated(i, c) => (i, c, false),
                CandleChange::Closed(i, c) => (i, c, true),
            };
            let message = candle_message(market, interval, &raw, closed);
            self.feed.publish_market_data(&market.symbol, MarketDataItem::Candle(interval, message));
        }
    }

    /// The market's candles of `interval` opening in `[start, end)`, oldest first: the first `limit`, or
    /// with `newest` the last `limit`, as the JSON array the API answers. Every trade before the call is
    /// in them. Answers are kept and given again while the candles' version stands.
    pub async fn candles_json(
        &self,
        symbol: &Symbol,
        interval: CandleInterval,
        range: (u64, u64),
        limit: u32,
        newest: bool,
    ) -> Result<Bytes, EngineError> {
        self.refresh(symbol).await?;
        let state = self.state(symbol)?;
        let market = self.engine.market(symbol)?;
        let query = (interval, range, limit, newest);
        let (version, epoch) = (state.version.load(Ordering::Acquire), self.feed.epoch());
        if let Some((v, e, body)) = lock(&state.answers).get(&query) {
            if (*v, *e) == (version, epoch) {
                return Ok(body.clone());
            }
        }
        // (Read after the fold: it holds at least what `version` says, so it may stand for it.)
        let raw = self.engine.candles(symbol, interval, range, limit, newest).await?;
        let candles: Vec<Candle> = raw.iter().map(|c| candle(market, c)).collect();
        let body = Bytes::from(serde_json::to_vec(&candles).expect("candles serialize"));
        let mut answers = lock(&state.answers);
        if answers.len() >= ANSWERS_KEPT {
            answers.clear();
        }
        answers.insert(query, (version, epoch, body.clone()));
        Ok(body)
    }

    /// The market's 24 h ticker now, every trade before the call counted.
    pub async fn ticker(&self, symbol: &Symbol) -> Result<Ticker, EngineError> {
        let state = self.state(symbol)?;
        let top = async {
            self.refresh(symbol).await?;
            *lock(&state.top) = Some(self.engine.book(symbol, 1).await?);
            Ok::<(), EngineError>(())
        };
        state.topping.share(top).await?;
        let book = lock(&state.top).clone().expect("a finished topping run leaves the top");
        let now = now_ms();
        let day = lock(&state.tracker).day(now);
        Ok(ticker(self.engine.market(symbol)?, &day, &book, now))
    }

    /// The market's 24 h ticker from the trades folded so far (with the book's best levels now).
    async fn ticker_as_folded(&self, symbol: &Symbol) -> Result<Ticker, EngineError> {
        let book = self.engine.book(symbol, 1).await?;
        let now = now_ms();
        let day = lock(&self.state(symbol)?.tracker).day(now);
        Ok(ticker(self.engine.market(symbol)?, &day, &book, now))
    }

    /// The `candle` message of the interval's candle open now, if anything traded in it yet (what a
    /// client that subscribes is sent first).
    pub fn current_candle(&self, symbol: &Symbol, interval: CandleInterval) -> Option<axum::extract::ws::Utf8Bytes> {
        let market = self.engine.market(symbol).ok()?;
        let raw = lock(&self.state(symbol).ok()?.tracker).current(interval, now_ms())?;
        Some(candle_message(market, interval, &raw, false))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Folds the market's trades as they happen and tells this instance's clients: candles after each
/// fold, closes and the ticker once a second.
async fn run(data: Arc<MarketData>, symbol: Symbol) {
    let Some(traded) = data.feed.trades_signal(&symbol) else { return };
    let mut second = tokio::time::interval(Duration::from_secs(1));
    second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_ticker: Option<Ticker> = None;
    loop {
        let each_second = tokio::select! {
            _ = traded.notified() => false,
            _ = second.tick() => true,
        };
        if let Err(e) = data.refresh(&symbol).await {
            tracing::debug!(%symbol, error = %e, "folding candles failed; trying again");
            crate::metrics::METRICS.redis_errors.with_label_values(&["candles"]).inc();
            continue;
        }
        if each_second {
            let Ok(state) = data.state(&symbol) else { return };
            let closing = lock(&state.tracker).closing(now_ms());
            if let Ok(market) = data.engine.market(&symbol) {
                data.tell(market, closing);
            }
            if data.feed.watched(&symbol) {
                if let Ok(t) = data.ticker_as_folded(&symbol).await {
                    // Sent while it changes (its time aside).
                    if last_ticker
                        .as_ref()
                        .is_none_or(|last| Ticker { timestamp: t.timestamp.clone(), ..last.clone() } != t)
                    {
                        data.feed.publish_market_data(
                            &symbol,
                            MarketDataItem::Ticker(text(&ServerMessage::Ticker { data: t.clone() })),
                        );
                        last_ticker = Some(t);
                    }
                }
            }
        } else {
            tokio::time::sleep(FOLD_GAP).await;
        }
    }
}

fn candle_message(
    market: &Market,
    interval: CandleInterval,
    raw: &RawCandle,
    closed: bool,
) -> axum::extract::ws::Utf8Bytes {
    let data = CandleMessage { symbol: market.symbol.clone(), interval, candle: candle(market, raw), closed };
    text(&ServerMessage::Candle { data })
}

/// A candle as the contract writes it.
pub fn candle(market: &Market, c: &RawCandle) -> Candle {
    Candle {
        open_time: format_millis(c.open_ms),
        open: market.ticks_to_price(c.open),
        high: market.ticks_to_price(c.high),
        low: market.ticks_to_price(c.low),
        close: market.ticks_to_price(c.close),
        volume: times(c.volume_lots, market.lot_size),
        quote_volume: times(c.notional, Dec::from(market.tick_size.0 * market.lot_size.0)),
        trades: c.trades,
    }
}

/// A ticker from the day's figures and the book's best levels.
pub fn ticker(market: &Market, day: &DayStats, book: &BookSnapshot, now: u64) -> Ticker {
    let price = |ticks: u64| market.ticks_to_price(ticks);
    let (open, high, low, last) = match day.prices {
        Some((o, h, l, c)) => (Some(price(o)), Some(price(h)), Some(price(l)), Some(price(c))),
        None => (None, None, None, None),
    };
    let change = day.prices.map(|(o, _, _, c)| Dec::from(price(c).0 - price(o).0));
    let percent = day.prices.and_then(|(o, _, _, c)| {
        let (o, c) = (Decimal::from(o), Decimal::from(c));
        let p = (c - o).checked_mul(Decimal::from(100))?.checked_div(o)?;
        Some(Dec::from(p.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)))
    });
    let (bid, ask) = (book.bids.first(), book.asks.first());
    Ticker {
        symbol: market.symbol.clone(),
        last_price: last,
        open_price: open,
        high,
        low,
        volume: times(day.volume_lots, market.lot_size),
        quote_volume: times(day.notional, Dec::from(market.tick_size.0 * market.lot_size.0)),
        price_change: change,
        price_change_percent: percent,
        trades: day.trades,
        best_bid: bid.map(|l| l.price),
        best_bid_quantity: bid.map(|l| l.quantity),
        best_ask: ask.map(|l| l.price),
        best_ask_quantity: ask.map(|l| l.quantity),
        sequence: book.sequence,
        timestamp: format_millis(now),
    }
}

/// `count × step`, exactly (a count past what a decimal holds, 2^96, is beyond any real market).
fn times(count: u128, step: Dec) -> Dec {
    let count = i128::try_from(count).ok().and_then(|c| Decimal::try_from_i128_with_scale(c, 0).ok());
    Dec::from(count.and_then(|c| c.checked_mul(step.0)).unwrap_or(Decimal::MAX))
}
