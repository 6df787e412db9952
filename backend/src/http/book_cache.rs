//! Book snapshots per market, read at a few fixed depths ("tiers") and kept with the sequence they
//! reflect and the feed's epoch, so that any depth a client asks for costs at most one snapshot script
//! per tier and sequence, and a deep one at most one per `DEEP_MAX_AGE`:
//! - a snapshot of a shallow tier (≤ 50 levels) is served only while the market's sequence has not
//!   moved: it is exactly the book now;
//! - a snapshot of a deep tier may be served for `DEEP_MAX_AGE` after it was taken even if the book has
//!   moved since (it says its own sequence, so a client applies the updates after it), and only one
//!   request at a time takes a new one: a crowd asking for 1,000 levels of a busy book costs Redis one
//!   script every 100 ms, not one each;
//! - the epoch changes when a sequence may have gone back (a failover that lost writes), after which
//!   the same sequence can name another book: nothing of an older epoch is served.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use common::{BookSnapshot, Symbol};

/// The depths snapshots are taken at; a request is served from the smallest that covers it.
pub const TIERS: [u32; 4] = [10, 50, 200, 1000];
/// Tiers deeper than this may be served a little old.
const SHALLOW: u32 = 50;
/// How old a deep snapshot may be served.
pub const DEEP_MAX_AGE: Duration = Duration::from_millis(100);

/// The tier that serves `depth` (1-1000).
pub fn tier(depth: u32) -> u32 {
    TIERS.into_iter().find(|&t| t >= depth).unwrap_or(TIERS[TIERS.len() - 1])
}

/// One snapshot of a tier, and its JSON.
pub struct Taken {
    pub book: BookSnapshot,
    pub body: Bytes,
    epoch: u64,
    at: Instant,
}

impl Taken {
    pub fn new(book: BookSnapshot, epoch: u64) -> Result<Taken, serde_json::Error> {
        let body = Bytes::from(serde_json::to_vec(&book)?);
        Ok(Taken { book, body, epoch, at: Instant::now() })
    }

    /// Its first `depth` levels per side.
    pub fn cut(&self, depth: u32) -> BookSnapshot {
        let depth = depth as usize;
        BookSnapshot {
            bids: self.book.bids.iter().take(depth).cloned().collect(),
            asks: self.book.asks.iter().take(depth).cloned().collect(),
            ..self.book.clone()
        }
    }

    /// The JSON of its first `depth` levels per side.
    pub fn body(&self, depth: u32) -> Result<Bytes, serde_json::Error> {
        if self.book.bids.len() <= depth as usize && self.book.asks.len() <= depth as usize {
            return Ok(self.body.clone());
        }
        Ok(Bytes::from(serde_json::to_vec(&self.cut(depth))?))
    }
}

/// What a deep tier's snapshot is taken under, one per (market, tier).
type ReadLock = Arc<tokio::sync::Mutex<()>>;

#[derive(Default)]
pub struct BookCache {
    entries: Mutex<HashMap<(Symbol, u32), Arc<Taken>>>,
    /// One snapshot script at a time per deep tier and market.
    deep_reads: Mutex<HashMap<(Symbol, u32), ReadLock>>,
}

impl BookCache {
    /// A snapshot of `tier` that may be served now: one of the market's current sequence `seq`, or, of
    /// a deep tier, one taken within `DEEP_MAX_AGE` — in both cases at least at `min_seq` and of `epoch`.
    pub fn get(&self, symbol: &Symbol, tier: u32, seq: Option<u64>, min_seq: u64, epoch: u64) -> Option<Arc<Taken>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let taken = entries.get(&(symbol.clone(), tier))?;
        let current = seq == Some(taken.book.sequence);
        let fresh = tier > SHALLOW && taken.at.elapsed() < DEEP_MAX_AGE;
        (taken.epoch == epoch && taken.book.sequence >= min_seq && (current || fresh)).then(|| taken.clone())
    }

    /// Keeps the newest snapshot of (market, tier), or one of another epoch.
    pub fn put(&self, symbol: &Symbol, tier: u32, taken: Arc<Taken>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.entry((symbol.clone(), tier)).or_insert_with(|| taken.clone());
        if taken.book.sequence >= entry.book.sequence || taken.epoch != entry.epoch {
            *entry = taken;
        }
    }

    /// The lock a deep tier's snapshot is taken under (tiers and markets are few: the map is bounded).
    pub fn deep_read_lock(&self, symbol: &Symbol, tier: u32) -> Option<ReadLock> {
        if tier <= SHALLOW {
            return None;
        }
        let mut locks = self.deep_reads.lock().unwrap_or_else(|e| e.into_inner());
        Some(locks.entry((symbol.clone(), tier)).or_default().clone())
    }
}

#[cfg(test)]
mod tests {
    use common::BookLevel;
    use rust_decimal::Decimal;

    use super::*;

    fn book(seq: u64, levels: usize) -> BookSnapshot {
        let level =
            |p: i64| BookLevel { price: Decimal::from(p).into(), quantity: Decimal::ONE.into(), order_count: 1 };
        BookSnapshot {
            symbol: Symbol::parse("BTC/USD").unwrap(),
            bids: (0..levels as i64).map(level).collect(),
            asks: (0..levels as i64).map(level).collect(),
            sequence: seq,
            timestamp: "2026-12-06T00:00:00.000Z".into(),
        }
    }

    #[test]
    fn tiers_cover_every_depth() {
        assert_eq!(
            (tier(1), tier(10), tier(11), tier(50), tier(51), tier(999), tier(1000)),
            (10, 10, 50, 50, 200, 1000, 1000)
        );
    }

    #[test]
    fn a_shallow_snapshot_is_served_only_at_its_own_sequence_and_epoch() {
        let cache = BookCache::default();
        let btc = Symbol::parse("BTC/USD").unwrap();
        cache.put(&btc, 10, Arc::new(Taken::new(book(5, 3), 0).unwrap()));
        assert!(cache.get(&btc, 10, Some(5), 0, 0).is_some());
        assert!(cache.get(&btc, 10, Some(6), 0, 0).is_none());
        assert!(cache.get(&btc, 50, Some(5), 0, 0).is_none());
        assert!(cache.get(&btc, 10, Some(5), 0, 1).is_none(), "nor in another epoch");
        cache.put(&btc, 10, Arc::new(Taken::new(book(4, 3), 0).unwrap()));
        assert_eq!(
            cache.get(&btc, 10, Some(5), 0, 0).unwrap().book.sequence,
            5,
            "an older one never replaces a newer one"
        );
        cache.put(&btc, 10, Arc::new(Taken::new(book(4, 3), 1).unwrap()));
        assert!(cache.get(&btc, 10, Some(4), 0, 1).is_some(), "unless of a new epoch");
    }

    #[test]
    fn a_deep_snapshot_is_served_while_fresh_never_below_a_clients_sequence() {
        let cache = BookCache::default();
        let btc = Symbol::parse("BTC/USD").unwrap();
        cache.put(&btc, 1000, Arc::new(Taken::new(book(5, 3), 0).unwrap()));
        assert!(cache.get(&btc, 1000, None, 0, 0).is_some(), "fresh: served though the book moved");
        assert!(cache.get(&btc, 1000, None, 6, 0).is_none(), "not to a client already past it");
        std::thread::sleep(DEEP_MAX_AGE);
        assert!(cache.get(&btc, 1000, Some(9), 0, 0).is_none(), "stale");
    }

    #[test]
    fn a_cut_snapshot_has_the_first_levels() {
        let taken = Taken::new(book(5, 30), 0).unwrap();
        let cut: BookSnapshot = serde_json::from_slice(&taken.body(12).unwrap()).unwrap();
        assert_eq!((cut.bids.len(), cut.asks.len(), cut.sequence), (12, 12, 5));
        assert_eq!(cut.bids[..], taken.book.bids[..12]);
    }
}
