//! One test per matching rule of the contract, against a real `redis-server`.

use backend::config::EngineSettings;
use backend::engine::{EngineError, StatusFilter};
use common::{OrderStatus, Side::*, Symbol, TimeInForce};

use crate::helpers::*;

fn sym() -> Symbol {
    Symbol::parse(SYMBOL).unwrap()
}

on_every_deployment! {
    async fn a_partial_fill_trades_at_the_makers_price(d) {
        let t = spawn_engine(d).await;
        let maker = limit(Sell, "2", "100.00").by(&t, 1).await.unwrap().order;
        let taker = limit(Buy, "0.5", "101.00").by(&t, 2).await.unwrap().order;

        assert_eq!(taker.status, OrderStatus::Filled);
        let trades = taker.trades.unwrap();
        assert_eq!(trades.len(), 1);
        assert_eq!(trades[0].price, dec("100"));
        assert_eq!(trades[0].quantity, dec("0.5"));
        assert_eq!(trades[0].maker_order_id, maker.id);
        assert_eq!(trades[0].taker_side, Buy);
        assert_eq!(taker.average_price, Some(dec("100")));

        let maker = t.engine.order(1, maker.id).await.unwrap();
        assert_eq!(maker.status, OrderStatus::PartiallyFilled);
        assert_eq!(maker.filled_quantity, dec("0.5"));
        assert_eq!(maker.remaining_quantity, dec("1.5"));
        let book = t.engine.book(&sym(), 10).await.unwrap();
        assert_eq!(book.asks.len(), 1);
        assert_eq!(book.asks[0].quantity, dec("1.5"));
        assert!(book.bids.is_empty());
    }

    async fn orders_at_one_price_fill_first_in_first_out(d) {
        let t = spawn_engine(d).await;
        let a = limit(Sell, "1", "100").by(&t, 1).await.unwrap().order;
        let b = limit(Sell, "1", "100").by(&t, 2).await.unwrap().order;
        let c = limit(Sell, "1", "100").by(&t, 3).await.unwrap().order;
        let taker = limit(Buy, "2.5", "100").by(&t, 4).await.unwrap().order;
        let makers: Vec<u64> = taker.trades.unwrap().iter().map(|tr| tr.maker_order_id).collect();
        assert_eq!(makers, vec![a.id, b.id, c.id]);
        assert_eq!(t.engine.order(3, c.id).await.unwrap().remaining_quantity, dec("0.5"));
    }

    async fn fifo_holds_after_cancelling_the_middle_order(d) {
        let t = spawn_engine(d).await;
        let a = limit(Buy, "1", "99").by(&t, 1).await.unwrap().order;
        let b = limit(Buy, "1", "99").by(&t, 2).await.unwrap().order;
        let c = limit(Buy, "1", "99").by(&t, 3).await.unwrap().order;
        let (cancelled, _) = t.engine.cancel(2, b.id).await.unwrap();
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert_eq!(t.engine.book(&sym(), 5).await.unwrap().bids[0].order_count, 2);

        let taker = limit(Sell, "2", "99").by(&t, 4).await.unwrap().order;
        let makers: Vec<u64> = taker.trades.unwrap().iter().map(|tr| tr.maker_order_id).collect();
        assert_eq!(makers, vec![a.id, c.id]);
        assert!(t.engine.book(&sym(), 5).await.unwrap().bids.is_empty());
    }

    async fn a_sweep_crosses_several_levels_up_to_its_limit(d) {
        let t = spawn_engine(d).await;
        limit(Sell, "1", "100").by(&t, 1).await.unwrap();
        limit(Sell, "1", "101").by(&t, 1).await.unwrap();
        limit(Sell, "1", "102").by(&t, 1).await.unwrap();
        limit(Sell, "1", "103").by(&t, 1).await.unwrap();
        let taker = limit(Buy, "5", "102").by(&t, 2).await.unwrap().order;
        let prices: Vec<_> = taker.trades.as_ref().unwrap().iter().map(|tr| tr.price.to_string()).collect();
        assert_eq!(prices, ["100", "101", "102"]);
        assert_eq!(taker.status, OrderStatus::PartiallyFilled);
        assert_eq!(taker.average_price, Some(dec("101")));
        let book = t.engine.book(&sym(), 10).await.unwrap();
        assert_eq!((book.bids[0].price, book.bids[0].quantity), (dec("102"), dec("2")));
        assert_eq!(book.asks.len(), 1);
        assert_eq!(book.asks[0].price, dec("103"));
    }

    async fn an_ioc_remainder_is_cancelled(d) {
        let t = spawn_engine(d).await;
        limit(Sell, "1", "100").by(&t, 1).await.unwrap();
        let taker = limit(Buy, "3", "100").tif(TimeInForce::Ioc).by(&t, 2).await.unwrap().order;
        assert_eq!(taker.status, OrderStatus::Cancelled);
        assert_eq!(taker.filled_quantity, dec("1"));
        assert_eq!(taker.remaining_quantity, dec("2"));
        let book = t.engine.book(&sym(), 10).await.unwrap();
        assert!(book.bids.is_empty() && book.asks.is_empty());
    }

    async fn a_fok_order_fills_completely_or_trades_nothing(d) {
        let t = spawn_engine(d).await;
        limit(Sell, "1", "100").by(&t, 1).await.unwrap();
        limit(Sell, "1", "101").by(&t, 1).await.unwrap();
        // The caller's own order is no liquidity for a fok.
        limit(Sell, "5", "100").by(&t, 2).await.unwrap();
        let seq_before = t.engine.book(&sym(), 10).await.unwrap().sequence;

        let failed = limit(Buy, "2.5", "101").tif(TimeInForce::Fok).by(&t, 2).await.unwrap();
        assert_eq!(failed.order.status, OrderStatus::Cancelled);
        assert_eq!(failed.order.filled_quantity, dec("0"));
        assert!(failed.order.trades.unwrap().is_empty());
        let book = t.engine.book(&sym(), 10).await.unwrap();
        assert_eq!(book.sequence, seq_before, "a failed fok leaves the book and the sequence alone");
        assert_eq!(book.asks[0].quantity, dec("6"));

        let filled = limit(Buy, "2", "101").tif(TimeInForce::Fok).by(&t, 3).await.unwrap().order;
        assert_eq!(filled.status, OrderStatus::Filled);
        assert_eq!(filled.trades.unwrap().len(), 2, "one fill at 100 from user 1, then user 2's 100s");
    }

    async fn a_market_order_on_an_empty_side_is_cancelled_and_leaves_the_book_alone(d) {
        let t = spawn_engine(d).await;
        limit(Buy, "1", "100").by(&t, 1).await.unwrap();
        let seq = t.engine.book(&sym(), 10).await.unwrap().sequence;
        let placed = market_order(Buy, "1").by(&t, 2).await.unwrap();
        assert_eq!(placed.order.status, OrderStatus::Cancelled);
        assert_eq!(placed.order.price, None);
        assert_eq!(placed.order.time_in_force, TimeInForce::Ioc);
        assert_eq!(t.engine.book(&sym(), 10).await.unwrap().sequence, seq);
        let history = t.engine.orders(2, None, StatusFilter::Closed, 10, None).await.unwrap();
        assert_eq!(history.len(), 1, "an order that never rested is still in the caller's history");
    }

    async fn a_post_only_order_that_would_cross_is_refused_and_writes_nothing(d) {
        let t = spawn_engine(d).await;
        limit(Sell, "1", "100").by(&t, 1).await.unwrap();
        // Even crossing only the caller's own order is refused.
        let before = t.keyspace().await;
        let err = limit(Buy, "1", "100").post_only().by(&t, 1).await.unwrap_err();
        assert!(matches!(err, EngineError::Conflict { code: "post_only_would_cross", .. }), "{err:?}");
        let after = t.keyspace().await;
        // Only the global id counter moved (ids are never reused); every market key is byte-identical.
        let market_keys = |dump: &[KeyDump]| dump.iter().filter(|k| k.key.starts_with('{')).cloned().collect::<Vec<_>>();
        assert_eq!(market_keys(&before), market_keys(&after));

        let resting = limit(Buy, "1", "99.99").post_only().by(&t, 1).await.unwrap().order;
        assert_eq!(resting.status, OrderStatus::Open);
    }

    async fn a_self_trade_cancels_the_resting_order(d) {
        let t = spawn_engine(d).await;
        let own = limit(Sell, "1", "100").by(&t, 1).await.unwrap().order;
        let other = limit(Sell, "1", "100").by(&t, 2).await.unwrap().order;
        let taker = limit(Buy, "1", "100").by(&t, 1).await.unwrap().order;
        let trades = taker.trades.unwrap();
        assert_eq!(trades.len(), 1);
        assert_eq!(trades[0].maker_order_id, other.id, "no trade with oneself");
        let own = t.engine.order(1, own.id).await.unwrap();
        assert_eq!(own.status, OrderStatus::Cancelled);
        assert_eq!(own.filled_quantity, dec("0"));
        assert_eq!(taker.status, OrderStatus::Filled);
    }

    async fn a_repeated_client_order_id_returns_the_first_order(d) {
        let t = spawn_engine(d).await;
        let first = limit(Buy, "1", "100").cid("my-42").by(&t, 1).await.unwrap();
        assert!(first.created);
        let again = limit(Buy, "5", "90").cid("my-42").by(&t, 1).await.unwrap();
        assert!(!again.created);
        assert_eq!(again.order.id, first.order.id);
        assert_eq!(again.order.quantity, dec("1"));
        assert_eq!(again.order.client_order_id.as_deref(), Some("my-42"));
        let book = t.engine.book(&sym(), 10).await.unwrap();
        assert_eq!(book.bids.len(), 1);
        // Another user may use the same id.
        let theirs = limit(Buy, "1", "100").cid("my-42").by(&t, 2).await.unwrap();
        assert!(theirs.created);
    }

    async fn cancelling_a_filled_order_is_refused(d) {
        let t = spawn_engine(d).await;
        let maker = limit(Sell, "1", "100").by(&t, 1).await.unwrap().order;
        limit(Buy, "1", "100").by(&t, 2).await.unwrap();
        let err = t.engine.cancel(1, maker.id).await.unwrap_err();
        assert!(matches!(err, EngineError::Conflict { code: "order_not_open", .. }), "{err:?}");
    }

    async fn another_users_order_is_not_found(d) {
        let t = spawn_engine(d).await;
        let maker = limit(Sell, "1", "100").by(&t, 1).await.unwrap().order;
        assert!(matches!(t.engine.cancel(2, maker.id).await, Err(EngineError::NotFound)));
        assert!(matches!(t.engine.order(2, maker.id).await, Err(EngineError::NotFound)));
        assert!(matches!(t.engine.order(1, 999_999).await, Err(EngineError::NotFound)));
    }

    async fn three_fills_of_one_tenth_make_exactly_three_tenths(d) {
        let t = spawn_engine(d).await;
        for user in 1..=3 {
            limit(Sell, "0.1", "100.01").by(&t, user).await.unwrap();
        }
        let taker = limit(Buy, "0.3", "100.01").by(&t, 9).await.unwrap().order;
        assert_eq!(taker.filled_quantity.to_string(), "0.3");
        assert_eq!(serde_json::to_string(&taker.filled_quantity).unwrap(), "0.3");
        assert_eq!(taker.average_price.unwrap().to_string(), "100.01");
        assert_eq!(taker.status, OrderStatus::Filled);
    }

    async fn a_fill_worth_more_than_2_pow_53_ticks_x_lots_keeps_its_notional_exact(d) {
        let t = spawn_engine(d).await;
        let big = |side, qty: &str, price: &str| {
            let mut r = limit(side, qty, price);
            r.0.symbol = Symbol::parse("BIG/BQ").unwrap();
            r
        };
        // 1,234,567,890,123 ticks × 999,999 lots (about 2^60) in one fill, then one lot more, a tick higher.
        big(Sell, "999999", "12345.67890123").by(&t, 1).await.unwrap();
        big(Sell, "1", "12345.67890124").by(&t, 1).await.unwrap();
        let placed = big(Buy, "1000000", "12345.67890124").by(&t, 2).await.unwrap();
        assert_eq!(placed.order.status, OrderStatus::Filled);
        let event = placed.event.unwrap();
        let price: u128 = 1_234_567_890_123;
        assert_eq!(event.orders[0].notional(), price * 999_999 + (price + 1), "the taker's notional");
        assert_eq!(event.orders[1].notional(), price * 999_999, "the first maker's notional");
    }

    async fn the_open_orders_cap_refuses_an_order_that_would_rest_but_not_one_that_fills(d) {
        let t = spawn_engine_with(d, EngineSettings { max_open_orders_per_user: 2, ..EngineSettings::default() }).await;
        limit(Buy, "1", "99").by(&t, 1).await.unwrap();
        limit(Buy, "1", "98").by(&t, 1).await.unwrap();
        let ask = limit(Sell, "1", "100").by(&t, 2).await.unwrap().order;
        let book = t.engine.book(&sym(), 10).await.unwrap();
        // At the cap: a buy that would rest is refused, whether or not it could trade first, and writes nothing.
        for (qty, price) in [("1", "97"), ("2", "100")] {
            let refused = limit(Buy, qty, price).by(&t, 1).await;
            assert!(matches!(refused, Err(EngineError::Conflict { code: "too_many_open_orders", .. })), "{qty} @ {price}");
        }
        let after = t.engine.book(&sym(), 10).await.unwrap();
        assert_eq!((after.sequence, after.asks.len()), (book.sequence, 1));
        // One that fills completely on arrival never rests, so the cap does not refuse it.
        let taker = limit(Buy, "1", "100").by(&t, 1).await.unwrap().order;
        assert_eq!(taker.status, OrderStatus::Filled);
        assert_eq!(t.engine.order(2, ask.id).await.unwrap().status, OrderStatus::Filled);
    }

    async fn cancel_all_cancels_every_open_order_of_the_user_as_one_book_change(d) {
        let t = spawn_engine(d).await;
        let a = limit(Buy, "1", "99").by(&t, 1).await.unwrap().order;
        let b = limit(Sell, "1", "101").by(&t, 1).await.unwrap().order;
        limit(Sell, "1", "102").by(&t, 2).await.unwrap();
        let seq = t.engine.book(&sym(), 10).await.unwrap().sequence;
        let (ids, events) = t.engine.cancel_all(1, Some(&sym())).await.unwrap();
        assert_eq!(ids, vec![a.id, b.id]);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].1.seq, seq + 1);
        let book = t.engine.book(&sym(), 10).await.unwrap();
        assert_eq!(book.sequence, seq + 1);
        assert!(book.bids.is_empty());
        assert_eq!(book.asks.len(), 1);
        let (none, events) = t.engine.cancel_all(1, None).await.unwrap();
        assert!(none.is_empty() && events.is_empty());
        assert_eq!(t.engine.book(&sym(), 10).await.unwrap().sequence, seq + 1, "nothing to cancel, no change");
    }

    async fn a_sweep_touches_at_most_the_fill_cap_and_cancels_the_rest(d) {
        let settings = EngineSettings { max_fills_per_call: 5, ..EngineSettings::default() };
        let t = spawn_engine_with(d, settings).await;
        for i in 0..8 {
            limit(Sell, "1", &format!("{}", 100 + i)).by(&t, 1).await.unwrap();
        }
        let taker = limit(Buy, "8", "200").by(&t, 2).await.unwrap().order;
        assert_eq!(taker.trades.as_ref().unwrap().len(), 5);
        assert_eq!(taker.status, OrderStatus::Cancelled, "the rest of a capped sweep is cancelled, never left crossing");
        assert_eq!(taker.filled_quantity, dec("5"));
        let book = t.engine.book(&sym(), 10).await.unwrap();
        assert!(book.bids.is_empty());
        assert_eq!(book.asks.len(), 3);
    }

    async fn closed_orders_expire_after_the_retention(d) {
        let settings = EngineSettings { retention_ms: 300, ..EngineSettings::default() };
        let t = spawn_engine_with(d, settings).await;
        let maker = limit(Sell, "1", "100").cid("gone").by(&t, 1).await.unwrap().order;
        let open = limit(Sell, "1", "105").by(&t, 1).await.unwrap().order;
        limit(Buy, "1", "100").by(&t, 2).await.unwrap();
        assert_eq!(t.engine.order(1, maker.id).await.unwrap().status, OrderStatus::Filled);
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        assert!(matches!(t.engine.order(1, maker.id).await, Err(EngineError::NotFound)));
        assert_eq!(t.engine.order(1, open.id).await.unwrap().status, OrderStatus::Open, "open orders never expire");
        let listed = t.engine.orders(1, None, StatusFilter::All, 100, None).await.unwrap();
        assert_eq!(listed.iter().map(|o| o.id).collect::<Vec<_>>(), vec![open.id]);
        // The client_order_id is free again once its order expired.
        assert!(limit(Sell, "1", "110").cid("gone").by(&t, 1).await.unwrap().created);
    }

    async fn a_closed_orders_hash_lives_a_retention_after_its_last_close_then_goes(d) {
        let settings = EngineSettings { retention_ms: 400, ..EngineSettings::default() };
        let mut t = spawn_engine_with(d, settings).await;
        let key = "{BTC/USD}:user:1:closed";
        // Closes every 40 ms for 1.2 s, three retentions and many expiry windows (50 ms each).
        let started = std::time::Instant::now();
        let mut last = 0;
        while started.elapsed() < std::time::Duration::from_millis(1200) {
            last = market_order(Buy, "1").by(&t, 1).await.unwrap().order.id;
            let ttl: i64 = redis::cmd("PTTL").arg(key).query_async(&mut t.conn).await.unwrap();
            assert!(
                (380..=450).contains(&ttl),
                "the hash lives a retention after the last close, plus at most a window: {ttl} ms"
            );
            tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        }
        let fields: Vec<String> = redis::cmd("HKEYS").arg(key).query_async(&mut t.conn).await.unwrap();
        let markers = fields.iter().filter(|f| f.starts_with('w')).count();
        assert_eq!(markers, 1, "one window marker, the old ones dropped: {fields:?}");
        assert_eq!(t.engine.order(1, last).await.unwrap().status, OrderStatus::Cancelled);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let exists: bool = redis::cmd("EXISTS").arg(key).query_async(&mut t.conn).await.unwrap();
        assert!(!exists, "the hash expired a retention (and at most a window) after its last close");
    }

    async fn a_users_history_is_trimmed_to_its_newest_closed_orders(d) {
        let settings = EngineSettings { history_per_user: 20, ..EngineSettings::default() };
        let mut t = spawn_engine_with(d, settings).await;
        let mut ids = Vec::new();
        for _ in 0..200 {
            // A market order on an empty book is cancelled at once: one close each.
            ids.push(market_order(Buy, "1").by(&t, 1).await.unwrap().order.id);
        }
        // Trimmed back to 20 once over 25, looked at on about one close in 8 (the hash's other field is its
        // expiry window's marker).
        let fields: usize = redis::cmd("HLEN").arg("{BTC/USD}:user:1:closed").query_async(&mut t.conn).await.unwrap();
        let kept = fields - 1;
        assert!((20..=25 + 16).contains(&kept), "{kept} closed orders kept");
        let listed = t.engine.orders(1, None, StatusFilter::Closed, 100, None).await.unwrap();
        let listed: Vec<u64> = listed.iter().map(|o| o.id).collect();
        let newest: Vec<u64> = ids.iter().rev().take(kept).copied().collect();
        assert_eq!(listed, newest, "the newest closed orders are the ones kept, newest first");
    }

    async fn a_history_is_trimmed_whatever_the_pattern_of_its_order_ids(d) {
        let settings = EngineSettings { history_per_user: 20, ..EngineSettings::default() };
        let mut t = spawn_engine_with(d, settings).await;
        // 16 users in turn: each user's order ids share one residue modulo 16.
        for _ in 0..100 {
            for user in 1..=16 {
                market_order(Buy, "1").by(&t, user).await.unwrap();
            }
        }
        for user in 1..=16u64 {
            let key = format!("{{BTC/USD}}:user:{user}:closed");
            let kept: usize = redis::cmd("HLEN").arg(&key).query_async(&mut t.conn).await.unwrap();
            // Trimmed back to 20 once over 25; looked at often enough that at most a few closes pass between.
            assert!(kept < 40, "user {user} keeps {kept} of 100 closed orders with a cap of 20");
        }
    }

    async fn a_history_is_trimmed_whichever_ids_its_orders_get(d) {
        // A client who sees ids coming spends the ones the golden-ratio look passes on orders refused
        // or kept open, and closes only orders with the others: 2,000 closes here. Before, such a
        // history was never trimmed.
        let settings = EngineSettings { history_per_user: 20, ..EngineSettings::default() };
        let mut t = spawn_engine_with(d, settings).await;
        let market = t.engine.market(&sym()).unwrap().clone();
        let buy = t.engine.check(&market_order(Buy, "1").0).unwrap().1;
        let dodging = (1_000_000u64..).filter(|id| (*id as f64 * 0.618_033_988_749_894_9) % 1.0 >= 0.125);
        for id in dodging.take(2_000) {
            // A market order on an empty book is cancelled at once: a close.
            let batch = [backend::engine::BatchOrder { user_id: 1, id, order: &buy }];
            t.engine.place_batch(&market, &batch, common::time::now_ms()).await.unwrap()[0].as_ref().unwrap();
        }
        let fields: usize = redis::cmd("HLEN").arg("{BTC/USD}:user:1:closed").query_async(&mut t.conn).await.unwrap();
        // 25 at most after a trim, and a run of unlooked closes that passes 100 once in 600,000.
        assert!(fields - 1 <= 25 + 100, "{} of 2,000 closed orders kept with a cap of 20", fields - 1);
    }

    async fn a_full_market_refuses_an_order_that_would_rest_but_not_one_that_trades(d) {
        let settings = EngineSettings { max_resting_orders_per_market: 3, ..EngineSettings::default() };
        let t = spawn_engine_with(d, settings).await;
        let first = limit(Sell, "1", "101").by(&t, 1).await.unwrap().order;
        limit(Sell, "1", "102").by(&t, 2).await.unwrap();
        limit(Buy, "1", "99").by(&t, 3).await.unwrap();
        let full = limit(Buy, "1", "98").by(&t, 4).await;
        assert!(
            matches!(full, Err(EngineError::Conflict { code: "market_full", .. })),
            "a fourth resting order: {full:?}"
        );
        // Trading is not refused: a buy that fills one sell at once, and one that takes a sell and
        // rests its remainder (it traded, so it is not refused: the count stays at the cap).
        assert_eq!(limit(Buy, "0.5", "101").by(&t, 4).await.unwrap().order.status, OrderStatus::Filled);
        let rests = limit(Buy, "1", "101").by(&t, 4).await.unwrap().order;
        assert_eq!(rests.status, OrderStatus::PartiallyFilled);
        assert_eq!(t.engine.order(1, first.id).await.unwrap().status, OrderStatus::Filled);
        // A cancel makes room.
        t.engine.cancel(2, t.engine.orders(2, None, StatusFilter::Open, 10, None).await.unwrap()[0].id).await.unwrap();
        assert_eq!(limit(Sell, "1", "105").by(&t, 5).await.unwrap().order.status, OrderStatus::Open);
        assert!(matches!(limit(Sell, "1", "106").by(&t, 5).await, Err(EngineError::Conflict { code: "market_full", .. })));
    }

    async fn a_level_past_2_to_the_53_lots_keeps_its_total_exact(d) {
        // Lua's numbers hold 53 bits exactly; Redis and the events hold a level's total in 64.
        let t = spawn_engine(d).await;
        let huge = Symbol::parse("HUGE/HQ").unwrap();
        let order = |side, qty: u64, price: &str| {
            let mut r = limit(side, &qty.to_string(), price);
            r.0.symbol = huge.clone();
            r
        };
        let q = 9_007_199_254_740_001u64; // 2^53 - 991: three of them pass 2^53 by far
        let level_total = |placed: &backend::engine::Placed| placed.event.as_ref().unwrap().levels[0].2;
        let mut ids = Vec::new();
        for user in 1..=3u64 {
            let placed = order(Sell, q, "100").by(&t, user).await.unwrap();
            assert_eq!(level_total(&placed), user * q, "the resting order's event");
            ids.push(placed.order.id);
        }
        let book = t.engine.book(&huge, 1).await.unwrap();
        assert_eq!(book.asks[0].quantity, dec(&(3 * q).to_string()));
        // A buy of 1 lot (one maker fills it), then a cancel of the second order.
        let taker = order(Buy, 1, "100").by(&t, 9).await.unwrap();
        assert_eq!(level_total(&taker), 3 * q - 1, "the fill's event");
        let (_, event) = t.engine.cancel(2, ids[1]).await.unwrap();
        assert_eq!(event.levels[0].2, 2 * q - 1, "the cancel's event");
        // A sweep of most of it: several makers, the general path.
        let sweep = order(Buy, q + 5, "100").by(&t, 9).await.unwrap();
        assert_eq!(level_total(&sweep), q - 6, "the sweep's event");
        assert_eq!(t.engine.book(&huge, 1).await.unwrap().asks[0].quantity, dec(&(q - 6).to_string()));
    }

    async fn a_flushed_function_library_is_recovered_transparently(d) {
        let mut t = spawn_engine(d).await;
        limit(Sell, "1", "100").by(&t, 1).await.unwrap();
        let _: () = redis::cmd("FUNCTION").arg("FLUSH").query_async(&mut t.conn).await.unwrap();
        let taker = limit(Buy, "1", "100").by(&t, 2).await.unwrap().order;
        assert_eq!(taker.status, OrderStatus::Filled);
        assert_eq!(t.engine.book(&sym(), 10).await.unwrap().sequence, 2);
    }

    async fn listing_is_newest_first_and_filters_by_status_and_symbol(d) {
        let t = spawn_engine(d).await;
        let a = limit(Buy, "1", "99").by(&t, 1).await.unwrap().order;
        let b = market_order(Buy, "1").by(&t, 1).await.unwrap().order;
        let mut eth = limit(Buy, "1", "10");
        eth.0.symbol = Symbol::parse("ETH/USD").unwrap();
        let c = eth.by(&t, 1).await.unwrap().order;
        let ids = |v: Vec<common::Order>| v.into_iter().map(|o| o.id).collect::<Vec<_>>();
        assert_eq!(ids(t.engine.orders(1, None, StatusFilter::All, 100, None).await.unwrap()), vec![c.id, b.id, a.id]);
        assert_eq!(ids(t.engine.orders(1, None, StatusFilter::Open, 100, None).await.unwrap()), vec![c.id, a.id]);
        assert_eq!(ids(t.engine.orders(1, None, StatusFilter::Closed, 100, None).await.unwrap()), vec![b.id]);
        assert_eq!(ids(t.engine.orders(1, Some(&sym()), StatusFilter::All, 100, None).await.unwrap()), vec![b.id, a.id]);
        assert_eq!(ids(t.engine.orders(1, None, StatusFilter::All, 1, None).await.unwrap()), vec![c.id]);
        assert!(t.engine.orders(2, None, StatusFilter::All, 100, None).await.unwrap().is_empty());
    }

    async fn off_grid_and_malformed_orders_are_refused_before_redis(d) {
        let t = spawn_engine(d).await;
        let before = t.keyspace().await;
        for (req, code) in [
            (limit(Buy, "1", "100.001"), "price_not_on_tick"),
            (limit(Buy, "0.000000001", "100"), "invalid_quantity"),
            (limit(Buy, "0", "100"), "invalid_quantity"),
            (limit(Buy, "-1", "100"), "invalid_quantity"),
            (limit(Buy, "1", "0"), "invalid_price"),
            (limit(Buy, "1", "10000000.01"), "invalid_price"),
            (limit(Buy, "10001", "100"), "invalid_quantity"),
            (market_order(Buy, "1").post_only(), "validation_error"),
        ] {
            match req.by(&t, 1).await {
                Err(EngineError::Invalid { code: c, .. }) => assert_eq!(c, code),
                other => panic!("expected {code}, got {other:?}"),
            }
        }
        let mut no_price = limit(Buy, "1", "100");
        no_price.0.price = None;
        assert!(matches!(no_price.by(&t, 1).await, Err(EngineError::Invalid { code: "invalid_price", .. })));
        assert_eq!(before, t.keyspace().await, "nothing was written");
    }
}
