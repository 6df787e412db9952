//! Builds the running application from its configuration: Redis (embedded or given), the engine, the
//! HTTP listener. Tests start it on port 0.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::auth::{Accounts, SessionCache};
use crate::config::{Config, RedisTarget};
use crate::engine::batcher::Batcher;
use crate::engine::Engine;
use crate::feed::Feed;
use crate::funds::Funds;
use crate::http::rate_limit::{AddressLimits, RateLimiter};
use crate::http::token_bucket::Rate;
use crate::http::ws::socket::WsLimits;
use crate::http::{app, AppState, Shared};
use crate::market_data::MarketData;
use crate::redis::{RedisPool, RedisServer};

/// A bound, not yet serving, application.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    config: Config,
    /// The embedded Redis, when the backend started one; stopped when the application ends.
    _redis: Option<RedisServer>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, Box<dyn std::error::Error + Send + Sync>> {
        let (target, embedded) = match &config.redis {
            RedisTarget::Embedded { data_dir, maxmemory } => {
                let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
                let dir = std::path::absolute(data_dir)?;
                let redis = RedisServer::start_persistent(&dir, port, maxmemory)?;
                tracing::info!(port, dir = %dir.display(), "started embedded redis-server (AOF on)");
                (RedisTarget::Url(redis.url()), Some(redis))
            }
            other => (other.clone(), None),
        };
        let (conn, pubsub) = RedisPool::connect(&target, &config.redis_settings).await?;
        tracing::info!(redis = %target.describe(), "connected");
        let engine = Engine::new(conn.clone(), Arc::new(config.markets.clone()), config.engine.clone());
        engine.load_library().await?;
        let moved = engine.migrate_books().await?;
        if moved > 0 {
            tracing::info!(levels = moved, "moved books of an earlier engine into level buckets");
        }
        // Stops that trades reached beyond one call's budget are placed within 100 ms (lua/stops.lua).
        engine.start_stop_ticks();
        let accounts = Accounts::new(conn, config.auth.clone(), SessionCache::start(pubsub.clone()));
        let listener = TcpListener::bind(SocketAddr::new(config.host, config.port)).await?;
        let rate_limit = Arc::new(RateLimiter::new(Rate::per_second(config.rate_limit_orders_per_sec)));
        let feed = Feed::start(pubsub, &config.markets).await;
        Ok(Application {
            listener,
            state: AppState::new(Shared {
                placer: Batcher::start(engine.clone(), 4, 32),
                market_data: MarketData::start(engine.clone(), feed.clone()),
                feed,
                ws: Arc::new(config.ws.clone()),
                ws_limits: WsLimits::new(&config.ws),
                metrics_token: config.metrics_token.clone(),
                funds: {
                    let funds = Funds::new(engine.clone(), config.funds.clone());
                    // Finishes transfers cut short (by a crash of this or another instance): every
                    // instance runs it; racing each other applies nothing twice.
                    funds.start_reconciler(std::time::Duration::from_secs(1));
                    funds
                },
                engine,
                accounts,
                rate_limit,
                limits: AddressLimits::new(&config.http),
                book_cache: Default::default(),
            }),
            config,
            _redis: embedded,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
    pub async fn run(self) -> std::io::Result<()> {
        let router = app(self.state, &self.config.static_dir, self.config.http.request_timeout);
        crate::http::server::serve(self.listener, router, self.config.http.clone(), shutdown_signal()).await
    }
}

/// Raises this process's limit of open files to its hard limit: every connection is a file, and the
/// usual soft limit (1,024) would refuse connections long before `MAX_CONNECTIONS`. Returns the limit.
pub fn raise_open_files_limit() -> std::io::Result<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // Safe: the two calls only read and write the struct they are given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(limit.rlim_cur)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

/// `backend --health`, the container's health check: asks the server at `host:port` (loopback when it
/// listens on every address) for `/api/v1/health` and says whether it answered 200. The runtime image
/// carries no curl or wget, so the binary checks itself.
pub fn health_probe(host: std::net::IpAddr, port: u16) -> Result<(), String> {
    use std::io::{Read, Write};
    use std::time::Duration;

    let host = if host.is_unspecified() { std::net::IpAddr::from([127, 0, 0, 1]) } else { host };
    let addr = SocketAddr::new(host, port);
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(3))).map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET /api/v1/health HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|e| format!("cannot ask {addr}: {e}"))?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head).map_err(|e| format!("no answer from {addr}: {e}"))?;
    let status_line = String::from_utf8_lossy(&head[..n]);
    let status_line = status_line.lines().next().unwrap_or_default();
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        _ => Err(format!("{addr} answered {status_line:?}")),
    }
}
