//! Multi-process Redis deployments on loopback ports, for tests and benchmarks: a Redis Cluster of N
//! masters, and a master with a replica watched by three Sentinels. Every process is a `RedisProcess`
//! of its own (killed and cleaned up on drop).

use std::process::Command;
use std::time::{Duration, Instant};

use backend::config::{RedisTarget, SentinelTarget};

use crate::ports::free_port;
use crate::redis_server::RedisProcess;

/// A Redis Cluster of `masters` masters, each with `replicas` replicas, every slot assigned, state `ok`.
pub struct RedisCluster {
    pub nodes: Vec<RedisProcess>,
}

impl RedisCluster {
    pub fn start(masters: usize) -> std::io::Result<RedisCluster> {
        Self::start_with_replicas(masters, 0)
    }

    pub fn start_with_replicas(masters: usize, replicas: usize) -> std::io::Result<RedisCluster> {
        let mut nodes = Vec::with_capacity(masters * (1 + replicas));
        for _ in 0..masters * (1 + replicas) {
            nodes.push(RedisProcess::with_args(|_| {
                // The bus port must be free too (the default, port + 10000, may not even exist).
                let bus = free_port().to_string();
                ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"]
                    .iter()
                    .map(|s| s.to_string())
                    .chain(["--cluster-port".to_string(), bus])
                    .collect()
            })?);
        }
        let cluster = RedisCluster { nodes };
        if masters == 1 {
            // redis-cli refuses a one-node cluster; one master simply owns every slot.
            cli(cluster.nodes[0].port(), &["CLUSTER", "ADDSLOTSRANGE", "0", "16383"])?;
        } else {
            let mut args: Vec<String> = vec!["--cluster".into(), "create".into()];
            args.extend(cluster.nodes.iter().map(|n| format!("127.0.0.1:{}", n.port())));
            args.extend(["--cluster-replicas".into(), replicas.to_string(), "--cluster-yes".into()]);
            let out = Command::new("redis-cli").args(&args).output()?;
            if !out.status.success() {
                return Err(std::io::Error::other(format!(
                    "redis-cli --cluster create failed: {}",
                    String::from_utf8_lossy(&out.stdout)
                )));
            }
        }
        cluster.wait_ok()?;
        cluster.wait_replicas_synced()?;
        Ok(cluster)
    }

    /// Waits until every replica's link to its master is up (a replica that never synced cannot
    /// take over).
    fn wait_replicas_synced(&self) -> std::io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let synced = self.nodes.iter().all(|n| {
                let info = cli(n.port(), &["INFO", "replication"]).unwrap_or_default();
                info.contains("role:master") || info.contains("master_link_status:up")
            });
            if synced {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(std::io::Error::other("the cluster's replicas did not sync within 30 s"))
    }

    /// Waits until every node says the cluster is `ok` and knows every other node.
    fn wait_ok(&self) -> std::io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let ready = self.nodes.iter().all(|n| {
                let info = cli(n.port(), &["CLUSTER", "INFO"]).unwrap_or_default();
                info.contains("cluster_state:ok")
                    && info.contains(&format!("cluster_known_nodes:{}", self.nodes.len()))
                    && info.contains("cluster_slots_ok:16384")
            });
            if ready {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(std::io::Error::other("the cluster did not become ok within 30 s"))
    }

    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.url()).collect()
    }

    pub fn target(&self) -> RedisTarget {
        RedisTarget::Cluster { nodes: self.urls() }
    }

    /// The port of the master serving `key`, as the nodes still running see it.
    pub fn port_of(&self, key: &str) -> std::io::Result<u16> {
        let live: Vec<u16> = self.nodes.iter().filter(|n| n.pid().is_some()).map(|n| n.port()).collect();
        let slot: u16 = live
            .iter()
            .find_map(|&p| cli(p, &["CLUSTER", "KEYSLOT", key]).ok())
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| std::io::Error::other("CLUSTER KEYSLOT"))?;
        for port in live {
            if owns(port, slot).unwrap_or(false) {
                return Ok(port);
            }
        }
        Err(std::io::Error::other(format!("no node serves slot {slot}")))
    }
}

/// Whether the node on `port` serves `slot` (from its own view of the slots it owns).
fn owns(port: u16, slot: u16) -> std::io::Result<bool> {
    let nodes = cli(port, &["CLUSTER", "NODES"])?;
    let me = nodes.lines().find(|l| l.contains("myself")).unwrap_or_default();
    Ok(me.split_whitespace().skip(8).any(|range| {
        let (a, b) = range.split_once('-').unwrap_or((range, range));
        matches!((a.parse::<u16>(), b.parse::<u16>()), (Ok(a), Ok(b)) if (a..=b).contains(&slot))
    }))
}

/// A master, one replica and three Sentinels watching it as `mymaster`.
pub struct RedisSentinels {
    pub master: RedisProcess,
    pub replica: RedisProcess,
    pub sentinels: Vec<RedisProcess>,
    /// The master's (and replica's) password and the Sentinels' own, when they have them.
    passwords: Option<(String, String)>,
}

impl RedisSentinels {
    pub fn start() -> std::io::Result<RedisSentinels> {
        Self::start_inner(None)
    }

    /// The same with passwords: the data nodes' `requirepass` and the Sentinels' own.
    pub fn start_with_passwords(master: &str, sentinels: &str) -> std::io::Result<RedisSentinels> {
        Self::start_inner(Some((master.to_string(), sentinels.to_string())))
    }

    fn start_inner(passwords: Option<(String, String)>) -> std::io::Result<RedisSentinels> {
        let auth: Vec<&str> = match &passwords {
            Some((pw, _)) => vec!["--requirepass", pw, "--masterauth", pw],
            None => vec![],
        };
        let master = RedisProcess::start(&auth)?;
        let port = master.port().to_string();
        let mut replica_args = auth.clone();
        replica_args.extend(["--replicaof", "127.0.0.1", &port]);
        let replica = RedisProcess::start(&replica_args)?;
        let pw = passwords.as_ref().map(|(m, s)| (m.as_str(), s.as_str()));
        let sentinels =
            (0..3).map(|_| RedisProcess::start_sentinel(master.port(), pw)).collect::<Result<Vec<_>, _>>()?;
        let group = RedisSentinels { master, replica, sentinels, passwords };
        group.wait_ready()?;
        Ok(group)
    }

    fn data_cli(&self, port: u16, args: &[&str]) -> std::io::Result<String> {
        cli_as(port, self.passwords.as_ref().map(|p| p.0.as_str()), args)
    }

    fn sentinel_cli(&self, port: u16, args: &[&str]) -> std::io::Result<String> {
        cli_as(port, self.passwords.as_ref().map(|p| p.1.as_str()), args)
    }

    /// Waits until the replica is in sync and every Sentinel knows the replica and the other Sentinels.
    fn wait_ready(&self) -> std::io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let synced = self
                .data_cli(self.replica.port(), &["INFO", "replication"])
                .is_ok_and(|i| i.contains("master_link_status:up"));
            let known = self.sentinels.iter().all(|s| {
                self.sentinel_cli(s.port(), &["SENTINEL", "MASTER", "mymaster"])
                    .is_ok_and(|m| m.contains("num-slaves\n1\n") && m.contains("num-other-sentinels\n2\n"))
            });
            if synced && known {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(std::io::Error::other("the sentinels did not see the replica and each other within 30 s"))
    }

    pub fn target(&self) -> RedisTarget {
        RedisTarget::Sentinel(SentinelTarget {
            sentinels: self.sentinels.iter().map(|s| ("127.0.0.1".to_string(), s.port())).collect(),
            master: "mymaster".into(),
            password: self.passwords.as_ref().map(|p| p.0.clone()),
            sentinel_password: self.passwords.as_ref().map(|p| p.1.clone()),
            db: 0,
            tls: false,
        })
    }

    /// The port of the master as the first Sentinel names it now.
    pub fn current_master_port(&self) -> std::io::Result<u16> {
        let addr = self.sentinel_cli(self.sentinels[0].port(), &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"])?;
        addr.lines().nth(1).and_then(|p| p.trim().parse().ok()).ok_or_else(|| std::io::Error::other("no master"))
    }
}

/// Runs one command with `redis-cli` against the server on `port`; its output, or an error when it
/// failed or answered an error.
pub fn cli(port: u16, args: &[&str]) -> std::io::Result<String> {
    cli_as(port, None, args)
}

/// `cli`, authenticated with `password` when given.
pub fn cli_as(port: u16, password: Option<&str>, args: &[&str]) -> std::io::Result<String> {
    let mut cmd = Command::new("redis-cli");
    cmd.args(["-p", &port.to_string()]);
    if let Some(pw) = password {
        cmd.env("REDISCLI_AUTH", pw);
    }
    let out = cmd.args(args).output()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() || text.starts_with("ERR") || text.starts_with("(error)") {
        return Err(std::io::Error::other(format!("redis-cli {args:?}: {text}")));
    }
    Ok(text)
}

/// The Redis deployments a test can run on: every test says which (see `on_every_deployment!`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deployment {
    /// One `redis-server`.
    Single,
    /// A Redis Cluster of three masters: markets on different shards.
    Cluster,
}

/// A test's own Redis, of the deployment it asked for.
pub enum TestRedis {
    Single(RedisProcess),
    Cluster(RedisCluster),
}

impl TestRedis {
    pub fn start(deployment: Deployment) -> std::io::Result<TestRedis> {
        Ok(match deployment {
            Deployment::Single => TestRedis::Single(RedisProcess::start(&[])?),
            Deployment::Cluster => TestRedis::Cluster(RedisCluster::start(3)?),
        })
    }

    pub fn target(&self) -> RedisTarget {
        match self {
            TestRedis::Single(r) => RedisTarget::Url(r.url()),
            TestRedis::Cluster(c) => c.target(),
        }
    }

    /// Every node's URL (one for a single server).
    pub fn urls(&self) -> Vec<String> {
        match self {
            TestRedis::Single(r) => vec![r.url()],
            TestRedis::Cluster(c) => c.urls(),
        }
    }

    /// The single server, for tests that stop and restart it (they run against one server only).
    pub fn single(&mut self) -> &mut RedisProcess {
        match self {
            TestRedis::Single(r) => r,
            TestRedis::Cluster(_) => panic!("this test stops Redis and runs against a single server only"),
        }
    }
}

/// Each test of the block, run on every deployment: `on_every_deployment! { async fn name(d) { .. } }`
/// makes the tests `name::on_one_server` and `name::on_a_cluster`, each given its `Deployment` as `d`.
#[macro_export]
macro_rules! on_every_deployment {
    ($( $(#[$meta:meta])* async fn $name:ident($deployment:ident) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($deployment: $crate::Deployment) $body

                #[tokio::test]
                async fn on_one_server() {
                    run($crate::Deployment::Single).await
                }

                #[tokio::test]
                async fn on_a_cluster() {
                    run($crate::Deployment::Cluster).await
                }
            }
        )*
    };
}
