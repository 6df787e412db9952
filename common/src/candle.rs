//! Market data built from the trades: candles of six UTC-aligned intervals, the rolling 24 h ticker,
//! and the server's time (`GET /api/v1/markets/{symbol}/candles`, `/ticker`, `/tickers`, `/time`, and
//! the book feed's `ticker` and `candle` messages).

use serde::{Deserialize, Serialize};

use crate::{Dec, Symbol};

/// A candle's length. Buckets are aligned to UTC: a trade at `t` (ms since the epoch) falls in the
/// candle opening at `t - t % millis`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CandleInterval {
    #[serde(rename = "1m")]
    M1,
    #[serde(rename = "5m")]
    M5,
    #[serde(rename = "15m")]
    M15,
    #[serde(rename = "1h")]
    H1,
    #[serde(rename = "4h")]
    H4,
    #[serde(rename = "1d")]
    D1,
}

impl CandleInterval {
    /// Every interval, shortest first.
    pub const ALL: [CandleInterval; 6] = [Self::M1, Self::M5, Self::M15, Self::H1, Self::H4, Self::D1];

    pub fn name(self) -> &'static str {
        match self {
            Self::M1 => "1m",
            Self::M5 => "5m",
            Self::M15 => "15m",
            Self::H1 => "1h",
            Self::H4 => "4h",
            Self::D1 => "1d",
        }
    }

    pub fn millis(self) -> u64 {
        const MINUTE: u64 = 60_000;
        match self {
            Self::M1 => MINUTE,
            Self::M5 => 5 * MINUTE,
            Self::M15 => 15 * MINUTE,
            Self::H1 => 60 * MINUTE,
            Self::H4 => 240 * MINUTE,
            Self::D1 => 1440 * MINUTE,
        }
    }

    pub fn parse(text: &str) -> Option<CandleInterval> {
        Self::ALL.into_iter().find(|i| i.name() == text)
    }

    /// Its place in `ALL`.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&i| i == self).expect("in ALL")
    }

    /// The open time of the candle holding `ms`.
    pub fn open_time(self, ms: u64) -> u64 {
        ms - ms % self.millis()
    }
}

/// One interval's trades: open and close are its first and last trade's prices in the order the engine
/// matched them, volume is in the base asset and quote volume in the quote asset.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candle {
    pub open_time: String,
    pub open: Dec,
    pub high: Dec,
    pub low: Dec,
    pub close: Dec,
    pub volume: Dec,
    pub quote_volume: Dec,
    pub trades: u64,
}

/// The book feed's `candle`: the candle of `interval` after a trade, and once more with `closed` when
/// its interval has ended.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandleMessage {
    pub symbol: Symbol,
    pub interval: CandleInterval,
    #[serde(flatten)]
    pub candle: Candle,
    pub closed: bool,
}

/// A market's last 24 hours (rolling, from one-minute buckets: docs/api.md) and its best prices now.
/// Price fields are null when nothing traded in the window.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ticker {
    pub symbol: Symbol,
    pub last_price: Option<Dec>,
    pub open_price: Option<Dec>,
    pub high: Option<Dec>,
    pub low: Option<Dec>,
    pub volume: Dec,
    pub quote_volume: Dec,
    pub price_change: Option<Dec>,
    /// Rounded to 2 decimals.
    pub price_change_percent: Option<Dec>,
    pub trades: u64,
    pub best_bid: Option<Dec>,
    pub best_bid_quantity: Option<Dec>,
    pub best_ask: Option<Dec>,
    pub best_ask_quantity: Option<Dec>,
    /// The book's sequence the best prices are read at.
    pub sequence: u64,
    pub timestamp: String,
}

/// `GET /api/v1/time`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerTime {
    pub server_time: String,
    pub epoch_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_and_write_their_names() {
        for i in CandleInterval::ALL {
            assert_eq!(CandleInterval::parse(i.name()), Some(i));
            assert_eq!(serde_json::to_string(&i).unwrap(), format!("\"{}\"", i.name()));
            assert_eq!(CandleInterval::ALL[i.index()], i);
        }
        assert_eq!(CandleInterval::parse("2m"), None);
        assert_eq!(CandleInterval::H4.open_time(1_764_950_400_123 + 3 * 3_600_000), 1_764_950_400_000);
    }
}
