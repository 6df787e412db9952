//! The last serialised book snapshot per market and depth, tagged with the sequence it reflects and
//! the feed's epoch. A snapshot stays exact until the sequence moves, so a read that finds the same
//! sequence in Redis, in the same epoch, is answered from here (one GET instead of the snapshot script).
//! The epoch changes when a sequence may have gone back (a failover that lost writes), after which the
//! same sequence can name another book.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use common::Symbol;

/// (market, depth) → (sequence, epoch, serialised snapshot).
type Entries = HashMap<(Symbol, u32), (u64, u64, Bytes)>;

#[derive(Default)]
pub struct BookCache {
    entries: Mutex<Entries>,
}

impl BookCache {
    pub fn get(&self, symbol: &Symbol, depth: u32, seq: u64, epoch: u64) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&(symbol.clone(), depth))
            .filter(|(s, e, _)| (*s, *e) == (seq, epoch))
            .map(|(_, _, body)| body.clone())
    }

    /// Keeps the newest snapshot for (market, depth), or one of another epoch; depths are bounded
    /// (1-1000), so is the map.
    pub fn put(&self, symbol: &Symbol, depth: u32, seq: u64, epoch: u64, body: Bytes) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.entry((symbol.clone(), depth)).or_insert((seq, epoch, body.clone()));
        if seq >= entry.0 || epoch != entry.1 {
            *entry = (seq, epoch, body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_is_served_only_at_its_own_sequence() {
        let cache = BookCache::default();
        let btc = Symbol::parse("BTC/USD").unwrap();
        cache.put(&btc, 10, 5, 0, Bytes::from_static(b"five"));
        assert_eq!(cache.get(&btc, 10, 5, 0).as_deref(), Some(&b"five"[..]));
        assert_eq!(cache.get(&btc, 10, 6, 0), None);
        assert_eq!(cache.get(&btc, 20, 5, 0), None);
        cache.put(&btc, 10, 4, 0, Bytes::from_static(b"four"));
        assert_eq!(
            cache.get(&btc, 10, 5, 0).as_deref(),
            Some(&b"five"[..]),
            "an older snapshot never replaces a newer one"
        );
        assert_eq!(cache.get(&btc, 10, 5, 1), None, "nor is one served in another epoch");
        cache.put(&btc, 10, 4, 1, Bytes::from_static(b"four again"));
        assert_eq!(cache.get(&btc, 10, 4, 1).as_deref(), Some(&b"four again"[..]));
    }
}
