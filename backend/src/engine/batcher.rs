//! Group commit for placements: orders of one market that arrive while a script call is in flight are
//! placed together in the next call (one INCRBY for their ids, one `place_orders` for all of them), so
//! the fixed cost of a call is shared under load and nothing waits for a timer when the load is light.
//! Each order keeps its own checks, outcome and sequence number.

use std::collections::HashMap;
use std::sync::Arc;

use common::{NewOrder, Symbol};
use redis::aio::ConnectionLike;
use tokio::sync::{mpsc, oneshot, Mutex};

use super::check::CheckedOrder;
use super::error::EngineError;
use super::handle::Engine;
use super::keys;
use super::orders::{BatchOrder, Placed};
use common::time::now_ms;

struct Job {
    user_id: u64,
    order: CheckedOrder,
    reply: oneshot::Sender<Result<Placed, EngineError>>,
}

/// Queues placements per market; a few workers per market drain them in batches.
#[derive(Clone)]
pub struct Batcher<C> {
    engine: Engine<C>,
    queues: Arc<HashMap<Symbol, mpsc::Sender<Job>>>,
}

impl<C: ConnectionLike + Clone + Send + Sync + 'static> Batcher<C> {
    /// `workers` calls may be in flight per market; a call places at most `max_batch` orders.
    pub fn start(engine: Engine<C>, workers: usize, max_batch: usize) -> Batcher<C> {
        let mut queues = HashMap::new();
        for market in engine.markets().all() {
            let (tx, rx) = mpsc::channel::<Job>(4096);
            let rx = Arc::new(Mutex::new(rx));
            for _ in 0..workers.max(1) {
                tokio::spawn(work(engine.clone(), market.symbol.clone(), rx.clone(), max_batch.max(1)));
            }
            queues.insert(market.symbol.clone(), tx);
        }
        Batcher { engine, queues: Arc::new(queues) }
    }

    /// Validates and places an order, in the next batch of its market.
    pub async fn place(&self, user_id: u64, req: &NewOrder) -> Result<Placed, EngineError> {
        let (_, order) = self.engine.check(req)?;
        let queue = self.queues.get(&req.symbol).ok_or_else(|| EngineError::UnknownSymbol(req.symbol.to_string()))?;
        let (reply, answer) = oneshot::channel();
        queue
            .send(Job { user_id, order, reply })
            .await
            .map_err(|_| EngineError::Protocol("placement queue closed".into()))?;
        answer.await.map_err(|_| EngineError::Protocol("placement worker stopped".into()))?
    }
}

async fn work<C: ConnectionLike + Clone + Send + Sync>(
    engine: Engine<C>,
    symbol: Symbol,
    rx: Arc<Mutex<mpsc::Receiver<Job>>>,
    max_batch: usize,
) {
    loop {
        let mut jobs = Vec::with_capacity(max_batch);
        {
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(job) => jobs.push(job),
                None => return,
            }
            while jobs.len() < max_batch {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
        }
        let results = place_all(&engine, &symbol, &jobs).await;
        for (job, result) in jobs.into_iter().zip(results) {
            let _ = job.reply.send(result);
        }
    }
}

/// Places the jobs in one call; a failure of the call itself is every job's failure.
async fn place_all<C: ConnectionLike + Clone + Send + Sync>(
    engine: &Engine<C>,
    symbol: &Symbol,
    jobs: &[Job],
) -> Vec<Result<Placed, EngineError>> {
    let outcome = async {
        let market = engine.market(symbol)?;
        let n = jobs.len() as u64;
        let last: u64 = redis::cmd("INCRBY").arg(keys::NEXT_ORDER_ID).arg(n).query_async(&mut engine.conn()).await?;
        let batch: Vec<BatchOrder> = jobs
            .iter()
            .enumerate()
            .map(|(i, job)| BatchOrder { user_id: job.user_id, id: last - n + 1 + i as u64, order: &job.order })
            .collect();
        engine.place_batch(market, &batch, now_ms()).await
    }
    .await;
    match outcome {
        Ok(results) if results.len() == jobs.len() => results,
        Ok(_) => jobs.iter().map(|_| Err(EngineError::Protocol("reply length".into()))).collect(),
        Err(e) => {
            let text = e.to_string();
            jobs.iter()
                .map(|_| match &e {
                    EngineError::Redis(_) => {
                        Err(EngineError::Redis(redis::RedisError::from(std::io::Error::other(text.clone()))))
                    }
                    EngineError::NotReplicated { confirmed, wanted } => {
                        Err(EngineError::NotReplicated { confirmed: *confirmed, wanted: *wanted })
                    }
                    _ => Err(EngineError::Protocol(text.clone())),
                })
                .collect()
        }
    }
}
