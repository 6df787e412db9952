//! A token bucket refilled continuously: every rate limit of the service (orders per user, logins and
//! registrations and public reads per address, messages per WebSocket connection) takes its tokens
//! from one.

use std::time::Instant;

/// How many tokens a bucket holds at most and how fast it refills.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub burst: f64,
    pub per_sec: f64,
}

impl Rate {
    /// `n` a second, with a burst of one second's allowance.
    pub fn per_second(n: u32) -> Rate {
        Rate { burst: f64::from(n), per_sec: f64::from(n) }
    }

    /// `n` a minute, all of which may come at once.
    pub fn per_minute(n: u32) -> Rate {
        Rate { burst: f64::from(n), per_sec: f64::from(n) / 60.0 }
    }

    /// `n` an hour, all of which may come at once.
    pub fn per_hour(n: u32) -> Rate {
        Rate { burst: f64::from(n), per_sec: f64::from(n) / 3600.0 }
    }

    /// A rate of 0 means no limit.
    pub fn is_unlimited(&self) -> bool {
        self.per_sec == 0.0
    }
}

pub struct TokenBucket {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn full(rate: Rate, now: Instant) -> TokenBucket {
        TokenBucket { tokens: rate.burst, last: now }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * rate.per_sec).min(rate.burst);
        self.last = now;
    }

    /// Takes one token, or says how many seconds until there is one.
    pub fn take(&mut self, rate: Rate, now: Instant) -> Result<(), f64> {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - self.tokens) / rate.per_sec)
        }
    }

    /// Whether it would be full by `now`: nothing is lost by forgetting it.
    pub fn is_full(&self, rate: Rate, now: Instant) -> bool {
        self.tokens + now.duration_since(self.last).as_secs_f64() * rate.per_sec >= rate.burst
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_the_refill_rate() {
        let rate = Rate::per_minute(3);
        let t0 = Instant::now();
        let mut bucket = TokenBucket::full(rate, t0);
        for _ in 0..3 {
            assert!(bucket.take(rate, t0).is_ok());
        }
        let wait = bucket.take(rate, t0).unwrap_err();
        assert!((wait - 20.0).abs() < 1e-9, "one token every 20 s: {wait}");
        assert!(bucket.take(rate, t0 + Duration::from_secs(20)).is_ok());
        assert!(!bucket.is_full(rate, t0 + Duration::from_secs(20)));
        assert!(bucket.is_full(rate, t0 + Duration::from_secs(80)));
    }
}
