//! Test plumbing: an engine over a `redis-server` of the test's own, and typed order helpers.

use std::sync::Arc;

use backend::config::{EngineSettings, Markets, RedisSettings};
use backend::engine::{Engine, EngineError, Placed};
use backend::redis::RedisPool;
use common::{ClientOrderId, Dec, Market, NewOrder, OrderType, Side, Symbol, TimeInForce};
pub use testkit::{on_every_deployment, Deployment, KeyDump, TestRedis};

pub const SYMBOL: &str = "BTC/USD";

pub struct TestEngine {
    pub engine: Engine<RedisPool>,
    pub conn: RedisPool,
    /// The test's own server or cluster; it lives as long as the test.
    pub redis: TestRedis,
}

pub async fn spawn_engine(deployment: Deployment) -> TestEngine {
    spawn_engine_with(deployment, EngineSettings::default()).await
}

pub async fn spawn_engine_with(deployment: Deployment, settings: EngineSettings) -> TestEngine {
    let redis = TestRedis::start(deployment).expect("redis starts");
    let settings_1 = RedisSettings { max_connections: 1, ..RedisSettings::default() };
    let (conn, _) = RedisPool::connect(&redis.target(), &settings_1).await.unwrap();
    let markets = Markets::new(vec![
        Market::from_literals("BTC/USD", "0.01", "0.00000001", "0.00000001", "10000", "10000000"),
        Market::from_literals("ETH/USD", "0.01", "0.001", "0.001", "100000", "1000000"),
        // Prices of up to 10^13 ticks: a fill's notional (ticks × lots) goes far past 2^53.
        Market::from_literals("BIG/USD", "0.00000001", "1", "1", "1000000", "100000"),
        // Orders of up to 2^53 - 1 lots: a few at one price take its total past 2^53.
        Market::from_literals("HUGE/USD", "1", "1", "1", "9007199254740991", "1000"),
    ])
    .unwrap();
    let engine = Engine::new(conn.clone(), Arc::new(markets), settings);
    TestEngine { engine, conn, redis }
}

pub fn dec(s: &str) -> Dec {
    Dec::parse(s).unwrap()
}

/// An order request built up field by field.
pub struct Req(pub NewOrder);

pub fn limit(side: Side, qty: &str, price: &str) -> Req {
    Req(NewOrder {
        symbol: Symbol::parse(SYMBOL).unwrap(),
        side,
        order_type: OrderType::Limit,
        quantity: dec(qty),
        price: Some(dec(price)),
        time_in_force: TimeInForce::Gtc,
        post_only: false,
        client_order_id: None,
    })
}

pub fn market_order(side: Side, qty: &str) -> Req {
    let mut r = limit(side, qty, "1");
    r.0.order_type = OrderType::Market;
    r.0.price = None;
    r
}

impl Req {
    pub fn tif(mut self, tif: TimeInForce) -> Req {
        self.0.time_in_force = tif;
        self
    }
    pub fn post_only(mut self) -> Req {
        self.0.post_only = true;
        self
    }
    pub fn cid(mut self, cid: &str) -> Req {
        self.0.client_order_id = Some(ClientOrderId::parse(cid).unwrap());
        self
    }
    pub async fn by(self, t: &TestEngine, user: u64) -> Result<Placed, EngineError> {
        t.engine.place(user, &self.0).await
    }
}

impl TestEngine {
    /// Every key of the test's Redis with its `DUMP`, to prove a refused command wrote nothing.
    pub async fn keyspace(&self) -> Vec<KeyDump> {
        testkit::dump_keyspace(&self.redis.urls()).await
    }
}
