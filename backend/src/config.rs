//! Configuration from the environment (and an optional `.env`), typed. `.env.example` lists every variable.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::engine::EngineSettings;

/// Where Redis is: a URL given by the operator, or an embedded `redis-server` the backend starts itself.
#[derive(Clone, Debug)]
pub enum RedisTarget {
    Url(String),
    Embedded { data_dir: PathBuf },
}

#[derive(Clone, Debug)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    pub redis: RedisTarget,
    pub static_dir: PathBuf,
    pub engine: EngineSettings,
    /// How long a login token lasts, in seconds.
    pub token_ttl_secs: u64,
}

/// A variable that is set but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError { name, reason: format!("cannot read `{v}`") }),
    }
}

impl Config {
    /// Reads `.env` (when present, without overriding the environment), then the environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        load_dotenv(".env");
        let redis = match (var("REDIS_URL"), var("REDIS_HOST")) {
            (Some(url), _) => RedisTarget::Url(url),
            (None, Some(host)) => {
                let scheme = if parsed("REDIS_SSL", false)? { "rediss" } else { "redis" };
                let port: u16 = parsed("REDIS_PORT", 6379)?;
                let db: u32 = parsed("REDIS_DB", 0)?;
                let auth = var("REDIS_PASSWORD").map(|p| format!(":{p}@")).unwrap_or_default();
                RedisTarget::Url(format!("{scheme}://{auth}{host}:{port}/{db}"))
            }
            (None, None) => RedisTarget::Embedded { data_dir: PathBuf::from(var("DATA_DIR").unwrap_or("data".into())) },
        };
        let defaults = EngineSettings::default();
        Ok(Config {
            host: parsed("HOST", IpAddr::from([127, 0, 0, 1]))?,
            port: parsed("PORT", 8000)?,
            redis,
            static_dir: PathBuf::from(var("STATIC_DIR").unwrap_or("dist".into())),
            token_ttl_secs: parsed("TOKEN_TTL_SECONDS", 24 * 3600)?,
            engine: EngineSettings {
                retention_ms: parsed("ORDER_RETENTION_SECONDS", defaults.retention_ms / 1000)? * 1000,
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
