//! Reading the environment: every variable the backend knows, `.env`, and typed values with the
//! variable's name in every error.

use std::time::Duration;

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
    "REDIS_MAXMEMORY",
    "METRICS_TOKEN",
    "REDIS_MAX_CONNECTIONS",
    "REDIS_SOCKET_TIMEOUT",
    "REDIS_SOCKET_CONNECT_TIMEOUT",
    "MARKETS",
    "ADMIN_TOKEN",
    "FAUCET",
    "FAUCET_AMOUNTS",
    "TOKEN_TTL_SECONDS",
    "RATE_LIMIT_ORDERS_PER_SEC",
    "MAX_OPEN_ORDERS_PER_USER",
    "MAX_RESTING_ORDERS_PER_MARKET",
    "ORDER_RETENTION_SECONDS",
    "WS_MAX_CONNECTIONS",
    "WS_MAX_PRIVATE_CONNECTIONS",
    "WS_MAX_CONNECTIONS_PER_ADDRESS",
    "WS_MAX_PRIVATE_PER_USER",
    "WS_PING_INTERVAL_SECONDS",
    "WS_MAX_MESSAGE_BYTES",
    "WS_MESSAGES_PER_SEC",
    "WS_ALLOWED_ORIGINS",
    "STATIC_DIR",
    "MAX_CONNECTIONS",
    "MAX_CONNECTIONS_PER_ADDRESS",
    "HEADER_READ_TIMEOUT_SECONDS",
    "REQUEST_TIMEOUT_SECONDS",
    "RATE_LIMIT_EXEMPT",
    "TRUSTED_PROXIES",
    "LOGINS_PER_MINUTE_PER_ADDRESS",
    "REGISTRATIONS_PER_HOUR_PER_ADDRESS",
    "PUBLIC_READS_PER_SEC_PER_ADDRESS",
    "MAX_CONCURRENT_PASSWORD_HASHES",
    "MAX_SESSIONS_PER_USER",
    "RUST_LOG",
];

pub(super) fn var(name: &str) -> Option<String> {
    debug_assert!(VARIABLES.contains(&name), "{name} is read but missing from config::VARIABLES");
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub(super) fn parsed<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError { name, reason: format!("cannot read `{v}`") }),
    }
}

pub(super) fn seconds(name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
    let secs: f64 = parsed(name, default.as_secs_f64())?;
    if secs.is_finite() && secs > 0.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(ConfigError { name, reason: "must be a positive number of seconds".into() })
    }
}

/// `KEY=value` lines; comments and blank lines skipped; variables already set win.
pub(super) fn load_dotenv(path: &str) {
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
}
