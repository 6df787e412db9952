//! A few reconnecting, multiplexed Redis connections used round-robin: one slow reply (a long script)
//! does not hold up every request behind it, and each connection comes back on its own after an outage.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, Pipeline, RedisFuture, Value};

use crate::config::RedisSettings;

#[derive(Clone)]
pub struct RedisPool {
    conns: Arc<Vec<ConnectionManager>>,
    next: Arc<AtomicUsize>,
    current: ConnectionManager,
}

/// A client for `url`: plain, or TLS (`rediss://`) trusting the system's roots and, when given, the
/// certificate authority in `settings.tls_ca_file`.
pub fn client(url: &str, settings: &RedisSettings) -> redis::RedisResult<redis::Client> {
    // The process's rustls provider; a second install (tests start several apps) is refused harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match &settings.tls_ca_file {
        Some(path) if url.starts_with("rediss://") => {
            let root_cert = std::fs::read(path).map_err(|e| {
                redis::RedisError::from(std::io::Error::other(format!("REDIS_TLS_CA_FILE {}: {e}", path.display())))
            })?;
            redis::Client::build_with_tls(url, redis::TlsCertificates { client_tls: None, root_cert: Some(root_cert) })
        }
        _ => redis::Client::open(url),
    }
}

impl RedisPool {
    pub async fn connect(url: &str, settings: &RedisSettings) -> redis::RedisResult<RedisPool> {
        let client = client(url, settings)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.connect_timeout))
            .set_response_timeout(Some(settings.socket_timeout))
            .set_number_of_retries(1)
            .set_max_delay(std::time::Duration::from_millis(500));
        let mut conns = Vec::with_capacity(settings.max_connections);
        for _ in 0..settings.max_connections {
            conns.push(ConnectionManager::new_with_config(client.clone(), config.clone()).await?);
        }
        let current = conns[0].clone();
        Ok(RedisPool { conns: Arc::new(conns), next: Arc::new(AtomicUsize::new(0)), current })
    }

    /// The next connection in turn (every clone of the pool shares the turn).
    fn pick(&self) -> ConnectionManager {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        self.conns[i].clone()
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
