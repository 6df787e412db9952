//! Test plumbing: an engine over a `redis-server` of the test's own, and typed order helpers.

use std::sync::Arc;

pub use backend::config::EngineSettings;
use backend::config::{Markets, RedisSettings};
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

/// The users whose sub-accounts `spawn_engine` fills in every market, and with how many units of each
/// asset: plenty for any test's orders (the largest, HUGE/HQ's sweeps past 2^53 lots, take about 10^18 of
/// its quote), below the most an amount may hold (2^62 - 1).
pub const FUNDED_USERS: [std::ops::RangeInclusive<u64>; 3] = [1..=100, 1_000..=1_000, 10_000..=10_000];
pub const FUNDED_UNITS: u64 = 2_000_000_000_000_000_000;

/// An engine over a Redis of the test's own, with `FUNDED_USERS` funded in every market.
pub async fn spawn_engine(deployment: Deployment) -> TestEngine {
    spawn_engine_with(deployment, EngineSettings::default()).await
}

pub async fn spawn_engine_with(deployment: Deployment, settings: EngineSettings) -> TestEngine {
    spawn_engine_on(TestRedis::start(deployment).expect("redis starts"), settings).await
}

/// `spawn_engine_with` over a Redis the test started itself (with arguments of its own).
pub async fn spawn_engine_on(redis: TestRedis, settings: EngineSettings) -> TestEngine {
    let t = engine_over(redis, settings, (dec("0.001"), dec("0.002"))).await;
    for market in t.engine.markets().all() {
        let users: Vec<u64> = FUNDED_USERS.iter().flat_map(|r| r.clone()).collect();
        t.fund_many(&market.symbol, &users, FUNDED_UNITS, FUNDED_UNITS).await;
    }
    t
}

/// An engine whose users have no funds at all.
pub async fn spawn_bare_engine(deployment: Deployment, settings: EngineSettings) -> TestEngine {
    spawn_bare_engine_with_fees(deployment, settings, (dec("0.001"), dec("0.002"))).await
}

/// An engine whose users have no funds, with these (maker, taker) fee rates in BTC/USD.
pub async fn spawn_bare_engine_with_fees(
    deployment: Deployment,
    settings: EngineSettings,
    fees: (Dec, Dec),
) -> TestEngine {
    engine_over(TestRedis::start(deployment).expect("redis starts"), settings, fees).await
}

async fn engine_over(redis: TestRedis, settings: EngineSettings, (maker_fee, taker_fee): (Dec, Dec)) -> TestEngine {
    let settings_1 = RedisSettings { max_connections: 1, ..RedisSettings::default() };
    let (conn, _) = RedisPool::connect(&redis.target(), &settings_1).await.unwrap();
    let markets = Markets::new(vec![
        Market::from_literals("BTC/USD", "0.01", "0.00000001", "0.00000001", "10000", "10000000")
            .with_fees(maker_fee, taker_fee),
        Market::from_literals("ETH/USD", "0.01", "0.001", "0.001", "100000", "1000000"),
        // Prices of up to 10^13 ticks: a fill's notional (ticks × lots) goes far past 2^53. (Quoted in an
        // asset of its own, whose unit is a tick × lot, so such a fill's quote stays below 2^62 units.)
        Market::from_literals("BIG/BQ", "0.00000001", "1", "1", "1000000", "100000"),
        // Orders of up to 2^53 - 1 lots: a few at one price take its total past 2^53.
        Market::from_literals("HUGE/HQ", "1", "1", "1", "9007199254740991", "1000"),
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
        quote_quantity: None,
        price: Some(dec(price)),
        time_in_force: TimeInForce::Gtc,
        post_only: false,
        client_order_id: None,
        stop_price: None,
    })
}

pub fn market_order(side: Side, qty: &str) -> Req {
    let mut r = limit(side, qty, "1");
    r.0.order_type = OrderType::Market;
    r.0.price = None;
    r
}

/// A stop-limit order: pending until a trade reaches `stop`, then a gtc limit order at `price`.
pub fn stop_limit(side: Side, qty: &str, price: &str, stop: &str) -> Req {
    let mut r = limit(side, qty, price);
    r.0.order_type = OrderType::StopLimit;
    r.0.stop_price = Some(dec(stop));
    r
}

/// A stop-market order: pending until a trade reaches `stop`, then a market order.
pub fn stop_market(side: Side, qty: &str, stop: &str) -> Req {
    let mut r = market_order(side, qty);
    r.0.order_type = OrderType::StopMarket;
    r.0.stop_price = Some(dec(stop));
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
    /// Credits each user's sub-account in the market with these units of its base and quote
    /// (`testkit::fund_subaccounts`).
    pub async fn fund_many(&self, symbol: &Symbol, users: &[u64], base: u64, quote: u64) {
        self.engine.load_library().await.unwrap();
        testkit::fund_subaccounts(&mut self.conn.clone(), symbol, users.iter().copied(), base, quote).await;
    }

    /// A user's sub-account in a market (all zero when it has none).
    pub async fn account(&self, symbol: &Symbol, user: u64) -> backend::engine::wire::SubAccount {
        let key = backend::engine::MarketKeys::new(symbol).accounts();
        let packed: Option<Vec<u8>> =
            redis::cmd("HGET").arg(key).arg(user).query_async(&mut self.conn.clone()).await.unwrap();
        packed.map(|p| backend::engine::wire::decode_account(&p).unwrap()).unwrap_or_default()
    }

    /// The market's fee account.
    pub async fn fees(&self, symbol: &Symbol) -> backend::engine::wire::FeeAccount {
        let key = backend::engine::MarketKeys::new(symbol).fees();
        let packed: Option<Vec<u8>> = redis::cmd("GET").arg(key).query_async(&mut self.conn.clone()).await.unwrap();
        packed.map(|p| backend::engine::wire::decode_fees(&p).unwrap()).unwrap_or_default()
    }

    /// Every key of the test's Redis with its `DUMP`, to prove a refused command wrote nothing.
    pub async fn keyspace(&self) -> Vec<KeyDump> {
        testkit::dump_keyspace(&self.redis.urls()).await
    }
}
