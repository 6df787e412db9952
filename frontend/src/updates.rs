//! Updates passed from a feed to the views that apply them, in order and none lost: a signal holding
//! only the latest one would lose those that arrive together (the views' effects run later, once, and
//! see the last). Each view keeps its own cursor into a short log.

use leptos::prelude::*;

/// Updates kept in the log: far more than arrive between two runs of the views' effects.
const KEPT: usize = 256;

pub struct Updates<T: Send + Sync + 'static> {
    log: RwSignal<Vec<(u64, T)>>,
}

impl<T: Send + Sync + 'static> Clone for Updates<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Updates<T> {}

impl<T: Clone + Send + Sync + 'static> Updates<T> {
    pub fn new() -> Updates<T> {
        Updates { log: RwSignal::new(Vec::new()) }
    }

    pub fn push(&self, item: T) {
        self.log.update(|log| {
            let number = log.last().map_or(1, |(n, _)| n + 1);
            log.push((number, item));
            let over = log.len().saturating_sub(KEPT);
            log.drain(..over);
        });
    }

    /// Calls `apply` with each update after the consumer's cursor `seen`, oldest first, and moves the
    /// cursor. Tracked: an effect that calls it runs again on the next push.
    pub fn each_new(&self, seen: StoredValue<u64>, mut apply: impl FnMut(T)) {
        self.log.with(|log| {
            for (number, item) in log {
                if *number > seen.get_value() {
                    apply(item.clone());
                    seen.set_value(*number);
                }
            }
        });
    }
}
