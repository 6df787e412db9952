//! Candles (`lua/fold_candles.lua`): random trades in two markets at chosen times — across minute,
//! hour and day boundaries, now and then a little back in time as a second instance's clock may be —
//! folded now and then by two callers at once (two backend instances), with Redis killed and restarted
//! from its append-only file in between. After every fold, every interval's candles equal the
//! reference: the OHLCV computed from the list of trades, each counted once, the newest `kept` buckets
//! of each. A third caller folds as a backend's market data does, into a `Tracker`, whose rolling 24 h
//! figures (the ticker's) equal the reference's over the last 1,440 minutes.

use std::collections::BTreeMap;
use std::time::Duration;

use backend::config::{EngineSettings, RedisSettings};
use backend::engine::{Engine, Folded};
use backend::market_data::{DayStats, Tracker, LATE_MS, WINDOW_MINUTES};
use backend::redis::RedisPool;
use common::{CandleInterval, NewOrder, OrderType, Side, Symbol, TimeInForce};
use proptest::prelude::*;

use crate::helpers::*;

/// Candles kept per interval: few, so that the oldest are dropped as new ones open (or, to follow the
/// ticker, more than a day of minutes).
const KEPT: u32 = 6;
const KEPT_FOR_A_DAY: u32 = 1_500;
/// The markets traded.
const MARKETS: [&str; 2] = ["BTC/USD", "ETH/USD"];
const DAY: u64 = 86_400_000;
/// A day's start (UTC).
const T0: u64 = 1_765_065_600_000 - DAY;

#[derive(Clone, Debug)]
enum Step {
    /// Resting sells at `price` and `price + 1` ticks, then a buy taking `qty` lots (one or two trades),
    /// `dt` ms after the previous trade (negative: an instance whose clock is behind), in `MARKETS[market]`.
    Trade { market: usize, dt: i64, price: u64, qty: u64 },
    /// The same, stamped `back` ms before the start of the minute under way (by an instance whose clock
    /// is behind): it lands in a minute a fold may already have taken as done. Never more than `LATE_MS`
    /// behind the market's newest stamp: the lateness the ticker is built to count.
    Late { market: usize, back: u64, price: u64, qty: u64 },
    /// Two folds at once, each taking at most what one call folds.
    Fold,
    /// kill -9 of Redis and a restart from its append-only file.
    Restart,
}

fn step(restarts: bool) -> impl Strategy<Value = Step> {
    let dt = prop_oneof![
        4 => 0..2_000i64,
        2 => 50_000..70_000i64,
        1 => 3_500_000..3_700_000i64,
        1 => 4 * 3_600_000..5 * 3_600_000i64,
        1 => DAY as i64 - 1000..DAY as i64 + 1000,
        1 => -3_000..0i64,
    ];
    let trade = (0..MARKETS.len(), dt, 9_990..10_010u64, 1..30u64).prop_map(|(market, dt, price, qty)| Step::Trade {
        market,
        dt,
        price,
        qty,
    });
    let late = (0..MARKETS.len(), 1..3_000u64, 9_990..10_010u64, 1..30u64)
        .prop_map(|(market, back, price, qty)| Step::Late { market, back, price, qty });
    if restarts {
        prop_oneof![6 => trade, 1 => late, 2 => Just(Step::Fold), 1 => Just(Step::Restart)].boxed()
    } else {
        prop_oneof![6 => trade, 1 => late, 2 => Just(Step::Fold)].boxed()
    }
}

/// The reference: each interval's buckets from one market's trades (time, price ticks, lots) in the
/// order the engine ran them, the newest `kept` of each.
struct Reference {
    kept: u32,
    trades: Vec<(u64, u64, u64)>,
}

/// (open, high, low, close, volume lots, ticks × lots, trades) by open time.
type Buckets = BTreeMap<u64, (u64, u64, u64, u64, u128, u128, u64)>;

impl Reference {
    fn candles(&self, interval: CandleInterval) -> Buckets {
        let mut out = Buckets::new();
        for &(t, price, lots) in &self.trades {
            let c = out.entry(interval.open_time(t)).or_insert((price, price, price, price, 0, 0, 0));
            c.1 = c.1.max(price);
            c.2 = c.2.min(price);
            c.3 = price;
            c.4 += u128::from(lots);
            c.5 += u128::from(price) * u128::from(lots);
            c.6 += 1;
        }
        let drop = out.len().saturating_sub(self.kept as usize);
        out.into_iter().skip(drop).collect()
    }

    /// The 24 h figures at `now`: the trades of the minute under way and the 1,439 before it, the
    /// open of the oldest minute's first trade, the close of the newest minute's last.
    fn day(&self, now: u64) -> DayStats {
        let minute = CandleInterval::M1.millis();
        let from = CandleInterval::M1.open_time(now) - (WINDOW_MINUTES - 1) * minute;
        let mut day = DayStats::default();
        for (_, c) in self.candles(CandleInterval::M1).range(from..) {
            day.prices = Some(match day.prices {
                None => (c.0, c.1, c.2, c.3),
                Some((open, high, low, _)) => (open, high.max(c.1), low.min(c.2), c.3),
            });
            day.volume_lots += c.4;
            day.notional += c.5;
            day.trades += c.6;
        }
        day
    }
}

fn order(side: Side, lots: u64, ticks: u64) -> NewOrder {
    NewOrder {
        symbol: Symbol::parse(SYMBOL).unwrap(),
        side,
        order_type: OrderType::Limit,
        quantity: dec(&format!("0.{lots:08}")),
        quote_quantity: None,
        price: Some(dec(&format!("{}.{:02}", ticks / 100, ticks % 100))),
        time_in_force: if side == Side::Buy { TimeInForce::Ioc } else { TimeInForce::Gtc },
        post_only: false,
        client_order_id: None,
        stop_price: None,
    }
}

/// An order of `lots` lots at `ticks` ticks in the market named, on its grid.
fn order_in(t: &TestEngine, symbol: &str, side: Side, lots: u64, ticks: u64) -> NewOrder {
    let market = t.engine.market(&Symbol::parse(symbol).unwrap()).unwrap();
    NewOrder {
        symbol: market.symbol.clone(),
        side,
        order_type: OrderType::Limit,
        quantity: common::Dec::from(market.lot_size.0 * rust_decimal::Decimal::from(lots)),
        quote_quantity: None,
        price: Some(common::Dec::from(market.tick_size.0 * rust_decimal::Decimal::from(ticks))),
        time_in_force: if side == Side::Buy { TimeInForce::Ioc } else { TimeInForce::Gtc },
        post_only: false,
        client_order_id: None,
        stop_price: None,
    }
}

/// Runs `op` until it succeeds (Redis may still be restarting).
async fn retried<T, F: std::future::Future<Output = Result<T, backend::engine::EngineError>>>(
    mut op: impl FnMut() -> F,
) -> T {
    let mut last = None;
    for _ in 0..200 {
        match op().await {
            Ok(v) => return v,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("Redis did not come back: {last:?}");
}

async fn second_engine(t: &TestEngine) -> Engine<RedisPool> {
    let settings = RedisSettings { max_connections: 1, ..RedisSettings::default() };
    let (conn, _) = RedisPool::connect(&t.redis.target(), &settings).await.unwrap();
    Engine::new(conn, std::sync::Arc::new(t.engine.markets().clone()), t.engine.settings().clone())
}

async fn place_at(t: &TestEngine, user: u64, req: &NewOrder, now: u64) {
    let (market, checked) = t.engine.check(req).unwrap();
    let id = retried(|| t.engine.next_order_id()).await;
    // (Sent again only when it failed to reach Redis, which restarts between steps, never during one.)
    retried(|| t.engine.place_checked(market, user, id, &checked, now)).await;
}

async fn check_candles(engine: &Engine<RedisPool>, symbol: &str, reference: &Reference) -> Result<(), TestCaseError> {
    let sym = Symbol::parse(symbol).unwrap();
    for interval in CandleInterval::ALL {
        let got: Buckets = retried(|| engine.candles(&sym, interval, (0, 1 << 50), 1000, false))
            .await
            .into_iter()
            .map(|c| (c.open_ms, (c.open, c.high, c.low, c.close, c.volume_lots, c.notional, c.trades)))
            .collect();
        prop_assert_eq!(&got, &reference.candles(interval), "{} {} candles", symbol, interval.name());
    }
    Ok(())
}

async fn fold_all(engine: &Engine<RedisPool>) -> Folded {
    fold_all_of(engine, SYMBOL).await
}

async fn fold_all_of(engine: &Engine<RedisPool>, symbol: &str) -> Folded {
    let sym = Symbol::parse(symbol).unwrap();
    loop {
        let folded = retried(|| engine.fold_candles(&sym, [0; 6])).await;
        if !folded.more {
            return folded;
        }
    }
}

/// Folds as a backend's market data does (from the tracker's own open times), into its tracker.
async fn track(engine: &Engine<RedisPool>, symbol: &str, tracker: &mut Tracker, now: u64) {
    let sym = Symbol::parse(symbol).unwrap();
    loop {
        let folded = retried(|| engine.fold_candles(&sym, tracker.since(now))).await;
        tracker.apply(&folded, now);
        if !folded.more {
            return;
        }
    }
}

fn against_the_reference(deployment: Deployment, kept: u32, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let settings = EngineSettings { candles_kept: kept, ..EngineSettings::default() };
        // (With its append-only file on and written before each answer, so that a restart keeps every
        // write that was answered.)
        let redis = match deployment {
            Deployment::Single => TestRedis::Single(
                testkit::RedisProcess::start(&["--appendonly", "yes", "--appendfsync", "always"]).unwrap(),
            ),
            Deployment::Cluster => TestRedis::start(deployment).unwrap(),
        };
        let mut t = spawn_engine_on(redis, settings).await;
        let other = second_engine(&t).await;
        let ticker_engine = second_engine(&t).await;
        let mut references = MARKETS.map(|_| Reference { kept, trades: Vec::new() });
        let mut trackers = MARKETS.map(|_| Tracker::default());
        let mut now = T0 + 1_000;
        let mut newest_stamp = MARKETS.map(|_| 0u64);
        // Each trade step's buy is one matching call: one trades-stream entry.
        let entries = steps.iter().filter(|s| matches!(s, Step::Trade { .. } | Step::Late { .. })).count() as u64;
        for step in steps {
            let trade = match step {
                Step::Trade { market, dt, price, qty } => {
                    now = now.saturating_add_signed(dt);
                    Some((market, now, price, qty))
                }
                Step::Late { market, back, price, qty } => {
                    let at = CandleInterval::M1.open_time(now).saturating_sub(back);
                    Some((market, at.max(newest_stamp[market].saturating_sub(LATE_MS)), price, qty))
                }
                Step::Fold | Step::Restart => None,
            };
            match step {
                Step::Trade { .. } | Step::Late { .. } => {
                    let (market, at, price, qty) = trade.expect("a trade step");
                    newest_stamp[market] = newest_stamp[market].max(at);
                    let symbol = MARKETS[market];
                    place_at(&t, 1, &order_in(&t, symbol, Side::Sell, 10, price), at).await;
                    place_at(&t, 2, &order_in(&t, symbol, Side::Sell, 40, price + 1), at).await;
                    place_at(&t, 3, &order_in(&t, symbol, Side::Buy, qty, price + 1), at).await;
                    let reference = &mut references[market];
                    reference.trades.push((at, price, qty.min(10)));
                    if qty > 10 {
                        reference.trades.push((at, price + 1, qty - 10));
                    }
                    // The rest of the book goes, so that the next step's orders meet only each other.
                    let sym = Symbol::parse(symbol).unwrap();
                    for user in [1, 2] {
                        retried(|| t.engine.cancel_all(user, Some(&sym))).await;
                    }
                }
                Step::Fold => {
                    for (k, symbol) in MARKETS.into_iter().enumerate() {
                        let sym = Symbol::parse(symbol).unwrap();
                        let (a, b) = tokio::join!(
                            retried(|| t.engine.fold_candles(&sym, [0; 6])),
                            retried(|| other.fold_candles(&sym, [0; 6]))
                        );
                        prop_assert_eq!(a.lost + b.lost, 0);
                        if !a.more && !b.more {
                            check_candles(&t.engine, symbol, &references[k]).await?;
                        }
                        track(&ticker_engine, symbol, &mut trackers[k], now).await;
                    }
                }
                Step::Restart => {
                    t.redis.single().restart().unwrap();
                }
            }
        }
        let mut versions = 0;
        for (k, symbol) in MARKETS.into_iter().enumerate() {
            let folded = fold_all_of(&other, symbol).await;
            prop_assert_eq!(folded.lost, 0);
            versions += folded.version;
            let reference = &references[k];
            check_candles(&t.engine, symbol, reference).await?;
            // The fold answers each interval's candles from the times asked for.
            let since: Vec<u64> =
                CandleInterval::ALL.iter().map(|i| reference.candles(*i).keys().last().copied().unwrap_or(0)).collect();
            let sym = Symbol::parse(symbol).unwrap();
            let folded = retried(|| t.engine.fold_candles(&sym, since.clone().try_into().unwrap())).await;
            for (k, interval) in CandleInterval::ALL.into_iter().enumerate() {
                let newest: Vec<u64> = reference.candles(interval).keys().rev().take(1).copied().collect();
                prop_assert_eq!(folded.candles[k].iter().map(|c| c.open_ms).collect::<Vec<_>>(), newest);
            }
            // The ticker's figures, as a backend that folded along the way holds them (with a day of
            // minutes kept: fewer, and minutes trimmed between two of its folds are not its to see).
            if kept >= KEPT_FOR_A_DAY {
                track(&ticker_engine, symbol, &mut trackers[k], now).await;
                prop_assert_eq!(trackers[k].day(now), reference.day(now), "{} 24 h figures", symbol);
            }
        }
        prop_assert_eq!(versions, entries, "the versions count every entry folded, by either caller");
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, max_shrink_iters: 100, ..ProptestConfig::default() })]

    #[test]
    fn candles_on_one_server_equal_the_reference_across_folds_instances_and_restarts(
        steps in prop::collection::vec(step(true), 10..60),
    ) {
        against_the_reference(Deployment::Single, KEPT, steps)?;
    }

    #[test]
    fn the_rolling_day_of_two_markets_equals_the_reference_across_restarts(
        steps in prop::collection::vec(step(true), 10..60),
    ) {
        against_the_reference(Deployment::Single, KEPT_FOR_A_DAY, steps)?;
    }

    #[test]
    fn candles_on_a_cluster_equal_the_reference(steps in prop::collection::vec(step(false), 10..40)) {
        against_the_reference(Deployment::Cluster, KEPT, steps)?;
    }
}

/// Trades trimmed from the stream before any fold took them are reported, once, not silently skipped.
#[tokio::test]
async fn trades_trimmed_before_they_were_folded_are_counted_as_lost() {
    let settings = EngineSettings { trades_stream_len: 10, ..EngineSettings::default() };
    let t = spawn_engine_with(Deployment::Single, settings).await;
    let sym = Symbol::parse(SYMBOL).unwrap();
    place_at(&t, 1, &order(Side::Sell, 10, 10_000), T0).await;
    place_at(&t, 3, &order(Side::Buy, 10, 10_000), T0).await;
    assert_eq!(fold_all(&t.engine).await.lost, 0);
    // An approximate MAXLEN trims whole nodes of 100 entries: 300 calls with trades leave far fewer.
    for i in 0..300 {
        place_at(&t, 1, &order(Side::Sell, 1, 10_000), T0 + i).await;
        place_at(&t, 3, &order(Side::Buy, 1, 10_000), T0 + i).await;
    }
    let folded = fold_all(&t.engine).await;
    assert!(folded.lost > 0, "the loss is counted");
    assert_eq!(fold_all(&t.engine).await.lost, folded.lost, "and counted once");
    let day = t.engine.candles(&sym, CandleInterval::D1, (0, 1 << 50), 10, false).await.unwrap();
    assert!(day[0].trades < 301, "what was trimmed is missing, not invented: {day:?}");
}
