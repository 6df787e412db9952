//! Failed logins by username, on this instance: the first few are free; each one past them makes the
//! username's next login wait, 1 s then doubling, never more than the cap (the right password waits
//! too: that is what bounds guessing, and the cap is what keeps an attacker from locking the owner out
//! for longer). Kept in memory, not in Redis: a refused request writes no Redis key.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Names remembered at most; past it the ones with nothing to remember are dropped, then all.
const MAX_NAMES: usize = 100_000;
/// How long failures are remembered after the last one.
const REMEMBERED: Duration = Duration::from_secs(15 * 60);

struct Failures {
    count: u32,
    last: Instant,
    locked_until: Instant,
}

pub struct FailedLogins {
    free: u32,
    max_wait: Duration,
    names: Mutex<HashMap<String, Failures>>,
}

impl FailedLogins {
    pub fn new(free: u32, max_wait: Duration) -> FailedLogins {
        FailedLogins { free, max_wait, names: Mutex::default() }
    }

    fn names(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.names.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long `name`'s logins must still wait, if they must.
    pub fn wait(&self, name: &str, now: Instant) -> Option<Duration> {
        let names = self.names();
        let failures = names.get(&name.to_lowercase())?;
        (failures.locked_until > now).then(|| failures.locked_until - now)
    }

    /// Counts a failure; returns the wait it imposes (zero while failures are free).
    pub fn failed(&self, name: &str, now: Instant) -> Duration {
        let mut names = self.names();
        if names.len() >= MAX_NAMES {
            names.retain(|_, f| now.duration_since(f.last) < REMEMBERED || f.locked_until > now);
            if names.len() >= MAX_NAMES {
                names.clear();
            }
        }
        let failures = names.entry(name.to_lowercase()).or_insert(Failures { count: 0, last: now, locked_until: now });
        if now.duration_since(failures.last) >= REMEMBERED {
            failures.count = 0;
        }
        failures.count += 1;
        failures.last = now;
        if failures.count <= self.free {
            return Duration::ZERO;
        }
        let doublings = (failures.count - self.free - 1).min(30);
        let wait = Duration::from_secs(1u64 << doublings).min(self.max_wait);
        failures.locked_until = now + wait;
        wait
    }

    /// A success forgets the name's failures.
    pub fn succeeded(&self, name: &str) {
        self.names().remove(&name.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_failures_then_a_doubling_wait_capped_and_forgotten_on_success() {
        let logins = FailedLogins::new(2, Duration::from_secs(60));
        let t = Instant::now();
        assert_eq!(logins.failed("Alice", t), Duration::ZERO);
        assert_eq!(logins.failed("alice", t), Duration::ZERO);
        assert_eq!(logins.wait("alice", t), None);
        assert_eq!(logins.failed("alice", t), Duration::from_secs(1));
        assert_eq!(logins.wait("ALICE", t), Some(Duration::from_secs(1)));
        assert_eq!(logins.wait("alice", t + Duration::from_secs(1)), None);
        assert_eq!(logins.failed("alice", t), Duration::from_secs(2));
        assert_eq!(logins.failed("alice", t), Duration::from_secs(4));
        for _ in 0..100 {
            assert!(logins.failed("alice", t) <= Duration::from_secs(60), "never more than the cap");
        }
        assert_eq!(logins.wait("bob", t), None, "another name is not affected");
        logins.succeeded("Alice");
        assert_eq!(logins.wait("alice", t), None);
        assert_eq!(logins.failed("alice", t), Duration::ZERO);
    }

    #[test]
    fn failures_are_forgotten_a_while_after_the_last() {
        let logins = FailedLogins::new(1, Duration::from_secs(60));
        let t = Instant::now();
        logins.failed("alice", t);
        assert_eq!(logins.failed("alice", t + REMEMBERED), Duration::ZERO, "counted afresh");
    }
}
