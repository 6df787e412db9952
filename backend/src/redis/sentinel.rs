//! A connection to the master Redis Sentinel names, that follows failovers: when the master stops
//! answering (killed, unreachable, timed out) or says it is a replica now (`READONLY`), the connection is
//! dropped and the next command asks the Sentinels again. Commands in the meantime fail fast, so requests
//! get a 503 during a failover and succeed again once a replica is promoted, without a restart.

use std::sync::{Arc, Mutex};

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{AsyncConnectionConfig, Cmd, ConnectionAddr, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use crate::config::{RedisSettings, SentinelTarget};

/// What every connection of a pool shares: the Sentinels and how to connect to the master they name.
pub struct SentinelResolver {
    sentinel: tokio::sync::Mutex<SentinelClient>,
    config: AsyncConnectionConfig,
    connect_timeout: std::time::Duration,
    db: i64,
}

impl SentinelResolver {
    /// A client of the master the Sentinels name now.
    pub async fn master(&self) -> RedisResult<redis::Client> {
        let ask = async { self.sentinel.lock().await.async_get_client().await };
        tokio::time::timeout(self.connect_timeout * 2, ask)
            .await
            .map_err(|_| RedisError::from(std::io::Error::other("the Sentinels did not name a master in time")))?
    }
}

#[derive(Clone)]
pub struct SentinelConnection {
    resolver: Arc<SentinelResolver>,
    current: Arc<Mutex<Option<MultiplexedConnection>>>,
}

/// Whether an error means the connection no longer leads to a writable master.
fn lost_master(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || e.is_unrecoverable_error()
        || e.code() == Some("READONLY")
}

impl SentinelConnection {
    pub fn resolver(
        target: &SentinelTarget,
        settings: &RedisSettings,
        certs: Option<redis::TlsCertificates>,
    ) -> RedisResult<Arc<SentinelResolver>> {
        let sentinels = target.sentinels.iter().map(|(host, port)| ConnectionAddr::Tcp(host.clone(), *port));
        let mut builder = SentinelClientBuilder::new(sentinels, &target.master, SentinelServerType::Master)?
            .set_client_to_redis_db(target.db);
        if let Some(password) = &target.password {
            builder = builder.set_client_to_redis_password(password);
        }
        if let Some(password) = &target.sentinel_password {
            builder = builder.set_client_to_sentinel_password(password);
        }
        if target.tls {
            builder = builder.set_client_to_redis_tls_mode(redis::TlsMode::Secure);
            if let Some(certs) = certs {
                builder = builder.set_client_to_redis_certificates(certs);
            }
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(settings.connect_timeout))
            .set_response_timeout(Some(settings.socket_timeout));
        Ok(Arc::new(SentinelResolver {
            sentinel: tokio::sync::Mutex::new(builder.build()?),
            config,
            connect_timeout: settings.connect_timeout,
            db: target.db,
        }))
    }

    pub fn new(resolver: Arc<SentinelResolver>) -> SentinelConnection {
        SentinelConnection { resolver, current: Arc::new(Mutex::new(None)) }
    }

    fn cached(&self) -> Option<MultiplexedConnection> {
        self.current.lock().expect("not poisoned").clone()
    }

    /// The connection to the current master, asking the Sentinels for it when there is none.
    pub async fn connect(&self) -> RedisResult<MultiplexedConnection> {
        if let Some(conn) = self.cached() {
            return Ok(conn);
        }
        let client = self.resolver.master().await?;
        let conn = client.get_multiplexed_async_connection_with_config(&self.resolver.config).await?;
        tracing::info!(master = %client.get_connection_info().addr(), "connected to the master Redis Sentinel names");
        *self.current.lock().expect("not poisoned") = Some(conn.clone());
        Ok(conn)
    }

    fn check<T>(&self, result: RedisResult<T>) -> RedisResult<T> {
        if let Err(e) = &result {
            if lost_master(e) {
                *self.current.lock().expect("not poisoned") = None;
            }
        }
        result
    }
}

impl ConnectionLike for SentinelConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let mut conn = self.check(self.connect().await)?;
            let reply = conn.req_packed_command(cmd).await;
            self.check(reply)
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let mut conn = self.check(self.connect().await)?;
            let reply = conn.req_packed_commands(cmd, offset, count).await;
            self.check(reply)
        })
    }

    fn get_db(&self) -> i64 {
        self.resolver.db
    }
}
