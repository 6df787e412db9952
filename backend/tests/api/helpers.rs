//! Test plumbing: the whole app on port 0 over a `redis-server` of its own, and typed request helpers.

use std::path::PathBuf;

use backend::config::{Config, RedisTarget};
use backend::redis_deployments::TestRedis;
use backend::redis_process::RedisProcess;
use backend::startup::Application;
use reqwest::{Client, Response};
use serde_json::{json, Value};

pub struct TestApp {
    pub address: String,
    pub client: Client,
    /// The app's own Redis: a server, or with `TEST_REDIS=cluster` a cluster (None for a second
    /// instance on another app's Redis).
    pub redis: Option<TestRedis>,
    /// Where the app's Redis is.
    pub target: RedisTarget,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let redis = TestRedis::start().expect("redis-server starts");
    let mut app = spawn_app_at(redis.target(), tweak).await;
    app.redis = Some(redis);
    app
}

/// Another instance of the app on an existing Redis server.
pub async fn spawn_app_on(redis_url: &str, tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_at(RedisTarget::Url(redis_url.to_string()), tweak).await
}

/// An instance of the app on an existing Redis deployment.
pub async fn spawn_app_at(target: RedisTarget, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config::local(target.clone(), PathBuf::from("dist"));
    tweak(&mut config);
    let app = Application::build(config).await.expect("the app starts");
    let address = format!("http://{}", app.local_addr());
    tokio::spawn(app.run());
    TestApp { address, client: Client::new(), redis: None, target }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.address.replacen("http://", "ws://", 1))
    }

    /// The app's own single Redis server (tests that stop it run against one server only).
    pub fn redis(&mut self) -> &mut RedisProcess {
        self.redis.as_mut().expect("this app owns its Redis").single()
    }

    /// Another instance of the app on this app's Redis.
    pub async fn peer(&self) -> TestApp {
        spawn_app_at(self.target.clone(), |_| {}).await
    }

    /// A plain connection to each node of the app's Redis (one for a single server).
    pub async fn redis_nodes(&self) -> Vec<redis::aio::MultiplexedConnection> {
        let urls = match &self.target {
            RedisTarget::Url(url) => vec![url.clone()],
            RedisTarget::Cluster { nodes } => nodes.clone(),
            other => panic!("no nodes to list for {other:?}"),
        };
        let mut conns = Vec::new();
        for url in urls {
            conns.push(redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap());
        }
        conns
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request sent")
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.delete(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request sent")
    }

    /// Registers `name` (password `password-of-<name>`) and logs in; returns the token.
    pub async fn user(&self, name: &str) -> String {
        register_and_login(&self.client, &self.url("/api/v1"), name, &format!("password-of-{name}")).await
    }

    /// Registers and logs in `<prefix>0` .. `<prefix>{n-1}`; returns their tokens.
    pub async fn users(&self, prefix: &str, n: usize) -> Vec<String> {
        let mut tokens = Vec::with_capacity(n);
        for i in 0..n {
            tokens.push(self.user(&format!("{prefix}{i}")).await);
        }
        tokens
    }

    /// Places a limit order; returns the response.
    pub async fn limit(&self, token: &str, side: &str, qty: &str, price: &str) -> Response {
        let body = json!({"symbol": "BTC/USD", "side": side, "order_type": "limit", "quantity": qty, "price": price});
        self.post_json("/api/v1/orders/", Some(token), &body).await
    }
}

/// Registers `name` with `password` on the API at `base` (`http://host:port/api/v1`) and logs in;
/// returns the token.
pub async fn register_and_login(client: &Client, base: &str, name: &str, password: &str) -> String {
    let creds = json!({"username": name, "password": password});
    let r = client.post(format!("{base}/auth/register")).json(&creds).send().await.expect("request sent");
    assert_eq!(r.status(), 201, "register {name}");
    let r = client.post(format!("{base}/auth/login")).json(&creds).send().await.expect("request sent");
    assert_eq!(r.status(), 200, "login {name}");
    let body: Value = r.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// Status and JSON body of a response.
pub async fn status_json(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Asserts the contract's error shape and code.
pub fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
}

/// The backend binary (the debug build Cargo makes for integration tests) as a process of its own, for
/// tests that read its memory or its output. Killed on drop.
pub struct BackendProcess {
    child: std::process::Child,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
}

impl Drop for BackendProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl BackendProcess {
    /// Starts it on `port` with these variables (rate limit off) and waits until it is healthy.
    pub async fn start(port: u16, vars: &[(&str, &str)]) -> BackendProcess {
        let log = std::env::temp_dir().join(format!("backend-{}-{port}.log", std::process::id()));
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_backend"));
        cmd.env("PORT", port.to_string()).env("RATE_LIMIT_ORDERS_PER_SEC", "0");
        for var in ["REDIS_URL", "REDIS_HOST", "REDIS_PASSWORD"] {
            cmd.env_remove(var);
        }
        cmd.envs(vars.iter().copied()).stdout(out.try_clone().unwrap()).stderr(out);
        // Held at once, so that it is killed whatever happens next.
        let server = BackendProcess { child: cmd.spawn().expect("the backend starts"), log };
        let http = Client::new();
        for _ in 0..100 {
            let health = http.get(format!("http://127.0.0.1:{port}/api/v1/health")).send().await;
            if health.is_ok_and(|r| r.status() == 200) {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the backend did not become healthy: {}", std::fs::read_to_string(&server.log).unwrap_or_default());
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything it has printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
