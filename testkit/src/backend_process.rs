//! The backend binary as a process of its own: for tests that kill it, read its output or its memory,
//! and for the benchmarks, which measure the release build.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::ports::{free_port, unique};
use crate::redis_server::RedisProcess;

/// A running backend; killed on drop (its log removed, its own Redis, if any, stopped).
pub struct BackendProcess {
    child: Child,
    pub port: u16,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    /// Its own Redis, when it was started with one.
    redis: Option<RedisProcess>,
}

impl Drop for BackendProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl BackendProcess {
    /// Starts the binary `exe` on `port` with these variables (and, unless they set them, the order rate
    /// limit off, the loopback address exempt from the per-address limits: every test client is local,
    /// and the test admin token; no Redis variable is inherited), and waits until it is healthy.
    pub async fn start(exe: &Path, port: u16, vars: &[(&str, &str)]) -> BackendProcess {
        let log = std::env::temp_dir().join(format!("exchange-backend-{}-{}.log", std::process::id(), unique()));
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(exe);
        cmd.env("PORT", port.to_string()).env("RATE_LIMIT_ORDERS_PER_SEC", "0").env("RATE_LIMIT_EXEMPT", "127.0.0.1");
        // Test users are funded by the admin's deposits (`app::fund`).
        cmd.env("ADMIN_TOKEN", crate::app::ADMIN_TOKEN);
        for var in ["REDIS_URL", "REDIS_HOST", "REDIS_PASSWORD", "REDIS_CLUSTER_NODES", "REDIS_SENTINEL_NODES"] {
            cmd.env_remove(var);
        }
        cmd.envs(vars.iter().copied()).stdin(Stdio::null()).stdout(out.try_clone().unwrap()).stderr(out);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        // Held at once, so that it is killed whatever happens next.
        let server = BackendProcess { child, port, log, redis: None };
        server.wait_healthy().await;
        server
    }

    /// The release build (`target/release/backend`, built beforehand) over a Redis of its own, with no
    /// rate limit and a high open-orders cap: the benchmarks' server.
    pub async fn release_with_own_redis() -> BackendProcess {
        let redis = RedisProcess::start(&[]).expect("redis-server starts");
        let exe = std::env::current_dir().unwrap().join("target/release/backend");
        assert!(exe.exists(), "{} is missing: run `cargo build --release -p backend` first", exe.display());
        let url = redis.url();
        let vars = [("REDIS_URL", url.as_str()), ("MAX_OPEN_ORDERS_PER_USER", "100000"), ("RUST_LOG", "warn")];
        let mut server = BackendProcess::start(&exe, free_port(), &vars).await;
        server.redis = Some(redis);
        server
    }

    async fn wait_healthy(&self) {
        let http = reqwest::Client::new();
        for _ in 0..100 {
            let health = http.get(format!("{}/health", self.base())).send().await;
            if health.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the backend did not become healthy: {}", self.output());
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The API's base URL, `http://127.0.0.1:<port>/api/v1`.
    pub fn base(&self) -> String {
        format!("{}/api/v1", self.origin())
    }

    /// Everything it has printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its own Redis (for `release_with_own_redis`).
    pub fn redis(&self) -> &RedisProcess {
        self.redis.as_ref().expect("this backend was started with a Redis of its own")
    }
}
