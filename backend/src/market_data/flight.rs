//! One run of a step shared by every caller that waits for it at once: a caller needs a run that
//! began after it arrived (so that the run saw everything before the call), and when one such has
//! finished by the time its turn comes, that run stands for its own. Under load, a crowd of requests
//! costs two runs, not one each.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Flight {
    /// Held while a run goes: runs one at a time.
    running: tokio::sync::Mutex<()>,
    /// The number of the last run begun, and of the last that finished without an error.
    begun: AtomicU64,
    done: AtomicU64,
}

impl Flight {
    /// Runs `step`, unless a run begun after this call arrived finished while the call waited its turn.
    pub async fn share<E>(&self, step: impl Future<Output = Result<(), E>>) -> Result<(), E> {
        let arrived = self.begun.load(Ordering::Acquire);
        let _turn = self.running.lock().await;
        if self.done.load(Ordering::Acquire) > arrived {
            return Ok(());
        }
        let number = self.begun.fetch_add(1, Ordering::AcqRel) + 1;
        step.await?;
        self.done.store(number, Ordering::Release);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn callers_waiting_at_once_share_a_run_begun_after_they_arrived() {
        let flight = Arc::new(Flight::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let step = |runs: Arc<AtomicUsize>| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            runs.fetch_add(1, Ordering::SeqCst);
            Ok::<(), ()>(())
        };
        // One caller starts a run; ten arrive during it: the first of them runs again (the run under
        // way began before it arrived) and the other nine take that second run.
        let first = tokio::spawn({
            let (f, r) = (flight.clone(), runs.clone());
            async move { f.share(step(r)).await }
        });
        tokio::time::sleep(Duration::from_millis(5)).await;
        let crowd: Vec<_> = (0..10)
            .map(|_| {
                let (f, r) = (flight.clone(), runs.clone());
                tokio::spawn(async move { f.share(step(r)).await })
            })
            .collect();
        first.await.unwrap().unwrap();
        for c in crowd {
            c.await.unwrap().unwrap();
        }
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        // Alone, a caller always runs.
        flight.share(step(runs.clone())).await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_failed_run_stands_for_nobody() {
        let flight = Flight::default();
        assert_eq!(flight.share(async { Err::<(), _>("down") }).await, Err("down"));
        let ran = AtomicUsize::new(0);
        flight
            .share(async {
                ran.fetch_add(1, Ordering::SeqCst);
                Ok::<(), &str>(())
            })
            .await
            .unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }
}
