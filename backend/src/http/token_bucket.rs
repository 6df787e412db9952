//! A token bucket of one second's allowance, refilled continuously: the per-user order limit and the
//! per-connection WebSocket message limit both take their tokens from one.

use std::time::Instant;

pub struct TokenBucket {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket for `per_sec` tokens a second.
    pub fn full(per_sec: f64, now: Instant) -> TokenBucket {
        TokenBucket { tokens: per_sec, last: now }
    }

    fn refill(&mut self, per_sec: f64, now: Instant) {
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * per_sec).min(per_sec);
        self.last = now;
    }

    /// Takes one token, or says how many seconds until there is one.
    pub fn take(&mut self, per_sec: f64, now: Instant) -> Result<(), f64> {
        self.refill(per_sec, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - self.tokens) / per_sec)
        }
    }

    /// Whether it would be full by `now`: nothing is lost by forgetting it.
    pub fn is_full(&self, per_sec: f64, now: Instant) -> bool {
        self.tokens + now.duration_since(self.last).as_secs_f64() * per_sec >= per_sec
    }
}
