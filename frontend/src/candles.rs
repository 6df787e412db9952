//! The price chart's data: the candles of one interval as the screen holds them (read over REST, the
//! newest kept live from the feed's `candle` messages) and the scales it is drawn on. No browser needed.

use common::{Candle, CandleMessage};

/// Candles the chart shows at most.
pub const SHOWN: usize = 120;

/// The candles of one market and interval, oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub candles: Vec<Candle>,
}

impl Series {
    pub fn new(mut candles: Vec<Candle>) -> Series {
        candles.sort_by(|a, b| a.open_time.cmp(&b.open_time));
        let drop = candles.len().saturating_sub(SHOWN);
        candles.drain(..drop);
        Series { candles }
    }

    /// Takes in a live candle: it replaces the one of its open time, or opens a new one after the
    /// newest. (Timestamps in the contract's one format compare as text.)
    pub fn take(&mut self, live: &CandleMessage) {
        let c = &live.candle;
        let newer = self.candles.last().is_none_or(|last| last.open_time < c.open_time);
        match self.candles.iter_mut().rev().find(|old| old.open_time == c.open_time) {
            Some(old) => *old = c.clone(),
            None if newer => {
                self.candles.push(c.clone());
                if self.candles.len() > SHOWN {
                    self.candles.remove(0);
                }
            }
            None => {}
        }
    }

    /// The newest `n` candles.
    pub fn newest(&self, n: usize) -> Series {
        Series { candles: self.candles[self.candles.len().saturating_sub(n)..].to_vec() }
    }

    /// Lowest low and highest high (as drawn: floats), and the largest volume.
    pub fn ranges(&self) -> Option<(f64, f64, f64)> {
        let f = |d: common::Dec| d.to_string().parse::<f64>().unwrap_or(0.0);
        let first = self.candles.first()?;
        let (mut lo, mut hi, mut vol) = (f(first.low), f(first.high), 0.0f64);
        for c in &self.candles {
            lo = lo.min(f(c.low));
            hi = hi.max(f(c.high));
            vol = vol.max(f(c.volume));
        }
        Some((lo, hi, vol))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::{CandleInterval, Dec, Symbol};

    fn candle(minute: u32, close: &str) -> Candle {
        let d = |s: &str| Dec::parse(s).unwrap();
        Candle {
            open_time: format!("2026-12-06T21:{minute:02}:00.000Z"),
            open: d("100"),
            high: d("110"),
            low: d("90"),
            close: d(close),
            volume: d("2"),
            quote_volume: d("200"),
            trades: 3,
        }
    }

    fn live(c: Candle) -> CandleMessage {
        CandleMessage {
            symbol: Symbol::parse("BTC/USD").unwrap(),
            interval: CandleInterval::M1,
            candle: c,
            closed: false,
        }
    }

    #[test]
    fn live_candles_replace_their_own_or_open_the_next() {
        let mut s = Series::new(vec![candle(2, "101"), candle(1, "99")]);
        assert_eq!(s.candles[0].open_time, "2026-12-06T21:01:00.000Z", "oldest first");
        s.take(&live(candle(2, "105")));
        assert_eq!((s.candles.len(), s.candles[1].close.to_string()), (2, "105".into()));
        s.take(&live(candle(3, "106")));
        assert_eq!(s.candles.len(), 3);
        s.take(&live(candle(0, "1")));
        assert_eq!(s.candles.len(), 3, "an older candle than the chart holds is not added");
        assert_eq!(s.ranges(), Some((90.0, 110.0, 2.0)));
        assert_eq!(s.newest(2).candles, s.candles[1..].to_vec());
        assert_eq!(s.newest(9), s);
    }
}
