//! What one instance knows of a market's candles: the newest of each interval (to tell the book feed
//! what changed and when a candle closed) and the last day of one-minute candles (what the 24 h ticker
//! is made of). Plain state, fed by the folds (`Engine::fold_candles`); no I/O.

use std::collections::BTreeMap;

use common::CandleInterval;

use crate::engine::wire::RawCandle;
use crate::engine::Folded;

/// The ticker's window: the one-minute candle holding now and the 1,439 before it (from 23 h 59 min to
/// 24 h of trades).
pub const WINDOW_MINUTES: u64 = 1440;
/// How far before the newest one-minute candle a fold looks again: a trade stamped by an instance whose
/// clock is behind (up to this much) may land in an older minute, and the ticker counts it all the same.
pub const LATE_MS: u64 = 60_000;
/// How long after a candle's end it is told closed: trades stamped just before the end (by an instance
/// whose clock is a little behind, or still in flight) are folded first.
pub const CLOSE_GRACE_MS: u64 = 1000;

/// A change the book feed tells its candle subscribers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandleChange {
    /// The interval's newest candle after new trades.
    Updated(CandleInterval, RawCandle),
    /// A candle whose interval has ended, as it ended.
    Closed(CandleInterval, RawCandle),
}

/// The 24 h figures of the ticker, in ticks, lots and ticks × lots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayStats {
    /// Open, high, low and last prices; None when nothing traded in the window.
    pub prices: Option<(u64, u64, u64, u64)>,
    pub volume_lots: u128,
    pub notional: u128,
    pub trades: u64,
}

#[derive(Default)]
pub struct Tracker {
    /// Per interval (`CandleInterval::ALL` order), its newest candle known.
    newest: [Option<RawCandle>; 6],
    /// Per interval, the open time of the last candle told closed.
    told_closed: [u64; 6],
    /// One-minute candles by open time, the ticker's window and a little more.
    minutes: BTreeMap<u64, RawCandle>,
    /// Whether a fold was taken in: what the first one returns was there before, and is not news.
    started: bool,
    /// Trades-stream entries lost to the candles, as last reported (to say so once per loss).
    pub lost_seen: u64,
    /// The last `day` figures and the window start they were taken at, until a fold changes a minute.
    day_taken: Option<(u64, DayStats)>,
}

impl Tracker {
    /// For each interval, the open time from which the next fold should return its candles: the newest
    /// known (it may have changed; for one-minute candles, from `LATE_MS` before it), or on a first fold the whole ticker window of one-minute candles and
    /// the previous and current candle of the others.
    pub fn since(&self, now: u64) -> [u64; 6] {
        let mut since = [0; 6];
        for (k, interval) in CandleInterval::ALL.into_iter().enumerate() {
            since[k] = match self.newest[k] {
                Some(c) if k == 0 => c.open_ms.saturating_sub(LATE_MS),
                Some(c) => c.open_ms,
                None if k == 0 => window_start(now),
                None => interval.open_time(now).saturating_sub(interval.millis()),
            };
        }
        since
    }

    /// Takes in a fold's candles; returns what the candle subscribers are to be told, oldest first.
    pub fn apply(&mut self, folded: &Folded, now: u64) -> Vec<CandleChange> {
        let mut changes = Vec::new();
        for (k, interval) in CandleInterval::ALL.into_iter().enumerate() {
            for &c in &folded.candles[k] {
                if k == 0 && self.minutes.insert(c.open_ms, c) != Some(c) {
                    self.day_taken = None;
                }
                match self.newest[k] {
                    // The first fold: nothing to tell; a candle already ended counts as told.
                    None if !self.started => {
                        if c.open_ms + interval.millis() <= now {
                            self.told_closed[k] = c.open_ms;
                        }
                    }
                    None => changes.push(CandleChange::Updated(interval, c)),
                    Some(n) if c.open_ms < n.open_ms || c == n => continue,
                    Some(n) => {
                        if c.open_ms > n.open_ms && self.told_closed[k] < n.open_ms {
                            self.told_closed[k] = n.open_ms;
                            changes.push(CandleChange::Closed(interval, n));
                        }
                        changes.push(CandleChange::Updated(interval, c));
                    }
                }
                if self.newest[k].is_none_or(|n| c.open_ms >= n.open_ms) {
                    self.newest[k] = Some(c);
                }
            }
        }
        self.started = true;
        let keep_from = window_start(now).saturating_sub(CandleInterval::M1.millis());
        self.minutes = self.minutes.split_off(&keep_from);
        changes
    }

    /// The candles whose interval ended more than `CLOSE_GRACE_MS` ago and that were not told closed yet
    /// (call it right after a fold).
    pub fn closing(&mut self, now: u64) -> Vec<CandleChange> {
        let mut changes = Vec::new();
        for (k, interval) in CandleInterval::ALL.into_iter().enumerate() {
            if let Some(n) = self.newest[k] {
                if n.open_ms + interval.millis() + CLOSE_GRACE_MS <= now && self.told_closed[k] < n.open_ms {
                    self.told_closed[k] = n.open_ms;
                    changes.push(CandleChange::Closed(interval, n));
                }
            }
        }
        changes
    }

    /// The interval's candle holding `now`, if anything traded in it yet.
    pub fn current(&self, interval: CandleInterval, now: u64) -> Option<RawCandle> {
        self.newest[interval.index()].filter(|c| c.open_ms == interval.open_time(now))
    }

    /// The ticker's figures over the window ending at `now` (added up again only when a minute
    /// changed or the window moved).
    pub fn day(&mut self, now: u64) -> DayStats {
        let from = window_start(now);
        if let Some((taken_from, day)) = self.day_taken {
            if taken_from == from {
                return day;
            }
        }
        let mut day = DayStats::default();
        for c in self.minutes.range(from..).map(|(_, c)| c) {
            day.prices = Some(match day.prices {
                None => (c.open, c.high, c.low, c.close),
                Some((open, high, low, _)) => (open, high.max(c.high), low.min(c.low), c.close),
            });
            day.volume_lots += c.volume_lots;
            day.notional += c.notional;
            day.trades += c.trades;
        }
        self.day_taken = Some((from, day));
        day
    }
}

/// The open time of the window's oldest one-minute candle.
fn window_start(now: u64) -> u64 {
    let minute = CandleInterval::M1.millis();
    CandleInterval::M1.open_time(now).saturating_sub((WINDOW_MINUTES - 1) * minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_765_054_800_000; // a day's start (UTC)

    fn candle(open_ms: u64, price: u64, trades: u64) -> RawCandle {
        RawCandle {
            open_ms,
            open: price,
            high: price + 5,
            low: price - 5,
            close: price + 1,
            volume_lots: 10 * u128::from(trades),
            notional: 10 * u128::from(trades * price),
            trades,
        }
    }

    fn folded_1m(candles: &[RawCandle]) -> Folded {
        let mut f = Folded::default();
        f.candles[0] = candles.to_vec();
        f
    }

    #[test]
    fn the_first_fold_tells_nothing_and_later_ones_tell_each_change_and_each_close_once() {
        let mut t = Tracker::default();
        let now = T0 + 30_000;
        assert_eq!(t.since(now)[0], T0 - 1439 * 60_000);
        assert!(t.apply(&folded_1m(&[candle(T0, 100, 1)]), now).is_empty());
        assert_eq!(t.since(now)[0], T0 - LATE_MS, "a minute back: trades stamped late still count");
        let c = candle(T0, 100, 2);
        assert_eq!(t.apply(&folded_1m(&[c]), now), vec![CandleChange::Updated(CandleInterval::M1, c)]);
        assert!(t.apply(&folded_1m(&[c]), now).is_empty(), "unchanged: nothing to tell");
        assert!(t.closing(T0 + 60_000).is_empty(), "not before the grace has passed");
        assert_eq!(t.closing(T0 + 61_000), vec![CandleChange::Closed(CandleInterval::M1, c)]);
        assert!(t.closing(T0 + 70_000).is_empty(), "once");
        // A fold that sees the old candle grow and a new one start tells the close before the new one.
        let mut t = Tracker::default();
        t.apply(&folded_1m(&[candle(T0, 100, 1)]), now);
        let (old, new) = (candle(T0, 100, 3), candle(T0 + 60_000, 110, 1));
        assert_eq!(
            t.apply(&folded_1m(&[old, new]), T0 + 60_500),
            vec![
                CandleChange::Updated(CandleInterval::M1, old),
                CandleChange::Closed(CandleInterval::M1, old),
                CandleChange::Updated(CandleInterval::M1, new)
            ]
        );
        assert_eq!(t.current(CandleInterval::M1, T0 + 60_500), Some(new));
        assert_eq!(t.current(CandleInterval::M1, T0 + 120_000), None);
        // A market's first candle, after a first fold that found none, is news.
        let mut t = Tracker::default();
        assert!(t.apply(&Folded::default(), now).is_empty());
        assert_eq!(t.apply(&folded_1m(&[c]), now), vec![CandleChange::Updated(CandleInterval::M1, c)]);
    }

    #[test]
    fn the_day_covers_the_last_1440_minutes_only() {
        let mut t = Tracker::default();
        let now = T0 + 1440 * 60_000 + 5_000; // the next day's first minute
        let candles = [candle(T0, 100, 1), candle(T0 + 60_000, 200, 2), candle(T0 + 1440 * 60_000, 150, 3)];
        t.apply(&folded_1m(&candles), now);
        let day = t.day(now);
        assert_eq!(day.prices, Some((200, 205, 145, 151)), "open of the oldest kept, close of the newest");
        assert_eq!((day.trades, day.volume_lots), (5, 50));
        // A minute that grows changes the day at once (the figures are not kept past a change).
        t.apply(&folded_1m(&[candle(T0 + 1440 * 60_000, 150, 4)]), now);
        assert_eq!((t.day(now).trades, t.day(now).volume_lots), (6, 60));
        assert_eq!(t.day(now + 2 * 1440 * 60_000), DayStats::default());
    }
}
