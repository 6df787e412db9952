//! A per-instance cache of open sessions, so that an authenticated request does not cost a Redis round
//! trip. Revocation stays immediate across instances: a logout deletes the session and publishes its key
//! on `sessions:revoked` in one atomic step, and every instance drops it from its cache on receipt.
//!
//! The cache is only trusted while that subscription is up. When it drops, the cache is emptied and
//! bypassed until the instance is subscribed again (a revocation may have been missed meanwhile). An
//! entry never outlives its session's TTL in Redis, nor `MAX_AGE`. A lookup that raced a revocation
//! (a revocation arrived while it was asking Redis) is not cached.
//!
//! Every revocation is also told to this instance's private WebSockets (`watch_revocations`), which
//! close the ended session's sockets.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::broadcast;

use crate::redis::PubSubSource;

/// The channel revoked session keys are published on.
pub const REVOKED_CHANNEL: &str = "sessions:revoked";
/// The longest a cached session is trusted without asking Redis again.
const MAX_AGE: Duration = Duration::from_secs(10);
/// Sessions held at most; the cache starts afresh when full.
const MAX_ENTRIES: usize = 100_000;

pub struct SessionCache {
    /// Session key → (user id, trusted until).
    entries: Mutex<HashMap<String, (u64, Instant)>>,
    /// Whether the revocation subscription is up (only then is the cache used).
    live: AtomicBool,
    /// Bumped on every revocation and every change of the subscription.
    epoch: AtomicU64,
    /// Revoked session keys, as they arrive, for the private WebSockets.
    revoked: broadcast::Sender<Arc<str>>,
}

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache {
            entries: Mutex::default(),
            live: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
            revoked: broadcast::channel(1024).0,
        }
    }
}

impl SessionCache {
    /// A cache kept current by a subscription to revocations through `redis`.
    pub fn start(redis: PubSubSource) -> Arc<SessionCache> {
        let cache = Arc::new(SessionCache::default());
        tokio::spawn(listen(cache.clone(), redis));
        cache
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, Instant)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The user of a cached, still trusted session.
    pub fn get(&self, key: &str) -> Option<u64> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let mut entries = self.lock();
        match entries.get(key) {
            Some(&(user_id, until)) if until > Instant::now() => Some(user_id),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Taken before asking Redis; `insert` refuses the answer if anything was revoked since.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Caches a session Redis vouched for, with `ttl_ms` left (Redis's PTTL; negative: no TTL).
    pub fn insert(&self, key: String, user_id: u64, ttl_ms: i64, epoch: u64) {
        let ttl = if ttl_ms > 0 { MAX_AGE.min(Duration::from_millis(ttl_ms as u64)) } else { MAX_AGE };
        let mut entries = self.lock();
        // Checked under the lock: a revocation takes it too, so it cannot slip in between.
        if !self.live.load(Ordering::Acquire) || self.epoch() != epoch {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (user_id, Instant::now() + ttl));
    }

    /// Forgets a session (revoked here or elsewhere) and tells the WebSockets.
    pub fn revoke(&self, key: &str) {
        let mut entries = self.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.remove(key);
        drop(entries);
        let _ = self.revoked.send(Arc::from(key));
    }

    /// Session keys revoked from now on (a lagging receiver must ask Redis about its session).
    pub fn watch_revocations(&self) -> broadcast::Receiver<Arc<str>> {
        self.revoked.subscribe()
    }

    /// Whether revocations are being received (when not, one may be missed: ask Redis).
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// Trusts the cache (subscribed) or stops trusting it (not subscribed); empties it either way.
    fn set_live(&self, live: bool) {
        let mut entries = self.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.live.store(live, Ordering::Release);
        entries.clear();
    }
}

async fn listen(cache: Arc<SessionCache>, redis: PubSubSource) {
    loop {
        let subscribed = async {
            let mut pubsub = redis.connect().await?;
            pubsub.subscribe(REVOKED_CHANNEL).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match tokio::time::timeout(Duration::from_secs(3), subscribed).await {
            Ok(Ok(mut pubsub)) => {
                cache.set_live(true);
                let mut messages = pubsub.on_message();
                while let Some(msg) = messages.next().await {
                    if let Ok(key) = std::str::from_utf8(msg.get_payload_bytes()) {
                        cache.revoke(key);
                    }
                }
                tracing::warn!("session revocation subscription lost; sessions are checked in Redis until it is back");
                cache.set_live(false);
            }
            Ok(Err(e)) => tracing::debug!(error = %e, "cannot subscribe to session revocations; retrying"),
            Err(_) => tracing::debug!("subscribing to session revocations timed out; retrying"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> SessionCache {
        let cache = SessionCache::default();
        cache.set_live(true);
        cache
    }

    #[test]
    fn a_cached_session_is_served_until_revoked() {
        let cache = live();
        cache.insert("k".into(), 7, 60_000, cache.epoch());
        assert_eq!(cache.get("k"), Some(7));
        cache.revoke("k");
        assert_eq!(cache.get("k"), None);
    }

    #[test]
    fn a_lookup_that_raced_a_revocation_is_not_cached() {
        let cache = live();
        let epoch = cache.epoch();
        cache.revoke("other");
        cache.insert("k".into(), 7, 60_000, epoch);
        assert_eq!(cache.get("k"), None);
    }

    #[test]
    fn nothing_is_trusted_while_the_subscription_is_down() {
        let cache = live();
        cache.insert("k".into(), 7, 60_000, cache.epoch());
        cache.set_live(false);
        assert_eq!(cache.get("k"), None);
        cache.insert("k".into(), 7, 60_000, cache.epoch());
        assert_eq!(cache.get("k"), None);
    }

    #[test]
    fn an_entry_does_not_outlive_its_sessions_ttl() {
        let cache = live();
        cache.insert("k".into(), 7, 30, cache.epoch());
        assert_eq!(cache.get("k"), Some(7));
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(cache.get("k"), None);
    }
}
