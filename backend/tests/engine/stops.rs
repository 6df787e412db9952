//! One test per sentence of the contract's "Stop orders", against a real `redis-server` and a Cluster;
//! each stop refused leaves every key byte-identical.

use backend::engine::{EngineError, Event, MarketKeys, StatusFilter};
use common::{OrderStatus, OrderType, Side::*, Symbol};

use crate::helpers::*;

fn sym() -> Symbol {
    Symbol::parse(SYMBOL).unwrap()
}

async fn seq(t: &TestEngine) -> u64 {
    t.engine.book(&sym(), 1).await.unwrap().sequence
}

/// The ids of the orders the events placed (each triggered stop's event starts with it), in order.
fn placed(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.orders[0].id()).collect()
}

/// A trade at `price` between users 90 (seller) and 91 (buyer), on an otherwise empty book side.
async fn trade_at(t: &TestEngine, price: &str) -> Vec<Event> {
    limit(Sell, "0.01", price).by(t, 90).await.unwrap();
    limit(Buy, "0.01", price).by(t, 91).await.unwrap().triggered
}

fn code(e: EngineError) -> &'static str {
    match e {
        EngineError::Invalid { code, .. } | EngineError::Conflict { code, .. } => code,
        EngineError::NotFound => "not_found",
        other => panic!("{other:?}"),
    }
}

/// Every key but the global order id counter (a placement takes an id before it is judged).
async fn market_keys(t: &TestEngine) -> Vec<KeyDump> {
    t.keyspace().await.into_iter().filter(|k| k.key != "next_order_id").collect()
}

on_every_deployment! {
    async fn a_stop_waits_pending_off_the_book_until_a_trade_reaches_it(d) {
        let t = spawn_engine(d).await;
        trade_at(&t, "100").await;
        let before = seq(&t).await;
        let stop = stop_limit(Buy, "1", "106", "105").by(&t, 1).await.unwrap();
        let o = &stop.order;
        assert_eq!((o.status, o.order_type, o.stop_price, o.price), (OrderStatus::Pending, OrderType::StopLimit, Some(dec("105")), Some(dec("106"))));
        assert!(!stop.event.unwrap().book_changed);
        assert_eq!(seq(&t).await, before, "a pending stop is on no book");
        let book = t.engine.book(&sym(), 10).await.unwrap();
        assert!(book.bids.is_empty() && book.asks.is_empty());
        // A trade below its stop price leaves it waiting; one at it triggers it.
        assert!(trade_at(&t, "104.99").await.is_empty());
        assert_eq!(t.engine.order(1, o.id).await.unwrap().status, OrderStatus::Pending);
        let triggered = trade_at(&t, "105").await;
        assert_eq!(placed(&triggered), vec![o.id]);
        let now = t.engine.order(1, o.id).await.unwrap();
        assert_eq!((now.status, now.order_type, now.stop_price), (OrderStatus::Open, OrderType::StopLimit, Some(dec("105"))));
        let book = t.engine.book(&sym(), 10).await.unwrap();
        assert_eq!((book.bids[0].price, book.bids[0].quantity), (dec("106"), dec("1")), "a limit order now");
    }

    async fn a_sell_stop_triggers_on_a_trade_at_or_below_its_stop_price(d) {
        let t = spawn_engine(d).await;
        trade_at(&t, "100").await;
        let stop = stop_market(Sell, "0.5", "95").by(&t, 1).await.unwrap().order;
        limit(Buy, "1", "90").by(&t, 2).await.unwrap();
        assert!(trade_at(&t, "95.01").await.is_empty());
        let triggered = trade_at(&t, "94").await;
        assert_eq!(placed(&triggered), vec![stop.id]);
        // As a market order, in the same step as the trade: it sold to the bid at 90.
        assert_eq!(triggered[0].trades.len(), 1);
        assert_eq!(triggered[0].trades[0].taker_order_id, stop.id);
        let now = t.engine.order(1, stop.id).await.unwrap();
        assert_eq!((now.status, now.average_price), (OrderStatus::Filled, Some(dec("90"))));
    }

    async fn a_triggered_stop_takes_a_new_place_in_time_behind_orders_already_at_its_price(d) {
        let t = spawn_engine(d).await;
        trade_at(&t, "100").await;
        let stop = stop_limit(Sell, "1", "99", "99.5").by(&t, 1).await.unwrap().order;
        let resting = limit(Sell, "1", "99").by(&t, 2).await.unwrap().order;
        limit(Buy, "1", "98").by(&t, 3).await.unwrap();
        // A trade at 99.50 triggers the stop, which rests at 99 behind the order placed after it.
        let triggered = trade_at(&t, "99.5").await;
        assert_eq!(placed(&triggered), vec![stop.id]);
        let taker = limit(Buy, "1.5", "99").by(&t, 4).await.unwrap().order;
        let makers: Vec<u64> = taker.trades.unwrap().iter().map(|t| t.maker_order_id).collect();
        assert_eq!(makers, vec![resting.id, stop.id]);
    }

    async fn stops_triggered_together_enter_in_the_order_the_price_crossed_them_then_by_id(d) {
        let t = spawn_engine(d).await;
        trade_at(&t, "100").await;
        // (Market orders on an empty side: each triggered stop trades nothing, so the last price stays.)
        let a = stop_market(Buy, "0.1", "102").by(&t, 1).await.unwrap().order;
        let b = stop_market(Buy, "0.1", "101").by(&t, 2).await.unwrap().order;
        let c = stop_market(Buy, "0.1", "102").by(&t, 3).await.unwrap().order;
        let far = stop_market(Buy, "0.1", "104").by(&t, 4).await.unwrap().order;
        assert_eq!(placed(&trade_at(&t, "103").await), vec![b.id, a.id, c.id], "lowest buy stop first, then by id");
        let x = stop_market(Sell, "0.1", "98").by(&t, 5).await.unwrap().order;
        let y = stop_market(Sell, "0.1", "99").by(&t, 6).await.unwrap().order;
        let z = stop_market(Sell, "0.1", "98").by(&t, 7).await.unwrap().order;
        assert_eq!(placed(&trade_at(&t, "97").await), vec![y.id, x.id, z.id], "highest sell stop first, then by id");
        assert_eq!(t.engine.order(4, far.id).await.unwrap().status, OrderStatus::Pending);
    }

    async fn a_trigger_can_trigger_more_in_the_same_step(d) {
        let t = spawn_engine(d).await;
        trade_at(&t, "100").await;
        for price in ["101", "102", "103"] {
            limit(Sell, "1", price).by(&t, 10).await.unwrap();
        }
        // Each stop buys one level, and its trade there reaches the next stop.
        let first = stop_market(Buy, "1", "100.5").by(&t, 1).await.unwrap().order;
        let second = stop_market(Buy, "1", "101").by(&t, 2).await.unwrap().order;
        let third = stop_market(Buy, "1", "102").by(&t, 3).await.unwrap().order;
        let triggered = trade_at(&t, "100.5").await;
        assert_eq!(placed(&triggered), vec![first.id, second.id, third.id]);
        let prices: Vec<u64> = triggered.iter().map(|e| e.trades[0].price).collect();
        assert_eq!(prices, vec![10_100, 10_200, 10_300]);
        // Each triggered stop is a command of its own: its own sequence number.
        let seqs: Vec<u64> = triggered.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![seqs[0], seqs[0] + 1, seqs[0] + 2]);
        assert_eq!(seq(&t).await, seqs[2]);
        assert!(t.engine.book(&sym(), 10).await.unwrap().asks.is_empty());
    }

    async fn the_work_of_one_command_is_bounded_and_the_rest_waits_for_the_next_call(d) {
        let t = spawn_engine_with(d, EngineSettings { stops_per_call: 2, ..EngineSettings::default() }).await;
        trade_at(&t, "100").await;
        // Sell stops that become asks at 110, above the trades to come.
        let mut ids = Vec::new();
        for (user, stop) in [(1, "99"), (2, "98.5"), (3, "98"), (4, "97.5"), (5, "97"), (6, "96.5"), (7, "96.2")] {
            ids.push(stop_limit(Sell, "0.1", "110", stop).by(&t, user).await.unwrap().order.id);
        }
        assert_eq!(placed(&trade_at(&t, "95").await), ids[..2].to_vec(), "two per call");
        // The next call that accepts anything goes on with those left: here a resting sell, then the
        // buy that trades with it at 100.
        let ask = limit(Sell, "0.01", "100").by(&t, 90).await.unwrap();
        assert_eq!(placed(&ask.triggered), ids[2..4].to_vec());
        let bid = limit(Buy, "0.01", "100").by(&t, 91).await.unwrap();
        assert_eq!((bid.order.status, placed(&bid.triggered)), (OrderStatus::Filled, ids[4..6].to_vec()));
        // One is left, reached by the trade at 95: until it is placed, a new sell stop at or above 95
        // counts as reached too, though the last trade (at 100) is above it.
        let late = stop_limit(Sell, "0.1", "110", "96.5").by(&t, 8).await.unwrap_err();
        assert_eq!(code(late), "would_trigger_immediately");
        let market = t.engine.market(&sym()).unwrap();
        let (next, left) = t.engine.trigger_stops(market).await.unwrap();
        assert_eq!(placed(&next), ids[6..].to_vec());
        assert!(left || t.engine.trigger_stops(market).await.unwrap() == (Vec::new(), false));
        assert_eq!(t.engine.trigger_stops(market).await.unwrap(), (Vec::new(), false));
        for (user, id) in (1..=7).zip(ids) {
            assert_eq!(t.engine.order(user, id).await.unwrap().status, OrderStatus::Open);
        }
        assert!(stop_limit(Sell, "0.1", "110", "96.5").by(&t, 8).await.is_ok(), "nothing is left reached");
    }

    async fn a_buy_stop_inside_a_range_left_for_later_counts_as_reached(d) {
        let t = spawn_engine_with(d, EngineSettings { stops_per_call: 2, ..EngineSettings::default() }).await;
        trade_at(&t, "100").await;
        // Buy stops that become bids at 90, below the trades to come.
        let mut ids = Vec::new();
        for (user, stop) in [(1, "101"), (2, "101.5"), (3, "102"), (4, "102.5"), (5, "103"), (6, "103.5"), (7, "103.8")] {
            ids.push(stop_limit(Buy, "0.1", "90", stop).by(&t, user).await.unwrap().order.id);
        }
        assert_eq!(placed(&trade_at(&t, "105").await), ids[..2].to_vec());
        let ask = limit(Sell, "0.01", "100").by(&t, 90).await.unwrap();
        assert_eq!(placed(&ask.triggered), ids[2..4].to_vec());
        let bid = limit(Buy, "0.01", "100").by(&t, 91).await.unwrap();
        assert_eq!((bid.order.status, placed(&bid.triggered)), (OrderStatus::Filled, ids[4..6].to_vec()));
        // The last trade is at 100, but the one at 105 still has a stop to place: 104 counts as reached.
        let late = stop_limit(Buy, "0.1", "90", "104").by(&t, 8).await.unwrap_err();
        assert_eq!(code(late), "would_trigger_immediately");
        let market = t.engine.market(&sym()).unwrap();
        assert_eq!(placed(&t.engine.trigger_all_stops(market).await.unwrap()), ids[6..].to_vec());
        assert!(stop_limit(Buy, "0.1", "90", "104").by(&t, 8).await.is_ok(), "nothing is left reached");
    }

    async fn stops_left_for_later_are_placed_by_the_tick_within_100_ms(d) {
        let t = spawn_engine_with(d, EngineSettings { stops_per_call: 2, ..EngineSettings::default() }).await;
        trade_at(&t, "100").await;
        let mut ids = Vec::new();
        for (i, user) in (1..=12).enumerate() {
            let stop = format!("{}", 9_900 - i as u64 * 10);
            let stop = format!("{}.{}", &stop[..2], &stop[2..]);
            ids.push(stop_limit(Sell, "0.1", "110", &stop).by(&t, user).await.unwrap().order.id);
        }
        let ticks = t.engine.start_stop_ticks();
        limit(Sell, "0.01", "95").by(&t, 90).await.unwrap();
        let trade = limit(Buy, "0.01", "95").by(&t, 91).await.unwrap();
        assert_eq!(trade.triggered.len(), 2, "two in the trade's own call");
        let traded_ms = trade.event.unwrap().ts;
        // Nothing else comes: the tick places the other ten.
        let started = std::time::Instant::now();
        let mut waits = Vec::new();
        for (user, id) in (1..=12).zip(&ids) {
            let order = loop {
                let order = t.engine.order(user, *id).await.unwrap();
                if order.status != OrderStatus::Pending || started.elapsed() > std::time::Duration::from_secs(5) {
                    break order;
                }
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            };
            assert_eq!(order.status, OrderStatus::Open, "stop {id}");
            waits.push(common::time::parse_millis(&order.updated_at).unwrap() - traded_ms);
        }
        ticks.abort();
        println!("waits after the trade, ms: {waits:?}");
        assert!(waits.iter().all(|&w| w <= 100), "a stop waited more than 100 ms: {waits:?}");
    }

    async fn a_stop_that_would_trigger_at_once_is_refused_and_writes_nothing(d) {
        let t = spawn_engine(d).await;
        let before_any = market_keys(&t).await;
        // No trade yet: nothing has reached any price.
        let early = stop_market(Buy, "1", "1").by(&t, 1).await.unwrap().order;
        t.engine.cancel(1, early.id).await.unwrap();
        assert_ne!(before_any, market_keys(&t).await);
        trade_at(&t, "100").await;
        let before = market_keys(&t).await;
        for (side, stop) in [(Buy, "100"), (Buy, "99"), (Sell, "100"), (Sell, "101")] {
            let got = stop_market(side, "1", stop).by(&t, 1).await.unwrap_err();
            assert_eq!(code(got), "would_trigger_immediately", "{side:?} at {stop}");
            assert_eq!(before, market_keys(&t).await, "{side:?} at {stop} wrote something");
        }
        assert!(stop_market(Buy, "1", "100.01").by(&t, 1).await.is_ok());
        assert!(stop_market(Sell, "1", "99.99").by(&t, 1).await.is_ok());
    }

    async fn funds_are_locked_at_placement_as_for_the_resulting_order(d) {
        let t = spawn_bare_engine(d, EngineSettings::default()).await;
        let units = t.engine.markets().units(&sym()).unwrap();
        let (lot, notional) = (u128::from(units.base_per_lot), u128::from(units.quote_per_notional));
        // 10 BTC and what 1 BTC costs at 100,000.
        let (base, quote) = (10 * 100_000_000 * lot, 10_000_000 * 100_000_000 * notional);
        t.fund_many(&sym(), &[1], base as u64, quote as u64).await;
        let start = t.account(&sym(), 1).await;
        // A stop-limit buy locks its price x quantity of quote; a stop-market sell its quantity of base;
        // a stop-market buy, like a market buy by quantity, nothing.
        let buy = stop_limit(Buy, "2", "110", "105").by(&t, 1).await.unwrap().order;
        let sell = stop_market(Sell, "3", "95").by(&t, 1).await.unwrap().order;
        stop_market(Buy, "1", "105").by(&t, 1).await.unwrap();
        let held = t.account(&sym(), 1).await;
        assert_eq!(held.quote_locked, 11_000 * 200_000_000 * notional);
        assert_eq!(held.base_locked, 300_000_000 * lot);
        assert_eq!(held.quote_free + held.quote_locked, start.quote_free);
        // More than the free funds cover is refused.
        let market = t.engine.market(&sym()).unwrap();
        let more = market.lots_to_quantity((held.base_free / lot) as u64 + 1).to_string();
        assert_eq!(code(stop_market(Sell, &more, "90").by(&t, 1).await.unwrap_err()), "insufficient_funds");
        // A cancel gives the lock back.
        t.engine.cancel(1, buy.id).await.unwrap();
        t.engine.cancel(1, sell.id).await.unwrap();
        let back = t.account(&sym(), 1).await;
        assert_eq!((back.quote_locked, back.base_locked), (0, 0));
        assert_eq!((back.quote_free, back.base_free), (start.quote_free, start.base_free));
    }

    async fn pending_stops_are_listed_as_open_cancellable_and_cancelled_by_cancel_all(d) {
        let t = spawn_engine(d).await;
        trade_at(&t, "100").await;
        let a = stop_limit(Buy, "1", "106", "105").by(&t, 1).await.unwrap().order;
        let b = stop_market(Sell, "1", "95").by(&t, 1).await.unwrap().order;
        let c = stop_market(Sell, "1", "94").by(&t, 1).await.unwrap().order;
        let resting = limit(Buy, "1", "90").by(&t, 1).await.unwrap().order;
        let open: Vec<u64> =
            t.engine.orders(1, Some(&sym()), StatusFilter::Open, 100, None).await.unwrap().iter().map(|o| o.id).collect();
        assert_eq!(open, vec![resting.id, c.id, b.id, a.id]);
        let before = seq(&t).await;
        let (cancelled, event) = t.engine.cancel(1, a.id).await.unwrap();
        assert_eq!((cancelled.status, event.book_changed, seq(&t).await), (OrderStatus::Cancelled, false, before));
        assert_eq!(code(t.engine.cancel(1, a.id).await.unwrap_err()), "order_not_open");
        assert_eq!(code(t.engine.cancel(2, b.id).await.unwrap_err()), "not_found");
        let (ids, _) = t.engine.cancel_all(1, Some(&sym())).await.unwrap();
        assert_eq!(ids, vec![b.id, c.id, resting.id]);
        assert_eq!(seq(&t).await, before + 1, "one book change: the resting order's");
        // Cancelled stops trigger no more.
        assert!(trade_at(&t, "94").await.is_empty());
    }

    async fn a_pending_stop_cannot_be_changed_but_a_triggered_stop_limit_can(d) {
        let t = spawn_engine(d).await;
        trade_at(&t, "100").await;
        let stop = stop_limit(Buy, "1", "90", "105").by(&t, 1).await.unwrap().order;
        let change = common::OrderChange { quantity: Some(dec("0.5")), price: None };
        assert_eq!(code(t.engine.amend(1, stop.id, &change).await.unwrap_err()), "order_not_open");
        trade_at(&t, "105").await;
        let amended = t.engine.amend(1, stop.id, &change).await.unwrap().order;
        assert_eq!((amended.quantity, amended.order_type, amended.stop_price), (dec("0.5"), OrderType::StopLimit, Some(dec("105"))));
    }

    async fn a_client_order_id_names_its_stop_before_and_after_it_triggers(d) {
        let t = spawn_engine(d).await;
        trade_at(&t, "100").await;
        let first = stop_limit(Buy, "1", "90", "105").cid("stop-1").by(&t, 1).await.unwrap();
        let again = stop_limit(Buy, "1", "90", "105").cid("stop-1").by(&t, 1).await.unwrap();
        assert!(!again.created);
        assert_eq!((again.order.id, again.order.status), (first.order.id, OrderStatus::Pending));
        trade_at(&t, "105").await;
        let after = limit(Buy, "1", "90").cid("stop-1").by(&t, 1).await.unwrap();
        assert!(!after.created);
        assert_eq!((after.order.id, after.order.status), (first.order.id, OrderStatus::Open));
        assert_eq!(after.order.client_order_id.as_deref(), Some("stop-1"));
        let by_cid = t.engine.order(1, first.order.id).await.unwrap();
        assert_eq!(by_cid.client_order_id.as_deref(), Some("stop-1"));
    }

    async fn bad_stop_requests_are_refused_with_the_contracts_codes(d) {
        let t = spawn_engine(d).await;
        let before = market_keys(&t).await;
        let mut no_stop = stop_limit(Buy, "1", "90", "105");
        no_stop.0.stop_price = None;
        let mut no_price = stop_limit(Buy, "1", "90", "105");
        no_price.0.price = None;
        let mut limit_with_stop = limit(Buy, "1", "90");
        limit_with_stop.0.stop_price = Some(dec("105"));
        for (what, req, want) in [
            ("a stop without a stop price", no_stop, "invalid_price"),
            ("a stop price off the tick", stop_limit(Buy, "1", "90", "105.001"), "price_not_on_tick"),
            ("a zero stop price", stop_market(Buy, "1", "0"), "invalid_price"),
            ("a stop_limit without a price", no_price, "invalid_price"),
            ("post_only on a stop_market", stop_market(Buy, "1", "105").post_only(), "validation_error"),
            ("a stop price on a limit order", limit_with_stop, "validation_error"),
        ] {
            assert_eq!(code(req.by(&t, 1).await.unwrap_err()), want, "{what}");
        }
        assert_eq!(before, market_keys(&t).await);
        // The stops' keys are the market's: one hash slot.
        let k = MarketKeys::new(&sym());
        assert!(k.seq().starts_with("{BTC/USD}"));
    }
}
