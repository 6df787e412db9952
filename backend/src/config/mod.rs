//! Configuration from the environment (and an optional `.env`), typed. `.env.example` lists every
//! variable. The bottom layer of the crate: it owns every settings type and imports nothing of the
//! crate, so that every other module can depend on it.

mod addresses;
mod env;
mod funds;
mod markets;
mod redis_target;
mod service;

use std::net::IpAddr;
use std::path::PathBuf;

use common::market::MarketConfigError;

pub use addresses::AddressSet;
use env::{load_dotenv, parsed, seconds, var};
pub use env::{ConfigError, VARIABLES};
use funds::parse_faucet_amounts;
pub use funds::FundsSettings;
pub use markets::{market_from_text, Markets};
use redis_target::redis_target;
pub use redis_target::{percent_encode, RedisSettings, RedisTarget, SentinelTarget};
pub use service::{AuthSettings, EngineSettings, HttpLimits, WsConfig, BODY_LIMIT};

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
    pub auth: AuthSettings,
    pub ws: WsConfig,
    pub http: HttpLimits,
    /// When set, `/metrics` asks for `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
    pub funds: FundsSettings,
}

/// `MARKETS`: `SYMBOL:tick:lot:min_qty:max_qty:max_price` entries separated by `;`.
fn markets() -> Result<Markets, ConfigError> {
    let Some(text) = var("MARKETS") else { return Ok(Markets::defaults()) };
    let fail = |e: MarketConfigError| ConfigError { name: "MARKETS", reason: e.to_string() };
    let list =
        text.split(';').map(str::trim).filter(|e| !e.is_empty()).map(market_from_text).collect::<Result<Vec<_>, _>>();
    Markets::new(list.map_err(fail)?).map_err(fail)
}

fn addresses(name: &'static str) -> Result<AddressSet, ConfigError> {
    AddressSet::parse(&var(name).unwrap_or_default()).map_err(|reason| ConfigError { name, reason })
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
            auth: AuthSettings { token_ttl_secs: 3600, ..AuthSettings::default() },
            ws: WsConfig::default(),
            http: HttpLimits::default(),
            metrics_token: None,
            funds: FundsSettings::default(),
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
            auth: {
                let d = AuthSettings::default();
                let max_concurrent_hashes = parsed("MAX_CONCURRENT_PASSWORD_HASHES", d.max_concurrent_hashes)?;
                if max_concurrent_hashes == 0 {
                    return Err(ConfigError {
                        name: "MAX_CONCURRENT_PASSWORD_HASHES",
                        reason: "must be at least 1".into(),
                    });
                }
                AuthSettings {
                    token_ttl_secs: parsed("TOKEN_TTL_SECONDS", d.token_ttl_secs)?,
                    max_concurrent_hashes,
                    max_sessions_per_user: parsed("MAX_SESSIONS_PER_USER", d.max_sessions_per_user)?.max(1),
                    ..d
                }
            },
            http: {
                let d = HttpLimits::default();
                HttpLimits {
                    max_connections: parsed("MAX_CONNECTIONS", d.max_connections)?,
                    max_connections_per_address: parsed("MAX_CONNECTIONS_PER_ADDRESS", d.max_connections_per_address)?,
                    header_read_timeout: seconds("HEADER_READ_TIMEOUT_SECONDS", d.header_read_timeout)?,
                    request_timeout: seconds("REQUEST_TIMEOUT_SECONDS", d.request_timeout)?,
                    exempt: addresses("RATE_LIMIT_EXEMPT")?,
                    trusted_proxies: addresses("TRUSTED_PROXIES")?,
                    logins_per_minute: parsed("LOGINS_PER_MINUTE_PER_ADDRESS", d.logins_per_minute)?,
                    registrations_per_hour: parsed("REGISTRATIONS_PER_HOUR_PER_ADDRESS", d.registrations_per_hour)?,
                    public_reads_per_sec: parsed("PUBLIC_READS_PER_SEC_PER_ADDRESS", d.public_reads_per_sec)?,
                }
            },
            metrics_token: var("METRICS_TOKEN"),
            funds: {
                let d = FundsSettings::default();
                FundsSettings {
                    admin_token: var("ADMIN_TOKEN").filter(|t| !t.is_empty()),
                    faucet: parsed("FAUCET", d.faucet)?,
                    faucet_amounts: match var("FAUCET_AMOUNTS") {
                        Some(text) => parse_faucet_amounts(&text)?,
                        None => d.faucet_amounts,
                    },
                    ..d
                }
            },
            ws: {
                let d = WsConfig::default();
                WsConfig {
                    max_connections: parsed("WS_MAX_CONNECTIONS", d.max_connections)?,
                    max_private_connections: parsed("WS_MAX_PRIVATE_CONNECTIONS", d.max_private_connections)?,
                    max_per_address: parsed("WS_MAX_CONNECTIONS_PER_ADDRESS", d.max_per_address)?,
                    max_private_per_user: parsed("WS_MAX_PRIVATE_PER_USER", d.max_private_per_user)?,
                    ping_interval: seconds("WS_PING_INTERVAL_SECONDS", d.ping_interval)?,
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
                max_resting_orders_per_market: parsed(
                    "MAX_RESTING_ORDERS_PER_MARKET",
                    defaults.max_resting_orders_per_market,
                )?,
                replicas_to_wait: parsed("REDIS_WAIT_REPLICAS", defaults.replicas_to_wait)?,
                replica_wait_ms: parsed("REDIS_WAIT_TIMEOUT_MS", defaults.replica_wait_ms)?,
                ..defaults
            },
        })
    }
}
