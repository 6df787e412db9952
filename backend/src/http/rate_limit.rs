//! A per-user token bucket for order placements and cancels, on this instance: a burst of one second's
//! allowance, refilled continuously. Over it, the contract's 429 with `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::error::ApiError;

pub struct RateLimiter {
    per_sec: f64,
    buckets: Mutex<HashMap<u64, (f64, Instant)>>,
}

/// Idle buckets are dropped once the map holds this many, so memory stays bounded.
const SWEEP_AT: usize = 100_000;

impl RateLimiter {
    /// `per_sec` 0 turns the limit off.
    pub fn new(per_sec: u32) -> RateLimiter {
        RateLimiter { per_sec: f64::from(per_sec), buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `user_id`, or says how many seconds to wait.
    pub fn check(&self, user_id: u64) -> Result<(), ApiError> {
        if self.per_sec == 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= SWEEP_AT {
            let full = self.per_sec;
            buckets.retain(|_, (tokens, last)| *tokens + now.duration_since(*last).as_secs_f64() * full < full);
        }
        let (tokens, last) = buckets.entry(user_id).or_insert((self.per_sec, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_sec).min(self.per_sec);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - *tokens) / self.per_sec;
            Err(ApiError::TooManyRequests { retry_after_secs: wait.ceil().max(1.0) as u64 })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_gets_a_seconds_allowance_then_429_and_others_are_unaffected() {
        let limiter = RateLimiter::new(3);
        for _ in 0..3 {
            assert!(limiter.check(1).is_ok());
        }
        assert!(matches!(limiter.check(1), Err(ApiError::TooManyRequests { retry_after_secs: 1 })));
        assert!(limiter.check(2).is_ok());
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limiter = RateLimiter::new(0);
        for _ in 0..10_000 {
            assert!(limiter.check(1).is_ok());
        }
    }
}
