//! Open things (connections, WebSockets) counted by key (a client address, a user) against a cap: a
//! slot is taken before the thing is opened and given back when it is dropped, so the count cannot
//! drift whichever way the thing ends.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

pub struct Counted<K> {
    max: usize,
    open: Mutex<HashMap<K, usize>>,
}

/// One counted thing; uncounted when dropped.
pub struct CountedSlot<K: Hash + Eq>(Arc<Counted<K>>, K);

impl<K: Hash + Eq + Clone> Counted<K> {
    pub fn new(max: usize) -> Arc<Counted<K>> {
        Arc::new(Counted { max, open: Mutex::default() })
    }

    pub fn max(&self) -> usize {
        self.max
    }

    /// A slot for one more under `key`; None when `key` already has `max`.
    pub fn acquire(self: &Arc<Self>, key: K) -> Option<CountedSlot<K>> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(key.clone()).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(CountedSlot(self.clone(), key))
    }
}

impl<K: Hash + Eq> Drop for CountedSlot<K> {
    fn drop(&mut self) {
        let mut open = self.0.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.1) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_at_most_max_and_gets_a_slot_back_when_one_is_dropped() {
        let counted = Counted::new(2);
        let a = counted.acquire("a").unwrap();
        let _b = counted.acquire("a").unwrap();
        assert!(counted.acquire("a").is_none());
        assert!(counted.acquire("other").is_some());
        drop(a);
        assert!(counted.acquire("a").is_some());
        assert!(counted.open.lock().unwrap().get("other").is_none(), "an unused key is forgotten");
    }
}
