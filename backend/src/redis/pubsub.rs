//! Where this instance's Pub/Sub subscriptions connect. Plain `PUBLISH` reaches every subscriber of a
//! deployment: on a Redis Cluster it is broadcast to every node, and a master's messages go to its
//! replicas, so one subscription anywhere hears every market. When it drops (the node died, a failover),
//! the subscriber connects again, to another node if need be, and resyncs (see `feed`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use redis::aio::PubSub;
use redis::RedisResult;

use super::sentinel::SentinelResolver;

#[derive(Clone)]
pub enum PubSubSource {
    /// The one server.
    Single(Box<redis::Client>),
    /// Any node of the cluster, tried in turn from the one after the last that was used.
    Cluster { nodes: Arc<Vec<redis::Client>>, next: Arc<AtomicUsize> },
    /// The master the Sentinels name now.
    Sentinel(Arc<SentinelResolver>),
}

impl PubSubSource {
    pub fn cluster(nodes: Vec<redis::Client>) -> PubSubSource {
        PubSubSource::Cluster { nodes: Arc::new(nodes), next: Arc::new(AtomicUsize::new(0)) }
    }

    /// A new Pub/Sub connection.
    pub async fn connect(&self) -> RedisResult<PubSub> {
        match self {
            PubSubSource::Single(client) => client.get_async_pubsub().await,
            PubSubSource::Cluster { nodes, next } => {
                let start = next.fetch_add(1, Ordering::Relaxed);
                let mut last = None;
                for i in 0..nodes.len() {
                    match nodes[(start + i) % nodes.len()].get_async_pubsub().await {
                        Ok(pubsub) => return Ok(pubsub),
                        Err(e) => last = Some(e),
                    }
                }
                Err(last.unwrap_or_else(|| std::io::Error::other("no cluster node listed").into()))
            }
            PubSubSource::Sentinel(resolver) => resolver.master().await?.get_async_pubsub().await,
        }
    }
}
