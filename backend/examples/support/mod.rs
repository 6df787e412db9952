//! What the load examples share: the release backend as a child process over a Redis of its own.
// Each example uses only part of this module.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use backend::redis_process::RedisProcess;

/// The backend process and its Redis; both stop when this is dropped.
pub struct Backend {
    child: Child,
    pub port: u16,
    pub base: String,
    redis: RedisProcess,
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Backend {
    /// Starts `target/release/backend` (build it first) with no rate limit and a high open-orders cap,
    /// and waits until it is healthy.
    pub async fn start() -> Backend {
        let redis = RedisProcess::start_scratch(&[]).expect("redis-server starts");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let exe = std::env::current_dir().unwrap().join("target/release/backend");
        let child = Command::new(&exe)
            .env("PORT", port.to_string())
            .env("REDIS_URL", redis.url())
            .env("RATE_LIMIT_ORDERS_PER_SEC", "0")
            .env("MAX_OPEN_ORDERS_PER_USER", "100000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {}: {e} (run `cargo build --release -p backend` first)", exe.display())
            });
        let backend = Backend { child, port, base: format!("http://127.0.0.1:{port}/api/v1"), redis };
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{}/health", backend.base)).send().await.is_ok_and(|r| r.status() == 200) {
                return backend;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the backend did not become healthy");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn redis_port(&self) -> u16 {
        self.redis.port()
    }

    pub fn redis_pid(&self) -> u32 {
        self.redis.pid().expect("redis-server runs")
    }
}
