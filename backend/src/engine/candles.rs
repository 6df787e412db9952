//! Candles: folding the trades stream into them (`lua/fold_candles.lua`) and reading them back.

use common::{CandleInterval, Symbol};
use redis::aio::ConnectionLike;

use super::error::EngineError;
use super::handle::Engine;
use super::keys::MarketKeys;
use super::library;
use super::wire::{decode_candle, RawCandle};

/// Stream entries one fold call takes at most (each is one matching call's trades): enough to catch
/// up quickly, few enough that a call stays within a millisecond or two.
const FOLD_ENTRIES: u32 = 500;

/// A time after every candle's open (epoch ms): the largest integer Lua's doubles hold exactly, for an
/// open range's end or a fold that wants no candles back.
pub const END_OF_TIME: u64 = (1 << 53) - 1;

/// What a fold call did, and each interval's candles from the open time asked for.
#[derive(Clone, Debug, Default)]
pub struct Folded {
    /// Stream entries folded by this call.
    pub entries: u64,
    /// Whether entries remain to fold.
    pub more: bool,
    /// Stream entries trimmed before any call folded them, since candles began (0 unless the folding
    /// fell a whole stream's length behind).
    pub lost: u64,
    /// Stream entries folded (or lost) by every call so far: the market's candles change only when it
    /// grows, so it versions them.
    pub version: u64,
    /// Per interval (`CandleInterval::ALL` order), its candles opening at or after the time asked for,
    /// oldest first.
    pub candles: [Vec<RawCandle>; 6],
}

impl<C: ConnectionLike + Clone + Send + Sync> Engine<C> {
    /// Folds the trades no call has folded yet into the market's candles, and answers each interval's
    /// candles opening at or after `since[interval]`.
    pub async fn fold_candles(&self, symbol: &Symbol, since: [u64; 6]) -> Result<Folded, EngineError> {
        self.market(symbol)?;
        let k = MarketKeys::new(symbol);
        let mut call = library::FOLD_CANDLES.key(k.seq());
        call.key(k.trades()).arg(FOLD_ENTRIES).arg(self.settings().candles_kept);
        for (interval, from) in CandleInterval::ALL.into_iter().zip(since) {
            call.arg(interval.name()).arg(interval.millis()).arg(from);
        }
        type Members = Vec<Vec<u8>>;
        let (entries, more, lost, version, m1, m5, m15, h1, h4, d1): (
            u64,
            u8,
            u64,
            u64,
            Members,
            Members,
            Members,
            Members,
            Members,
            Members,
        ) = call.invoke_async(&mut self.conn()).await?;
        let mut candles: [Vec<RawCandle>; 6] = Default::default();
        for (out, members) in candles.iter_mut().zip([m1, m5, m15, h1, h4, d1]) {
            *out = members.iter().map(|m| decode_candle(m)).collect::<Result<_, _>>()?;
        }
        Ok(Folded { entries, more: more != 0, lost, version, candles })
    }

    /// The candles of `interval` opening in `[start, end)`, oldest first: the first `limit` of them, or
    /// with `newest` the last `limit`.
    pub async fn candles(
        &self,
        symbol: &Symbol,
        interval: CandleInterval,
        (start, end): (u64, u64),
        limit: u32,
        newest: bool,
    ) -> Result<Vec<RawCandle>, EngineError> {
        self.market(symbol)?;
        let key = MarketKeys::new(symbol).candles(interval.name());
        let exclusive_end = format!("({end}");
        let mut cmd = redis::cmd(if newest { "ZREVRANGEBYSCORE" } else { "ZRANGEBYSCORE" });
        if newest {
            cmd.arg(&key).arg(&exclusive_end).arg(start);
        } else {
            cmd.arg(&key).arg(start).arg(&exclusive_end);
        }
        let members: Vec<Vec<u8>> = cmd.arg("LIMIT").arg(0).arg(limit).query_async(&mut self.conn()).await?;
        let mut out: Vec<RawCandle> = members.iter().map(|m| decode_candle(m)).collect::<Result<_, _>>()?;
        if newest {
            out.reverse();
        }
        Ok(out)
    }
}
