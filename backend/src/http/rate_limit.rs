//! A per-user token bucket for order placements and cancels, on this instance: a burst of one second's
//! allowance, refilled continuously. Over it, the contract's 429 with `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::error::ApiError;
use super::token_bucket::TokenBucket;

pub struct RateLimiter {
    per_sec: f64,
    buckets: Mutex<HashMap<u64, TokenBucket>>,
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
        let per_sec = self.per_sec;
        if buckets.len() >= SWEEP_AT {
            buckets.retain(|_, bucket| !bucket.is_full(per_sec, now));
        }
        let bucket = buckets.entry(user_id).or_insert_with(|| TokenBucket::full(per_sec, now));
        bucket
            .take(per_sec, now)
            .map_err(|wait| ApiError::TooManyRequests { retry_after_secs: wait.ceil().max(1.0) as u64 })
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
