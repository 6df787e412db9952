//! Configuration from the environment (and an optional `.env`), typed. `.env.example` lists every variable.

use std::net::IpAddr;
use std::path::PathBuf;

use std::time::Duration;

use common::market::MarketConfigError;

use crate::engine::EngineSettings;
use crate::http::server::HttpLimits;
use crate::http::ws::WsConfig;
use crate::markets::{market_from_text, Markets};

/// Where Redis is: one server at a URL given by the operator, an embedded `redis-server` the backend
/// starts itself, a Redis Cluster, or the master a set of Sentinels names.
#[derive(Clone, Debug)]
pub enum RedisTarget {
    Url(String),
    Embedded {
        data_dir: PathBuf,
    },
    /// Seed nodes of a Redis Cluster, as URLs (`redis://:password@host:port`); the rest is discovered.
    Cluster {
        nodes: Vec<String>,
    },
    Sentinel(SentinelTarget),
}

impl RedisTarget {
    /// Where Redis is, for the log: no password, whatever the URLs hold.
    pub fn describe(&self) -> String {
        let host = |url: &str| {
            let rest = url.split_once("://").map_or(url, |(_, r)| r);
            let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
            rest.split('/').next().unwrap_or(rest).to_string()
        };
        match self {
            RedisTarget::Url(url) => format!("redis at {}", host(url)),
            RedisTarget::Embedded { data_dir } => format!("embedded redis-server, data in {}", data_dir.display()),
            RedisTarget::Cluster { nodes } => {
                format!("redis cluster, seed nodes {}", nodes.iter().map(|n| host(n)).collect::<Vec<_>>().join(","))
            }
            RedisTarget::Sentinel(s) => format!("master `{}` named by {} sentinels", s.master, s.sentinels.len()),
        }
    }
}

/// A master found through Redis Sentinel, and how to talk to it.
#[derive(Clone, Debug)]
pub struct SentinelTarget {
    /// The Sentinels' addresses (they are asked in turn).
    pub sentinels: Vec<(String, u16)>,
    /// The name the Sentinels monitor the master under.
    pub master: String,
    pub password: Option<String>,
    /// The Sentinels' own password (their `requirepass`), when they have one.
    pub sentinel_password: Option<String>,
    pub db: i64,
    pub tls: bool,
}

/// How the backend talks to Redis.
#[derive(Clone, Debug)]
pub struct RedisSettings {
    /// Multiplexed connections the requests are spread over.
    pub max_connections: usize,
    /// How long one command may take before it fails (and the request gets a 503).
    pub socket_timeout: Duration,
    /// How long opening a connection may take.
    pub connect_timeout: Duration,
    /// A PEM file of the certificate authority that signed Redis's TLS certificate, when it is not one
    /// the system trusts (`rediss://` only).
    pub tls_ca_file: Option<PathBuf>,
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            max_connections: 4,
            socket_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(2),
            tls_ca_file: None,
        }
    }
}

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

/// A variable that is set but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

/// Every variable the backend reads. `.env.example` lists exactly these and `backend --variables` prints
/// them (tests check both, and the compose file is checked against them).
pub const VARIABLES: &[&str] = &[
    "HOST",
    "PORT",
    "REDIS_URL",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_DB",
    "REDIS_PASSWORD",
    "REDIS_SSL",
    "REDIS_TLS_CA_FILE",
    "REDIS_CLUSTER_NODES",
    "REDIS_SENTINEL_NODES",
    "REDIS_SENTINEL_MASTER",
    "REDIS_SENTINEL_PASSWORD",
    "REDIS_WAIT_REPLICAS",
    "REDIS_WAIT_TIMEOUT_MS",
    "DATA_DIR",
    "REDIS_MAX_CONNECTIONS",
    "REDIS_SOCKET_TIMEOUT",
    "REDIS_SOCKET_CONNECT_TIMEOUT",
    "MARKETS",
    "TOKEN_TTL_SECONDS",
    "RATE_LIMIT_ORDERS_PER_SEC",
    "MAX_OPEN_ORDERS_PER_USER",
    "ORDER_RETENTION_SECONDS",
    "WS_MAX_CONNECTIONS",
    "WS_MAX_MESSAGE_BYTES",
    "WS_MESSAGES_PER_SEC",
    "WS_ALLOWED_ORIGINS",
    "STATIC_DIR",
    "MAX_CONNECTIONS",
    "HEADER_READ_TIMEOUT_SECONDS",
    "RUST_LOG",
];

fn var(name: &str) -> Option<String> {
    debug_assert!(VARIABLES.contains(&name), "{name} is read but missing from config::VARIABLES");
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError { name, reason: format!("cannot read `{v}`") }),
    }
}

fn seconds(name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
    let secs: f64 = parsed(name, default.as_secs_f64())?;
    if secs.is_finite() && secs > 0.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(ConfigError { name, reason: "must be a positive number of seconds".into() })
    }
}

/// Percent-encodes text for a URL (every byte but the unreserved ones): a Redis password in the
/// user-info part, a symbol in a path.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where Redis is, from the first of these that is set: `REDIS_CLUSTER_NODES`, `REDIS_SENTINEL_NODES`,
/// `REDIS_URL`, `REDIS_HOST`; with none, an embedded server. `REDIS_PASSWORD`, `REDIS_SSL` and
/// `REDIS_DB` apply to the cluster's nodes and to the Sentinels' master too.
fn redis_target() -> Result<RedisTarget, ConfigError> {
    let tls = parsed("REDIS_SSL", false)?;
    let password = var("REDIS_PASSWORD");
    let db: i64 = parsed("REDIS_DB", 0)?;
    let scheme = if tls { "rediss" } else { "redis" };
    let auth = password.as_deref().map(|p| format!(":{}@", percent_encode(p))).unwrap_or_default();
    if let Some(list) = var("REDIS_CLUSTER_NODES") {
        if db != 0 {
            return Err(ConfigError { name: "REDIS_DB", reason: "a Redis Cluster has only database 0".into() });
        }
        let nodes = host_ports("REDIS_CLUSTER_NODES", &list)?;
        let nodes = nodes
            .iter()
            .map(|(host, port)| match host.contains(':') {
                true => format!("{scheme}://{auth}[{host}]:{port}"),
                false => format!("{scheme}://{auth}{host}:{port}"),
            })
            .collect();
        return Ok(RedisTarget::Cluster { nodes });
    }
    if let Some(list) = var("REDIS_SENTINEL_NODES") {
        let sentinels = host_ports("REDIS_SENTINEL_NODES", &list)?;
        let master = var("REDIS_SENTINEL_MASTER").unwrap_or_else(|| "mymaster".into());
        let sentinel_password = var("REDIS_SENTINEL_PASSWORD");
        return Ok(RedisTarget::Sentinel(SentinelTarget { sentinels, master, password, sentinel_password, db, tls }));
    }
    Ok(match (var("REDIS_URL"), var("REDIS_HOST")) {
        (Some(url), _) => RedisTarget::Url(url),
        (None, Some(host)) => {
            let port: u16 = parsed("REDIS_PORT", 6379)?;
            RedisTarget::Url(format!("{scheme}://{auth}{host}:{port}/{db}"))
        }
        (None, None) => RedisTarget::Embedded { data_dir: PathBuf::from(var("DATA_DIR").unwrap_or("data".into())) },
    })
}

/// A comma-separated list of `host:port`.
fn host_ports(name: &'static str, list: &str) -> Result<Vec<(String, u16)>, ConfigError> {
    let nodes: Vec<(String, u16)> = list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            let bad = || ConfigError { name, reason: format!("`{n}` is not host:port") };
            let (host, port) = n.rsplit_once(':').ok_or_else(bad)?;
            let port: u16 = port.parse().map_err(|_| bad())?;
            if host.is_empty() || port == 0 {
                return Err(bad());
            }
            Ok((host.trim_matches(['[', ']']).to_string(), port))
        })
        .collect::<Result<_, _>>()?;
    if nodes.is_empty() {
        return Err(ConfigError { name, reason: "lists no node".into() });
    }
    Ok(nodes)
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

/// `KEY=value` lines; comments and blank lines skipped; variables already set win.
fn load_dotenv(path: &str) {
    let Ok(text) = std::fs::read_to_string(path) else { return };
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if let Some((k, v)) = line.split_once('=') {
            let (k, v) = (k.trim(), v.trim().trim_matches('"'));
            if std::env::var_os(k).is_none() {
                // Safe here: called once at start-up, before any other thread exists.
                unsafe { std::env::set_var(k, v) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of `NAME=value` lines in `.env.example`, commented out or not.
    fn example_variables() -> Vec<String> {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../.env.example")).unwrap();
        text.lines()
            .map(|l| l.trim_start_matches('#').trim())
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .map(String::from)
            .collect()
    }

    #[test]
    fn env_example_lists_exactly_the_variables_the_backend_reads() {
        let mut listed = example_variables();
        listed.sort();
        let mut known: Vec<String> = VARIABLES.iter().map(|v| v.to_string()).collect();
        known.sort();
        assert_eq!(listed, known);
    }

    #[test]
    fn a_target_is_described_without_its_password() {
        let url = RedisTarget::Url("rediss://:s3cret@redis.example:6380/2".into());
        assert_eq!(url.describe(), "redis at redis.example:6380");
        let cluster = RedisTarget::Cluster { nodes: vec!["redis://:pw@a:7000".into(), "redis://b:7001".into()] };
        assert_eq!(cluster.describe(), "redis cluster, seed nodes a:7000,b:7001");
    }

    #[test]
    fn node_lists_are_host_port_pairs() {
        let nodes = host_ports("REDIS_CLUSTER_NODES", " 10.0.0.1:7000, redis-b:7001 ,[::1]:7002").unwrap();
        assert_eq!(nodes, [("10.0.0.1".into(), 7000), ("redis-b".into(), 7001), ("::1".into(), 7002)]);
        for bad in ["", " , ", "host", "host:", ":7000", "host:0", "host:70000", "host:x"] {
            assert!(host_ports("REDIS_CLUSTER_NODES", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_password_is_percent_encoded_in_the_redis_url() {
        assert_eq!(percent_encode("p@ss:w/rd"), "p%40ss%3Aw%2Frd");
    }
}
