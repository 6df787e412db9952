//! Configuration from the environment (and an optional `.env`), typed. `.env.example` lists every
//! variable. The bottom layer of the crate: it owns every settings type and imports nothing of the
//! crate, so that every other module can depend on it.

mod env;
mod markets;
mod redis_target;
mod service;

use std::net::IpAddr;
use std::path::PathBuf;

use common::market::MarketConfigError;

use env::{load_dotenv, parsed, seconds, var};
pub use env::{ConfigError, VARIABLES};
pub use markets::{market_from_text, Markets};
use redis_target::redis_target;
pub use redis_target::{percent_encode, RedisSettings, RedisTarget, SentinelTarget};
pub use service::{EngineSettings, HttpLimits, WsConfig, BODY_LIMIT};

#[derive(Clone, Debug)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    pub redis: RedisTarget,
    pub redis_settings: RedisSettings,
    pub markets: Markets,
    /// Order placements and cancels a user may make per second on one instance (0: no limit).
    pub rate_limit_orders_per_sec: u32,
    pub static_dir: PathBuf,
    pub engine: EngineSettings,
    /// How long a login token lasts, in seconds.
    pub token_ttl_secs: u64,
    pub ws: WsConfig,
    pub http: HttpLimits,
}

/// `MARKETS`: `SYMBOL:tick:lot:min_qty:max_qty:max_price` entries separated by `;`.
fn markets() -> Result<Markets, ConfigError> {
    let Some(text) = var("MARKETS") else { return Ok(Markets::defaults()) };
    let fail = |e: MarketConfigError| ConfigError { name: "MARKETS", reason: e.to_string() };
    let list =
        text.split(';').map(str::trim).filter(|e| !e.is_empty()).map(market_from_text).collect::<Result<Vec<_>, _>>();
    Markets::new(list.map_err(fail)?).map_err(fail)
}

impl Config {
    /// A loopback server on a free port (0) over the given Redis, every other setting at its default
    /// except the rate limit, which is off (tests and benchmarks drive many orders per user).
    pub fn local(redis: RedisTarget, static_dir: PathBuf) -> Config {
        Config {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            redis,
            redis_settings: RedisSettings::default(),
            markets: Markets::defaults(),
            rate_limit_orders_per_sec: 0,
            static_dir,
            engine: EngineSettings::default(),
            token_ttl_secs: 3600,
            ws: WsConfig::default(),
            http: HttpLimits::default(),
        }
    }

    /// Reads `.env` (when present, without overriding the environment), then the environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        load_dotenv(".env");
        let redis = redis_target()?;
        let defaults = EngineSettings::default();
        let redis_defaults = RedisSettings::default();
        let max_connections: usize = parsed("REDIS_MAX_CONNECTIONS", redis_defaults.max_connections)?;
        if !(1..=64).contains(&max_connections) {
            return Err(ConfigError { name: "REDIS_MAX_CONNECTIONS", reason: "must be between 1 and 64".into() });
        }
        Ok(Config {
            host: parsed("HOST", IpAddr::from([127, 0, 0, 1]))?,
            port: parsed("PORT", 8000)?,
            redis,
            redis_settings: RedisSettings {
                max_connections,
                socket_timeout: seconds("REDIS_SOCKET_TIMEOUT", redis_defaults.socket_timeout)?,
                connect_timeout: seconds("REDIS_SOCKET_CONNECT_TIMEOUT", redis_defaults.connect_timeout)?,
                tls_ca_file: var("REDIS_TLS_CA_FILE").map(PathBuf::from),
            },
            markets: markets()?,
            rate_limit_orders_per_sec: parsed("RATE_LIMIT_ORDERS_PER_SEC", 100)?,
            static_dir: PathBuf::from(var("STATIC_DIR").unwrap_or("dist".into())),
            token_ttl_secs: parsed("TOKEN_TTL_SECONDS", 24 * 3600)?,
            http: {
                let d = HttpLimits::default();
                HttpLimits {
                    max_connections: parsed("MAX_CONNECTIONS", d.max_connections)?,
                    header_read_timeout: seconds("HEADER_READ_TIMEOUT_SECONDS", d.header_read_timeout)?,
                }
            },
            ws: {
                let d = WsConfig::default();
                WsConfig {
                    max_connections: parsed("WS_MAX_CONNECTIONS", d.max_connections)?,
                    max_message_bytes: parsed("WS_MAX_MESSAGE_BYTES", d.max_message_bytes)?,
                    messages_per_sec: parsed("WS_MESSAGES_PER_SEC", d.messages_per_sec)?,
                    allowed_origins: var("WS_ALLOWED_ORIGINS")
                        .map(|v| v.split(',').map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect())
                        .unwrap_or_default(),
                }
            },
            engine: EngineSettings {
                retention_ms: parsed("ORDER_RETENTION_SECONDS", defaults.retention_ms / 1000)? * 1000,
                max_open_orders_per_user: parsed("MAX_OPEN_ORDERS_PER_USER", defaults.max_open_orders_per_user)?,
                replicas_to_wait: parsed("REDIS_WAIT_REPLICAS", defaults.replicas_to_wait)?,
                replica_wait_ms: parsed("REDIS_WAIT_TIMEOUT_MS", defaults.replica_wait_ms)?,
                ..defaults
            },
        })
    }
}
