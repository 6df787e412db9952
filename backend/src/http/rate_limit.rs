//! Token buckets by key, on this instance: orders per user; logins, registrations and public reads per
//! client address. Over the limit, the contract's 429 with `Retry-After`.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use super::error::ApiError;
use super::token_bucket::{Rate, TokenBucket};
use crate::config::{AddressSet, HttpLimits};

pub struct RateLimiter<K> {
    rate: Rate,
    buckets: Mutex<HashMap<K, TokenBucket>>,
}

/// Full buckets are dropped once the map holds this many, so memory stays bounded.
const SWEEP_AT: usize = 100_000;

impl<K: Hash + Eq> RateLimiter<K> {
    /// A rate of 0 turns the limit off.
    pub fn new(rate: Rate) -> RateLimiter<K> {
        RateLimiter { rate, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `key`, or says how many seconds to wait.
    pub fn check(&self, key: K) -> Result<(), ApiError> {
        if self.rate.is_unlimited() {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let rate = self.rate;
        if buckets.len() >= SWEEP_AT {
            buckets.retain(|_, bucket| !bucket.is_full(rate, now));
        }
        let bucket = buckets.entry(key).or_insert_with(|| TokenBucket::full(rate, now));
        bucket
            .take(rate, now)
            .map_err(|wait| ApiError::TooManyRequests { retry_after_secs: wait.ceil().max(1.0) as u64 })
    }
}

/// The limits this instance keeps per client address, and how it tells a client's address.
pub struct AddressLimits {
    pub exempt: AddressSet,
    pub trusted_proxies: AddressSet,
    pub logins: RateLimiter<IpAddr>,
    pub registrations: RateLimiter<IpAddr>,
    /// Book and trades reads, REST and WebSocket requests alike.
    pub public_reads: RateLimiter<IpAddr>,
}

impl AddressLimits {
    pub fn new(limits: &HttpLimits) -> AddressLimits {
        AddressLimits {
            exempt: limits.exempt.clone(),
            trusted_proxies: limits.trusted_proxies.clone(),
            logins: RateLimiter::new(Rate::per_minute(limits.logins_per_minute)),
            registrations: RateLimiter::new(Rate::per_hour(limits.registrations_per_hour)),
            public_reads: RateLimiter::new(Rate::per_second(limits.public_reads_per_sec)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_allowance_then_429_and_others_are_unaffected() {
        let limiter = RateLimiter::new(Rate::per_second(3));
        for _ in 0..3 {
            assert!(limiter.check(1).is_ok());
        }
        assert!(matches!(limiter.check(1), Err(ApiError::TooManyRequests { retry_after_secs: 1 })));
        assert!(limiter.check(2).is_ok());
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limiter = RateLimiter::new(Rate::per_second(0));
        for _ in 0..10_000 {
            assert!(limiter.check(1).is_ok());
        }
    }
}
