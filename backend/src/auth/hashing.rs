//! Password hashing with a bound: argon2 takes 19 MiB and tens of milliseconds of a core on purpose, so
//! unbounded, a few hundred logins at once would take gigabytes and every blocking thread. At most
//! `running` hashes are computed at once; up to `WAITING_PER_SLOT` times as many requests queue for one,
//! and one more is refused at once (`AuthError::Busy`, a 503 with `Retry-After`).

use tokio::sync::Semaphore;

use super::error::AuthError;

/// Requests that may wait per hash computed at once.
const WAITING_PER_SLOT: usize = 16;

pub struct Hashing {
    running: Semaphore,
    /// Requests holding or waiting for a slot: a permit each, given back when the request ends (also
    /// when it is dropped mid-wait).
    admitted: Semaphore,
}

impl Hashing {
    pub fn new(max_running: usize) -> Hashing {
        let max_running = max_running.max(1);
        Hashing { running: Semaphore::new(max_running), admitted: Semaphore::new(max_running * (1 + WAITING_PER_SLOT)) }
    }

    /// Runs `work` (a hash or a verification) on the blocking pool once a slot is free.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AuthError> {
        let Ok(_admitted) = self.admitted.try_acquire() else {
            crate::metrics::METRICS.limited.with_label_values(&["password_hashing"]).inc();
            return Err(AuthError::Busy);
        };
        let _slot = self.running.acquire().await.map_err(|e| AuthError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(work).await.map_err(|e| AuthError::Internal(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn past_the_running_and_waiting_bound_requests_are_refused_at_once() {
        let hashing = Arc::new(Hashing::new(1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(std::sync::Mutex::new(hold));
        let mut admitted = Vec::new();
        for _ in 0..1 + WAITING_PER_SLOT {
            let (hashing, hold) = (hashing.clone(), hold.clone());
            admitted.push(tokio::spawn(async move { hashing.run(move || hold.lock().unwrap().recv().unwrap()).await }));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(matches!(hashing.run(|| ()).await, Err(AuthError::Busy)));
        for _ in 0..admitted.len() {
            release.send(()).unwrap();
        }
        for task in admitted {
            task.await.unwrap().unwrap();
        }
        assert!(hashing.run(|| ()).await.is_ok(), "admitted again once the queue drained");
    }
}
