//! A few reconnecting, multiplexed Redis connections used round-robin: one slow reply (a long script)
//! does not hold up every request behind it, and each connection comes back on its own after an outage.
//! The same pool speaks to one server, to a Redis Cluster (commands routed by their keys' slot) or to
//! the master named by Redis Sentinel (followed across failovers).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

use super::pubsub::PubSubSource;
use super::sentinel::SentinelConnection;
use crate::config::{RedisSettings, RedisTarget};

/// One connection of the pool, whatever Redis deployment it talks to.
#[derive(Clone)]
enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    Sentinel(SentinelConnection),
}

#[derive(Clone)]
pub struct RedisPool {
    conns: Arc<Vec<Conn>>,
    next: Arc<AtomicUsize>,
    current: Conn,
}

/// The certificate authority of `settings.tls_ca_file`, when one is given.
fn tls_certificates(settings: &RedisSettings) -> redis::RedisResult<Option<redis::TlsCertificates>> {
    // The process's rustls provider; a second install (tests start several apps) is refused harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(path) = &settings.tls_ca_file else { return Ok(None) };
    let root_cert = std::fs::read(path).map_err(|e| {
        redis::RedisError::from(std::io::Error::other(format!("REDIS_TLS_CA_FILE {}: {e}", path.display())))
    })?;
    Ok(Some(redis::TlsCertificates { client_tls: None, root_cert: Some(root_cert) }))
}

/// A client for `url`: plain, or TLS (`rediss://`) trusting the system's roots and, when given, the
/// certificate authority in `settings.tls_ca_file`.
pub fn client(url: &str, settings: &RedisSettings) -> redis::RedisResult<redis::Client> {
    match tls_certificates(settings)? {
        Some(certs) if url.starts_with("rediss://") => redis::Client::build_with_tls(url, certs),
        _ => redis::Client::open(url),
    }
}

impl RedisPool {
    /// Connects `settings.max_connections` connections to the target (an embedded server is a URL by
    /// now), and gives the place Pub/Sub subscriptions connect to in the same deployment.
    pub async fn connect(
        target: &RedisTarget,
        settings: &RedisSettings,
    ) -> redis::RedisResult<(RedisPool, PubSubSource)> {
        let mut conns = Vec::with_capacity(settings.max_connections);
        let pubsub = match target {
            RedisTarget::Url(url) => {
                let client = client(url, settings)?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(settings.connect_timeout))
                    .set_response_timeout(Some(settings.socket_timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(std::time::Duration::from_millis(500));
                for _ in 0..settings.max_connections {
                    conns.push(Conn::Single(ConnectionManager::new_with_config(client.clone(), config.clone()).await?));
                }
                PubSubSource::Single(Box::new(client))
            }
            RedisTarget::Cluster { nodes } => {
                let mut builder = ClusterClient::builder(nodes.clone())
                    .connection_timeout(settings.connect_timeout)
                    .response_timeout(settings.socket_timeout)
                    .retries(2);
                if let Some(certs) = tls_certificates(settings)? {
                    builder = builder.certs(certs);
                }
                let cluster = builder.build()?;
                for _ in 0..settings.max_connections {
                    conns.push(Conn::Cluster(cluster.get_async_connection().await?));
                }
                PubSubSource::cluster(nodes.iter().map(|n| client(n, settings)).collect::<Result<_, _>>()?)
            }
            RedisTarget::Sentinel(sentinel) => {
                let shared = SentinelConnection::resolver(sentinel, settings, tls_certificates(settings)?)?;
                for _ in 0..settings.max_connections {
                    let conn = SentinelConnection::new(shared.clone());
                    conn.connect().await?;
                    conns.push(Conn::Sentinel(conn));
                }
                PubSubSource::Sentinel(shared)
            }
            RedisTarget::Embedded { .. } => {
                return Err(std::io::Error::other("start the embedded redis-server before connecting").into());
            }
        };
        let current = conns[0].clone();
        Ok((RedisPool { conns: Arc::new(conns), next: Arc::new(AtomicUsize::new(0)), current }, pubsub))
    }

    /// The next connection in turn (every clone of the pool shares the turn).
    fn pick(&self) -> Conn {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        self.conns[i].clone()
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
            Conn::Sentinel(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(cmd, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(cmd, offset, count),
            Conn::Sentinel(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
            Conn::Sentinel(c) => c.get_db(),
        }
    }
}

impl ConnectionLike for RedisPool {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        self.current = self.pick();
        self.current.req_packed_command(cmd)
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        self.current = self.pick();
        self.current.req_packed_commands(cmd, offset, count)
    }

    fn get_db(&self) -> i64 {
        self.current.get_db()
    }
}
