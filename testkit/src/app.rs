//! The whole app in-process on port 0 over a Redis of its own (one server or a Cluster), and typed
//! request helpers.

use std::path::PathBuf;

use backend::config::{Config, RedisTarget};
use backend::startup::Application;
use common::{Credentials, Dec, DepositRequest, LoggedIn, NewOrder, Symbol};
use reqwest::{Client, Response};
use serde::Serialize;
use serde_json::Value;

use crate::deployments::{Deployment, TestRedis};
use crate::keyspace::connect_nodes;
use crate::redis_server::RedisProcess;

/// The admin token of every test app (unless a test takes it away).
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// What `TestApp::user` deposits of every asset: far more than any test's orders need.
pub const TEST_FUNDS: &str = "10000000";

pub struct TestApp {
    pub address: String,
    pub client: Client,
    /// The app's own Redis: a server or a cluster (None for a second instance on another app's Redis).
    pub redis: Option<TestRedis>,
    /// Where the app's Redis is.
    pub target: RedisTarget,
}

/// The browser UI as `trunk build` writes it: the workspace's `dist/`.
pub fn ui_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../dist"))
}

pub async fn spawn_app(deployment: Deployment) -> TestApp {
    spawn_app_with(deployment, |_| {}).await
}

pub async fn spawn_app_with(deployment: Deployment, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let redis = TestRedis::start(deployment).expect("redis starts");
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
    let mut config = Config::local(target.clone(), ui_dir());
    // Every test client is local: the per-address limits would count them all as one client. The
    // tests of those limits take the exemption away.
    config.http.exempt = backend::config::AddressSet::parse("127.0.0.0/8, ::1").expect("loopback addresses");
    // Test users are funded by the admin's deposits (`TestApp::user`).
    config.funds.admin_token = Some(ADMIN_TOKEN.into());
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

    /// Whether `/api/v1/health` answers 200 within `within`, asked every 100 ms.
    pub async fn wait_healthy(&self, within: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if self.get("/api/v1/health", None).await.status() == 200 {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    }

    /// Another instance of the app on this app's Redis.
    pub async fn peer(&self) -> TestApp {
        spawn_app_at(self.target.clone(), |_| {}).await
    }

    /// The URL of each node of the app's Redis (one for a single server).
    pub fn redis_urls(&self) -> Vec<String> {
        match &self.target {
            RedisTarget::Url(url) => vec![url.clone()],
            RedisTarget::Cluster { nodes } => nodes.clone(),
            other => panic!("no nodes to list for {other:?}"),
        }
    }

    /// A plain connection to each node of the app's Redis (one for a single server).
    pub async fn redis_nodes(&self) -> Vec<redis::aio::MultiplexedConnection> {
        connect_nodes(&self.redis_urls()).await
    }

    /// A plain connection to the app's Redis, for tests that run on one server.
    pub async fn redis_conn(&self) -> redis::aio::MultiplexedConnection {
        let mut nodes = self.redis_nodes().await;
        assert_eq!(nodes.len(), 1, "this test runs on one Redis server");
        nodes.remove(0)
    }

    /// POSTs a body (a contract type, or raw JSON for a test that sends what the contract refuses).
    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &impl Serialize) -> Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request sent")
    }

    /// PATCHes a body (as `post_json`).
    pub async fn patch_json(&self, path: &str, token: Option<&str>, body: &impl Serialize) -> Response {
        let mut req = self.client.patch(self.url(path)).json(body);
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

    /// Registers `name` (password `password-of-<name>`), logs in and deposits `TEST_FUNDS` of every
    /// asset for them (by the admin's deposits: the app must keep its admin token); returns the token.
    pub async fn user(&self, name: &str) -> String {
        let token = self.unfunded_user(name).await;
        fund(&self.client, &self.url("/api/v1"), name).await;
        token
    }

    /// Registers `name` (password `password-of-<name>`) and logs in, with no funds; returns the token.
    pub async fn unfunded_user(&self, name: &str) -> String {
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

    /// Places an order; returns the response.
    pub async fn place(&self, token: &str, order: &NewOrder) -> Response {
        self.post_json("/api/v1/orders/", Some(token), order).await
    }

    /// Places a BTC/USD limit order (`side` buy or sell, quantity and price as decimal text); returns
    /// the response.
    pub async fn limit(&self, token: &str, side: &str, qty: &str, price: &str) -> Response {
        let dec = |text: &str| Dec::parse(text).expect("a plain decimal");
        let symbol = Symbol::parse("BTC/USD").expect("a symbol");
        self.place(token, &NewOrder::limit(symbol, side.parse().expect("buy or sell"), dec(qty), dec(price))).await
    }
}

/// Registers `name` with `password` on the API at `base` (`http://host:port/api/v1`) and logs in;
/// returns the token.
pub async fn register_and_login(client: &Client, base: &str, name: &str, password: &str) -> String {
    let creds = Credentials { username: name.into(), password: password.into() };
    let r = client.post(format!("{base}/auth/register")).json(&creds).send().await.expect("request sent");
    assert_eq!(r.status(), 201, "register {name}");
    let r = client.post(format!("{base}/auth/login")).json(&creds).send().await.expect("request sent");
    assert_eq!(r.status(), 200, "login {name}");
    r.json::<LoggedIn>().await.expect("the login answer").access_token
}

/// Deposits `TEST_FUNDS` of every asset for user `name` through the admin endpoint of the API at `base`
/// (`http://host:port/api/v1`; its admin token must be `ADMIN_TOKEN`). Once per user: the deposits'
/// references name the user.
pub async fn fund(client: &Client, base: &str, name: &str) {
    let assets: Vec<Value> =
        client.get(format!("{base}/assets")).send().await.expect("request sent").json().await.expect("the assets");
    for asset in assets {
        let asset = asset["asset"].as_str().expect("an asset's name");
        let deposit = DepositRequest {
            username: name.into(),
            asset: asset.into(),
            amount: Dec::parse(TEST_FUNDS).expect("a plain decimal"),
            reference: format!("testkit-{name}-{asset}"),
        };
        let r = client
            .post(format!("{base}/admin/deposits"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&deposit)
            .send()
            .await
            .expect("request sent");
        assert_eq!(r.status(), 201, "the test deposit of {asset} for {name}");
    }
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
