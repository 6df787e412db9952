//! Where Redis is and how the backend talks to it.

use std::path::PathBuf;
use std::time::Duration;

use super::env::{parsed, var, ConfigError};

/// Where Redis is: one server at a URL given by the operator, an embedded `redis-server` the backend
/// starts itself, a Redis Cluster, or the master a set of Sentinels names.
#[derive(Clone, Debug)]
pub enum RedisTarget {
    Url(String),
    Embedded {
        data_dir: PathBuf,
        /// Redis's `maxmemory` (`REDIS_MAXMEMORY`): past it, writes are refused (`noeviction`), never
        /// evicted, and the host keeps its memory.
        maxmemory: String,
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
            RedisTarget::Embedded { data_dir, maxmemory } => {
                format!("embedded redis-server, data in {}, maxmemory {maxmemory}", data_dir.display())
            }
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
pub(super) fn redis_target() -> Result<RedisTarget, ConfigError> {
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
        (None, None) => RedisTarget::Embedded {
            data_dir: PathBuf::from(var("DATA_DIR").unwrap_or("data".into())),
            maxmemory: maxmemory()?,
        },
    })
}

/// The embedded server's memory limit: bytes, or a number with `kb`, `mb` or `gb` (as Redis writes it).
pub const DEFAULT_MAXMEMORY: &str = "1gb";

fn maxmemory() -> Result<String, ConfigError> {
    let text = var("REDIS_MAXMEMORY").unwrap_or(DEFAULT_MAXMEMORY.into()).trim().to_lowercase();
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let ok = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && digits.parse::<u64>().is_ok_and(|n| n > 0)
        && ["", "kb", "mb", "gb"].contains(&unit);
    match ok {
        true => Ok(text),
        false => {
            Err(ConfigError { name: "REDIS_MAXMEMORY", reason: format!("`{text}` is not a size like 512mb or 2gb") })
        }
    }
}

/// A comma-separated list of `host:port`.
pub(super) fn host_ports(name: &'static str, list: &str) -> Result<Vec<(String, u16)>, ConfigError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
