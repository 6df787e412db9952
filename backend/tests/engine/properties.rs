//! Property test: random command streams from several users, applied to the Redis engine and to the
//! in-memory reference model; after every command orders, trades, book, sequence, every user's funds
//! and the fee account must be identical, each account's lock what its open orders may spend, and
//! every asset conserved (what the accounts and the fee account hold is what was funded).
//! Placements come one per script call and also in batches of several per call (as the backend sends
//! orders that arrive together), where each order must see the book the ones before it left. Amends
//! (a new quantity, a new price or both, of any order: open, closed or another user's) come between,
//! and stop orders: placed, cancelled, triggered by trades (the stops each command places compared
//! with the model's, in order), a tiny number per call so that the rest waits for the next call or a
//! tick (`Cmd::Tick`, the backend's `trigger_stops`).

use backend::config::EngineSettings;
use backend::engine::{BatchOrder, Change, CheckedOrder, EngineError, Event, Placed, RawOrder};
use common::{Dec, NewOrder, OrderType, Side, Symbol, TimeInForce};
use proptest::prelude::*;

use crate::helpers::*;
use crate::model::{MOrder, MTrade, MUnits, Model, Outcome};

const MAX_FILLS: u32 = 4;
const MAX_OPEN: u32 = 8;
/// Fills kept per user: small, so that the property test trims them (the trim is in the model too).
const FILLS_KEPT: u32 = 6;
/// Stops one call places: tiny, so that reached stops are left for later calls.
const STOPS_PER_CALL: u32 = 2;

#[derive(Clone, Debug)]
struct Place {
    user: u64,
    sell: bool,
    kind: u8,
    price: u64,
    qty: u64,
    cid: Option<u8>,
}

#[derive(Clone, Debug)]
enum Cmd {
    /// Orders placed in one script call (one or several).
    Place(Vec<Place>),
    Cancel {
        user: u64,
        pick: usize,
    },
    CancelAll {
        user: u64,
    },
    /// A change of a known order: its quantity and its price moved by these many lots and ticks (at
    /// least one of them; a quantity never below one lot).
    Amend {
        user: u64,
        pick: usize,
        qty: Option<i64>,
        price: Option<i64>,
    },
    /// Funds moved into a user's account (units of base and quote).
    Fund {
        user: u64,
        base: u64,
        quote: u64,
    },
    /// The backend's tick: stops left for later are placed.
    Tick,
}

/// Prices of 11 levels on both sides of a level-bucket boundary (10,048 ticks = 157 × 64: the engine
/// keeps a side's levels in buckets of 64 prices, and reads a side's best levels a bucket at a time).
fn place() -> impl Strategy<Value = Place> {
    (1..=3u64, any::<bool>(), 0..10u8, 10_043..=10_053u64, 1..=20u64, prop::option::weighted(0.2, 0..3u8))
        .prop_map(|(user, sell, kind, price, qty, cid)| Place { user, sell, kind, price, qty, cid })
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        6 => place().prop_map(|p| Cmd::Place(vec![p])),
        2 => prop::collection::vec(place(), 2..8).prop_map(Cmd::Place),
        2 => (1..=3u64, any::<usize>()).prop_map(|(user, pick)| Cmd::Cancel { user, pick }),
        1 => (1..=3u64).prop_map(|user| Cmd::CancelAll { user }),
        3 => amend(),
        1 => fund().prop_map(|(user, base, quote)| Cmd::Fund { user, base, quote }),
        1 => Just(Cmd::Tick),
    ]
}

/// A change of a known order, mostly its owner's: its quantity lower (the usual case: keeping its place
/// matters only on a level it shares), higher, the same or not above what it filled; its price a few
/// ticks either way (across the book, now and then) or the same.
fn amend() -> impl Strategy<Value = Cmd> {
    let qty = prop::option::weighted(0.8, prop_oneof![3 => -12..0i64, 1 => 0..=6i64]);
    let price = prop::option::weighted(0.4, -4..=4i64);
    (1..=3u64, any::<usize>(), qty, price).prop_map(|(user, pick, qty, price)| Cmd::Amend {
        user,
        pick,
        qty: qty.or(price.is_none().then_some(-1)),
        price,
    })
}

/// A user and amounts of base and quote: a few orders' worth (an order is up to 20 lots of one unit of
/// base, at about 10,000 units of quote each), so that orders are refused for want of funds now and then.
fn fund() -> impl Strategy<Value = (u64, u64, u64)> {
    (1..=3u64, 0..=60u64, 0..=600_000u64)
}

/// kind: 0 limit gtc, 1 limit ioc, 2 limit fok, 3 market, 4 market fok, 5 limit gtc post_only, 6 market
/// (a buy by budget: about `qty` lots' worth at `price`, rarely a whole number of lots), 7 market fok
/// (likewise), 8 stop-limit gtc (stop at `price`, limit a tick beyond it), 9 stop-market (stop at `price`).
fn request(sell: bool, kind: u8, price: u64, qty: u64, cid: Option<u8>) -> NewOrder {
    if kind >= 8 {
        let tick = |t: u64| Dec::parse(&format!("{}.{:02}", t / 100, t % 100)).unwrap();
        let mut order =
            request(sell, if kind == 8 { 0 } else { 3 }, if sell { price - 1 } else { price + 1 }, qty, cid);
        order.order_type = if kind == 8 { OrderType::StopLimit } else { OrderType::StopMarket };
        order.stop_price = Some(tick(price));
        return order;
    }
    let market = (3..=4).contains(&kind) || (6..=7).contains(&kind);
    let lots = Dec::parse(&format!("0.{qty:08}")).unwrap();
    let ticks = Dec::parse(&format!("{}.{:02}", price / 100, price % 100)).unwrap();
    let budget = (kind >= 6 && !sell)
        .then(|| Dec(lots.0 * Dec::parse(&format!("{}.{:02}", (price + 37) / 100, (price + 37) % 100)).unwrap().0));
    NewOrder {
        symbol: Symbol::parse(SYMBOL).unwrap(),
        side: if sell { Side::Sell } else { Side::Buy },
        order_type: if market { OrderType::Market } else { OrderType::Limit },
        quantity: if budget.is_some() { Dec::ZERO } else { lots },
        quote_quantity: budget,
        price: (!market).then_some(ticks),
        time_in_force: match kind {
            1 | 6 => TimeInForce::Ioc,
            2 | 4 | 7 => TimeInForce::Fok,
            _ => TimeInForce::Gtc,
        },
        post_only: kind == 5,
        client_order_id: cid.map(|c| common::ClientOrderId::parse(&format!("c{c}")).unwrap()),
        stop_price: None,
    }
}

/// An event's trades as the model writes them.
fn trades_of(event: &Event) -> Vec<MTrade> {
    event
        .trades
        .iter()
        .map(|t| (t.id, t.price, t.qty, t.maker_order_id, t.taker_order_id, t.taker_fee as i128, t.maker_fee))
        .collect()
}

/// The stops the engine placed after a command (`got`, an event each) against the model's, in order;
/// the last event as the model has its orders and levels (a later stop may change what an earlier
/// event holds).
fn check_triggered(
    got: &[Event],
    want: &[(u64, Vec<MTrade>)],
    model: &Model,
    market: &common::Market,
) -> Result<(), TestCaseError> {
    let got_ids: Vec<(u64, Vec<MTrade>)> = got.iter().map(|e| (e.orders[0].id(), trades_of(e))).collect();
    prop_assert_eq!(&got_ids, &want.to_vec());
    if let Some(last) = got.last() {
        check_event(last, model, market)?;
        prop_assert_eq!(last.seq, model.seq);
    }
    Ok(())
}

/// An accepted order's event, the events of the stops it triggered, and its trades.
type Accepted = (Event, Vec<Event>, Vec<MTrade>);

/// Applies one placement to the model and checks the engine's outcome against it; when the order was
/// accepted, its event, the events of the stops it triggered and its trades.
fn check_placement(
    model: &mut Model,
    user: u64,
    id: u64,
    checked: &CheckedOrder,
    got: Result<Placed, EngineError>,
) -> Result<Option<Accepted>, TestCaseError> {
    let expected = model.place(MOrder {
        id,
        user,
        sell: checked.side == Side::Sell,
        market: checked.order_type.when_triggered() == OrderType::Market,
        tif: checked.time_in_force as u8,
        post_only: checked.post_only,
        price: checked.price_ticks,
        qty: checked.quantity_lots,
        budget: (checked.quote_budget > 0).then_some(u128::from(checked.quote_budget)),
        filled: 0,
        notional: 0,
        status: 0,
        cid: checked.client_order_id.clone(),
        stop: (checked.stop_ticks > 0).then_some(checked.stop_ticks),
    });
    match (expected, got) {
        (
            Outcome::Refused(code),
            Err(EngineError::Conflict { code: got, .. } | EngineError::Invalid { code: got, .. }),
        ) => {
            prop_assert_eq!(code, got);
            Ok(None)
        }
        (Outcome::Duplicate(first), Ok(p)) => {
            prop_assert!(!p.created);
            prop_assert_eq!(p.order.id, first);
            Ok(None)
        }
        (Outcome::Done { trades }, Ok(p)) => {
            let event = p.event.unwrap();
            prop_assert_eq!(trades_of(&event), trades.clone());
            Ok(Some((event, p.triggered, trades)))
        }
        (e, g) => Err(TestCaseError::fail(format!("model {e:?}, engine {g:?}"))),
    }
}

/// An order as the engine stored or sent it against the model's.
fn check_stored(raw: &RawOrder, m: &MOrder, market: &common::Market) -> Result<(), TestCaseError> {
    prop_assert_eq!(raw.user_id(), m.user);
    prop_assert_eq!(raw.side() == Side::Sell, m.sell);
    prop_assert_eq!(raw.price_ticks(), m.price);
    prop_assert_eq!(raw.quantity_lots(), m.qty);
    prop_assert_eq!(raw.filled_lots(), m.filled);
    prop_assert_eq!(raw.notional(), m.notional);
    prop_assert_eq!(raw.status() as u8, m.status, "order {}", m.id);
    prop_assert_eq!(raw.client_order_id().unwrap_or(""), m.cid.as_str());
    prop_assert_eq!(raw.stop_ticks(), m.stop);
    let o = raw.to_order(market);
    prop_assert_eq!(Dec(o.filled_quantity.0 + o.remaining_quantity.0), o.quantity);
    Ok(())
}

/// An event carries every order its command changed as it is after the command, and every level it
/// changed with its total after it (a cancel-all's event names a level once per order it took off
/// it, the last time with that total): both as the model has them.
fn check_event(event: &Event, model: &Model, market: &common::Market) -> Result<(), TestCaseError> {
    for raw in &event.orders {
        check_stored(raw, &model.orders[&raw.id()], market)?;
    }
    for (i, level) in event.levels.iter().enumerate() {
        if event.levels[i + 1..].iter().any(|later| (later.0, later.1) == (level.0, level.1)) {
            continue;
        }
        let total = model.levels(level.0 == 1).into_iter().find(|l| l.0 == level.1).map_or(0, |l| l.1);
        prop_assert_eq!(level.2, total, "level {:?}", level);
    }
    Ok(())
}

/// Every user's account and the fee account as the model has them; each account's lock what its open
/// orders may spend; and each asset conserved.
async fn check_funds(t: &TestEngine, model: &Model, sym: &Symbol) -> Result<(), TestCaseError> {
    let held = model.held_by_open_orders();
    let (mut base, mut quote) = (0u128, 0u128);
    for user in 1..=3u64 {
        let got = t.account(sym, user).await;
        let want = model.accounts.get(&user).copied().unwrap_or_default();
        let got_four = (got.base_free, got.base_locked, got.quote_free, got.quote_locked);
        prop_assert_eq!(
            got_four,
            (want.base_free, want.base_locked, want.quote_free, want.quote_locked),
            "user {}",
            user
        );
        let (base_held, quote_held) = held.get(&user).copied().unwrap_or_default();
        prop_assert_eq!((got.base_locked, got.quote_locked), (base_held, quote_held), "user {}'s lock", user);
        base += got.base_free + got.base_locked;
        quote += got.quote_free + got.quote_locked;
    }
    let fees = t.fees(sym).await;
    let m = model.fees;
    prop_assert_eq!(
        (fees.base_collected, fees.base_rebated, fees.quote_collected, fees.quote_rebated),
        (m.base_collected, m.base_rebated, m.quote_collected, m.quote_rebated)
    );
    prop_assert_eq!(base + fees.base_collected - fees.base_rebated, model.funded.0, "base conserved");
    prop_assert_eq!(quote + fees.quote_collected - fees.quote_rebated, model.funded.1, "quote conserved");
    for user in 1..=3u64 {
        let got: Vec<u64> =
            t.engine.fills(market_of(t, sym), user, None, 10_000).await.unwrap().iter().map(|f| f.trade.id).collect();
        let want: Vec<u64> =
            model.fills.get(&user).map(|(set, _)| set.iter().rev().copied().collect()).unwrap_or_default();
        prop_assert_eq!(got, want, "user {}'s fills", user);
    }
    Ok(())
}

fn market_of<'a>(t: &'a TestEngine, sym: &Symbol) -> &'a common::Market {
    t.engine.market(sym).unwrap()
}

async fn run(t: &TestEngine, cmds: Vec<Cmd>) -> Result<(), TestCaseError> {
    let sym = Symbol::parse(SYMBOL).unwrap();
    let market = t.engine.market(&sym).unwrap().clone();
    let units = t.engine.markets().units(&sym).unwrap();
    let (maker_fee, taker_fee) = market.fee_rates_in_millionths();
    let units = MUnits {
        base_per_lot: units.base_per_lot.into(),
        quote_per_notional: units.quote_per_notional.into(),
        maker_fee,
        taker_fee,
    };
    let mut model =
        Model::new(MAX_FILLS as usize, MAX_OPEN as usize, units, FILLS_KEPT as usize, STOPS_PER_CALL as usize);
    let mut known: Vec<u64> = Vec::new();
    let mut last_seq = 0;
    let mut all_trades = Vec::new();

    for c in cmds {
        let event = match c {
            Cmd::Place(places) => {
                let mut orders = Vec::new();
                for p in &places {
                    let req = request(p.sell, p.kind, p.price, p.qty, p.cid);
                    let checked = t.engine.check(&req).unwrap().1;
                    orders.push((p.user, t.engine.next_order_id().await.unwrap(), checked));
                }
                let batch: Vec<BatchOrder> = orders
                    .iter()
                    .map(|(user_id, id, order)| BatchOrder { user_id: *user_id, id: *id, order })
                    .collect();
                let now =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
                let results = t.engine.place_batch(&market, &batch, now).await.unwrap();
                prop_assert_eq!(results.len(), orders.len());
                model.start_call();
                let mut commands = places.len() as u64;
                for ((user, id, checked), got) in orders.iter().zip(results) {
                    let seq_before = model.seq;
                    if let Some((event, triggered, trades)) = check_placement(&mut model, *user, *id, checked, got)? {
                        check_event(&event, &model, &market)?;
                        known.push(*id);
                        all_trades.extend(event.trades(&market));
                        // Each order of a batch has its own event, with the sequence after it.
                        prop_assert_eq!(event.book_changed, model.seq == seq_before + 1);
                        prop_assert_eq!(event.seq, model.seq);
                        let want = model.after_command(&trades);
                        check_triggered(&triggered, &want, &model, &market)?;
                        all_trades.extend(triggered.iter().flat_map(|e| e.trades(&market)));
                        commands += triggered.len() as u64;
                    }
                }
                prop_assert!(model.seq - last_seq <= commands);
                last_seq = model.seq;
                None // the sequence is checked order by order above
            }
            Cmd::Cancel { user, pick } => {
                if known.is_empty() {
                    continue;
                }
                let id = known[pick % known.len()];
                match (model.cancel(user, id), t.engine.cancel(user, id).await) {
                    (Ok(()), Ok((_, event))) => Some(event),
                    (Err("not_found"), Err(EngineError::NotFound)) => None,
                    (Err(code), Err(EngineError::Conflict { code: got, .. })) => {
                        prop_assert_eq!(code, got);
                        None
                    }
                    (e, g) => return Err(TestCaseError::fail(format!("cancel: model {e:?}, engine {g:?}"))),
                }
            }
            Cmd::CancelAll { user } => {
                let expected = model.cancel_all(user);
                let (ids, events) = t.engine.cancel_all(user, Some(&sym)).await.unwrap();
                prop_assert_eq!(ids, expected);
                events.into_iter().next().map(|(_, e)| e)
            }
            Cmd::Amend { user, pick, qty, price } => {
                if known.is_empty() {
                    continue;
                }
                // Mostly an order of the user's own, open if it has one.
                let own: Vec<u64> =
                    model.orders.values().filter(|o| o.user == user && o.status < 2).map(|o| o.id).collect();
                let id = if !own.is_empty() && pick % 4 != 0 {
                    own[pick / 4 % own.len()]
                } else {
                    known[pick % known.len()]
                };
                let o = &model.orders[&id];
                let qty = qty.map(|d| (o.qty as i64 + d).max(1) as u64);
                let price = price.map(|d| (o.price as i64 + d).max(1) as u64);
                let trade_id = t.engine.next_order_id().await.unwrap();
                let expected = model.amend(user, id, qty, price, trade_id);
                let change = Change { quantity_lots: qty, price_ticks: price };
                let got = t.engine.amend_with_trade_id(&market, user, id, change, trade_id).await;
                match (expected, got) {
                    (Ok(changed), Ok(amended)) => {
                        prop_assert_eq!(amended.event.book_changed, changed.is_some());
                        let changed = changed.unwrap_or_default();
                        prop_assert_eq!(trades_of(&amended.event), changed.trades);
                        check_triggered(&amended.triggered, &changed.triggered, &model, &market)?;
                        all_trades.extend(amended.event.trades(&market));
                        all_trades.extend(amended.triggered.iter().flat_map(|e| e.trades(&market)));
                        // (The sequence's steps: one for the change, one per stop placed after it.)
                        if !amended.triggered.is_empty() {
                            last_seq = model.seq;
                            None
                        } else {
                            Some(amended.event)
                        }
                    }
                    (Err("not_found"), Err(EngineError::NotFound)) => None,
                    (
                        Err(code),
                        Err(EngineError::Conflict { code: got, .. } | EngineError::Invalid { code: got, .. }),
                    ) => {
                        prop_assert_eq!(code, got);
                        None
                    }
                    (e, g) => return Err(TestCaseError::fail(format!("amend of {id}: model {e:?}, engine {g:?}"))),
                }
            }
            Cmd::Fund { user, base, quote } => {
                model.fund(user, base.into(), quote.into());
                t.fund_many(&sym, &[user], base, quote).await;
                None
            }
            Cmd::Tick => {
                model.start_call();
                let want = model.trigger();
                let (got, left) = t.engine.trigger_stops(&market).await.unwrap();
                check_triggered(&got, &want, &model, &market)?;
                prop_assert_eq!(left, model.reached != (None, None));
                all_trades.extend(got.iter().flat_map(|e| e.trades(&market)));
                last_seq = model.seq;
                None
            }
        };

        // The sequence moves by exactly one per book change, and the event says which.
        if let Some(e) = &event {
            check_event(e, &model, &market)?;
            prop_assert_eq!(e.book_changed, model.seq == last_seq + 1);
            prop_assert_eq!(e.seq, model.seq);
        }
        prop_assert!(model.seq == last_seq || model.seq == last_seq + 1);
        last_seq = model.seq;

        let book = t.engine.book(&sym, 1000).await.unwrap();
        prop_assert_eq!(book.sequence, model.seq);
        let as_dec = |levels: Vec<(u64, u64, u64)>| -> Vec<(Dec, Dec, u64)> {
            levels.into_iter().map(|(p, q, n)| (market.ticks_to_price(p), market.lots_to_quantity(q), n)).collect()
        };
        let got = |levels: &[common::BookLevel]| -> Vec<(Dec, Dec, u64)> {
            levels.iter().map(|l| (l.price, l.quantity, l.order_count)).collect()
        };
        prop_assert_eq!(got(&book.bids), as_dec(model.levels(false)));
        prop_assert_eq!(got(&book.asks), as_dec(model.levels(true)));
        if let (Some(b), Some(a)) = (book.bids.first(), book.asks.first()) {
            prop_assert!(b.price < a.price, "crossed book");
        }
        // The market's count of resting orders (its per-market cap's) is exact.
        let resting: u64 = model.levels(false).iter().chain(&model.levels(true)).map(|l| l.2).sum();
        let counted: Option<i64> =
            redis::cmd("GET").arg(format!("{{{SYMBOL}}}:resting")).query_async(&mut t.conn.clone()).await.unwrap();
        prop_assert_eq!(counted.unwrap_or(0), resting as i64);

        check_funds(t, &model, &sym).await?;

        let mut stored = Vec::new();
        for user in 1..=3 {
            let ids: Vec<u64> = model.orders.values().filter(|o| o.user == user).map(|o| o.id).collect();
            stored.extend(t.engine.fetch(&market, user, &ids).await.unwrap());
        }
        prop_assert_eq!(stored.len(), model.orders.len());
        for raw in stored {
            check_stored(&raw, &model.orders[&raw.id()], &market)?;
        }
    }
    // The trades stream holds every trade (grouped by script call and taker order), newest first.
    all_trades.reverse();
    all_trades.truncate(1000);
    prop_assert_eq!(t.engine.recent_trades(&sym, 1000).await.unwrap(), all_trades);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_on_one_server_matches_the_reference_model(
        cmds in prop::collection::vec(cmd(), 50..250),
        sweep in 1..=3u32,
        fees in fee_rates(),
    ) {
        against_the_model(Deployment::Single, cmds, sweep, fees)?;
    }

    #[test]
    fn the_engine_on_a_cluster_matches_the_reference_model(
        cmds in prop::collection::vec(cmd(), 50..250),
        sweep in 1..=3u32,
        fees in fee_rates(),
    ) {
        against_the_model(Deployment::Cluster, cmds, sweep, fees)?;
    }
}

/// The market's (maker, taker) fee rates: the defaults, none, a maker rebate, odd rates that round.
fn fee_rates() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop::sample::select(vec![("0.001", "0.002"), ("0", "0"), ("-0.0002", "0.0007"), ("0.000333", "0.012345")])
}

/// Each user starts with some funds (more come with `Cmd::Fund`).
fn with_starting_funds(mut cmds: Vec<Cmd>) -> Vec<Cmd> {
    let start = (1..=3u64).map(|user| Cmd::Fund { user, base: 40 * user, quote: 400_000 * user });
    cmds.splice(0..0, start);
    cmds
}

/// Runs the commands on a fresh engine over `deployment`, comparing with the model after each. The
/// sweep's step is tiny (the default is 64), so that cancelled orders' tombstones are swept, and met
/// by matching halfway through a sweep, on these small books too.
fn against_the_model(
    deployment: Deployment,
    cmds: Vec<Cmd>,
    sweep: u32,
    (maker_fee, taker_fee): (&str, &str),
) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let settings = EngineSettings {
            max_fills_per_call: MAX_FILLS,
            max_open_orders_per_user: MAX_OPEN,
            fills_per_user: FILLS_KEPT,
            stops_per_call: STOPS_PER_CALL,
            level_sweep: sweep,
            ..EngineSettings::default()
        };
        let t = spawn_bare_engine_with_fees(deployment, settings, (dec(maker_fee), dec(taker_fee))).await;
        run(&t, with_starting_funds(cmds)).await
    })
}
