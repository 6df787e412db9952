//! One test per sentence of the contract's "Changing an order", against a real `redis-server` and a
//! Cluster; and each amend refused, by a rule or for its arguments, leaves every key byte-identical.

use backend::engine::library;
use backend::engine::{Amended, EngineError, MarketKeys};
use common::{OrderChange, OrderStatus, Side::*, Symbol};

use crate::helpers::*;

fn sym() -> Symbol {
    Symbol::parse(SYMBOL).unwrap()
}

fn change(quantity: Option<&str>, price: Option<&str>) -> OrderChange {
    OrderChange { quantity: quantity.map(dec), price: price.map(dec) }
}

async fn amend(
    t: &TestEngine,
    user: u64,
    id: u64,
    quantity: Option<&str>,
    price: Option<&str>,
) -> Result<Amended, EngineError> {
    t.engine.amend(user, id, &change(quantity, price)).await
}

/// The makers a taker met, in order.
fn makers(order: &common::Order) -> Vec<u64> {
    order.trades.as_ref().unwrap().iter().map(|t| t.maker_order_id).collect()
}

/// Every key but the global order id counter, which a change moves before it is judged (its trades may
/// need an id), as a placement refused by a rule does.
async fn market_keys(t: &TestEngine) -> Vec<KeyDump> {
    t.keyspace().await.into_iter().filter(|k| k.key != "next_order_id").collect()
}

async fn seq(t: &TestEngine) -> u64 {
    t.engine.book(&sym(), 1).await.unwrap().sequence
}

on_every_deployment! {
    async fn a_lower_quantity_keeps_the_orders_place_in_its_queue(d) {
        let t = spawn_engine(d).await;
        let a = limit(Sell, "2", "100").by(&t, 1).await.unwrap().order;
        let b = limit(Sell, "2", "100").by(&t, 2).await.unwrap().order;
        let before = seq(&t).await;
        let amended = amend(&t, 1, a.id, Some("1"), None).await.unwrap();
        assert_eq!((amended.order.id, amended.order.quantity, amended.order.remaining_quantity), (a.id, dec("1"), dec("1")));
        assert_eq!(amended.event.seq, before + 1, "one sequence number per change");
        assert_eq!(seq(&t).await, before + 1);
        assert_eq!(t.engine.book(&sym(), 1).await.unwrap().asks[0].quantity, dec("3"));
        let taker = limit(Buy, "1.5", "100").by(&t, 3).await.unwrap().order;
        assert_eq!(makers(&taker), vec![a.id, b.id], "still first in its queue");
    }

    async fn a_higher_quantity_moves_the_order_to_the_back_with_its_id(d) {
        let t = spawn_engine(d).await;
        let a = limit(Sell, "1", "100").by(&t, 1).await.unwrap().order;
        let b = limit(Sell, "1", "100").by(&t, 2).await.unwrap().order;
        let amended = amend(&t, 1, a.id, Some("2"), None).await.unwrap();
        assert_eq!((amended.order.id, amended.order.quantity), (a.id, dec("2")));
        let book = t.engine.book(&sym(), 1).await.unwrap();
        assert_eq!((book.asks[0].quantity, book.asks[0].order_count), (dec("3"), 2));
        let taker = limit(Buy, "1.5", "100").by(&t, 3).await.unwrap().order;
        assert_eq!(makers(&taker), vec![b.id, a.id], "behind the order that was after it");
    }

    async fn a_new_price_moves_the_order_to_the_back_of_its_new_level(d) {
        let t = spawn_engine(d).await;
        let a = limit(Buy, "1", "99").by(&t, 1).await.unwrap().order;
        let b = limit(Buy, "1", "100").by(&t, 2).await.unwrap().order;
        let amended = amend(&t, 1, a.id, None, Some("100")).await.unwrap();
        assert_eq!(amended.order.price, Some(dec("100")));
        assert_eq!(amended.order.created_at, a.created_at, "created when it was placed");
        let book = t.engine.book(&sym(), 5).await.unwrap();
        assert_eq!(book.bids.len(), 1, "its old level is gone");
        assert_eq!((book.bids[0].price, book.bids[0].order_count), (dec("100"), 2));
        let taker = limit(Sell, "2", "100").by(&t, 3).await.unwrap().order;
        assert_eq!(makers(&taker), vec![b.id, a.id]);
    }

    async fn a_crossing_new_price_matches_at_once_like_a_new_order(d) {
        let t = spawn_engine(d).await;
        let ask = limit(Sell, "1", "101").by(&t, 1).await.unwrap().order;
        let bid = limit(Buy, "2", "99").by(&t, 2).await.unwrap().order;
        let earlier = limit(Buy, "0.1", "101").by(&t, 3).await.unwrap().order;
        let before = seq(&t).await;
        let amended = amend(&t, 2, bid.id, None, Some("102")).await.unwrap();
        let order = &amended.order;
        assert_eq!((order.id, order.status), (bid.id, OrderStatus::PartiallyFilled));
        assert_eq!((order.filled_quantity, order.remaining_quantity), (dec("0.9"), dec("1.1")));
        let trades = order.trades.as_ref().unwrap();
        assert_eq!(trades.len(), 1);
        assert_eq!((trades[0].price, trades[0].maker_order_id, trades[0].taker_order_id), (dec("101"), ask.id, bid.id));
        let earlier_trade = earlier.trades.as_ref().unwrap()[0].id;
        assert!(trades[0].id > earlier_trade, "a trade id of its own, newer than every trade before");
        assert_eq!(amended.event.seq, before + 1);
        let book = t.engine.book(&sym(), 5).await.unwrap();
        assert!(book.asks.is_empty());
        assert_eq!((book.bids[0].price, book.bids[0].quantity), (dec("102"), dec("1.1")));
        // The move kept what it had filled: a later change sees it.
        let err = amend(&t, 2, bid.id, Some("0.9"), None).await.unwrap_err();
        assert!(matches!(err, EngineError::Invalid { code: "invalid_quantity", .. }), "{err:?}");
        let fills = t.engine.fills(t.engine.market(&sym()).unwrap(), 2, None, 10).await.unwrap();
        assert_eq!(fills.iter().map(|f| f.trade.id).collect::<Vec<_>>(), vec![trades[0].id]);
    }

    async fn a_post_only_order_that_would_cross_is_refused_and_stays_as_it_was(d) {
        let t = spawn_engine(d).await;
        limit(Sell, "1", "101").by(&t, 1).await.unwrap();
        let bid = limit(Buy, "1", "99").post_only().by(&t, 2).await.unwrap().order;
        let before = market_keys(&t).await;
        let err = amend(&t, 2, bid.id, Some("2"), Some("101")).await.unwrap_err();
        assert!(matches!(err, EngineError::Conflict { code: "post_only_would_cross", .. }), "{err:?}");
        assert_eq!(before, market_keys(&t).await, "nothing written");
        let amended = amend(&t, 2, bid.id, None, Some("100.99")).await.unwrap();
        assert_eq!(amended.order.price, Some(dec("100.99")));
    }

    async fn the_lock_follows_the_change_and_a_change_not_covered_changes_nothing(d) {
        let t = spawn_bare_engine(d, Default::default()).await;
        let units = t.engine.markets().units(&sym()).unwrap();
        // 100 USD of quote units: a bid of 1 BTC at 60 locks 60 of it.
        let hundred = 100 * 100 * units.quote_per_notional * 100_000_000;
        t.fund_many(&sym(), &[1], 0, hundred).await;
        let bid = limit(Buy, "1", "60").by(&t, 1).await.unwrap().order;
        assert_eq!(t.account(&sym(), 1).await.quote_locked, u128::from(hundred) * 60 / 100);
        amend(&t, 1, bid.id, None, Some("40")).await.unwrap();
        assert_eq!(t.account(&sym(), 1).await.quote_locked, u128::from(hundred) * 40 / 100);
        amend(&t, 1, bid.id, Some("0.5"), None).await.unwrap();
        assert_eq!(t.account(&sym(), 1).await.quote_locked, u128::from(hundred) * 20 / 100);
        // Its present lock counts: 1 BTC at 100 takes every unit, and 1 at 100.01 one too many.
        let before = market_keys(&t).await;
        let err = amend(&t, 1, bid.id, Some("1"), Some("100.01")).await.unwrap_err();
        assert!(matches!(err, EngineError::Invalid { code: "insufficient_funds", .. }), "{err:?}");
        assert_eq!(before, market_keys(&t).await, "nothing written");
        amend(&t, 1, bid.id, Some("1"), Some("100")).await.unwrap();
        let account = t.account(&sym(), 1).await;
        assert_eq!((account.quote_free, account.quote_locked), (0, u128::from(hundred)));
    }

    async fn only_the_callers_open_orders_change_and_each_refusal_writes_nothing(d) {
        let t = spawn_engine(d).await;
        let mine = limit(Sell, "2", "100").by(&t, 1).await.unwrap().order;
        limit(Buy, "0.5", "100").by(&t, 2).await.unwrap();
        let gone = limit(Buy, "1", "90").by(&t, 1).await.unwrap().order;
        t.engine.cancel(1, gone.id).await.unwrap();
        let before = market_keys(&t).await;
        // (What, by whom, of which order, to what quantity and price, refused with which code.)
        type Case<'a> = (&'a str, u64, u64, Option<&'a str>, Option<&'a str>, &'a str);
        let cases: [Case; 5] = [
            ("another user's order", 2, mine.id, Some("1"), None, "not_found"),
            ("an order that never was", 1, 999_999, Some("1"), None, "not_found"),
            ("a cancelled order", 1, gone.id, Some("2"), None, "order_not_open"),
            ("a quantity not above what has filled", 1, mine.id, Some("0.5"), None, "invalid_quantity"),
            ("a quantity below what has filled", 1, mine.id, Some("0.1"), Some("101"), "invalid_quantity"),
        ];
        for (what, user, id, quantity, price, code) in cases {
            let got = match amend(&t, user, id, quantity, price).await {
                Err(EngineError::NotFound) => "not_found",
                Err(EngineError::Conflict { code, .. } | EngineError::Invalid { code, .. }) => code,
                other => panic!("{what}: {other:?}"),
            };
            assert_eq!(got, code, "{what}");
            assert_eq!(before, market_keys(&t).await, "{what} wrote something");
        }
        // Off the grid, out of bounds, or nothing to change: refused before Redis.
        for (what, quantity, price, code) in [
            ("no field", None, None, "validation_error"),
            ("a quantity off the lot", Some("1.000000001"), None, "quantity_not_on_lot"),
            ("a price off the tick", None, Some("100.001"), "price_not_on_tick"),
            ("a zero quantity", Some("0"), None, "invalid_quantity"),
            ("a negative price", None, Some("-1"), "invalid_price"),
        ] {
            let err = amend(&t, 1, mine.id, quantity, price).await.unwrap_err();
            assert!(matches!(err, EngineError::Invalid { code: c, .. } if c == code), "{what}: {err:?}");
        }
        assert_eq!(before, market_keys(&t).await);
        // The same quantity and price: the order as it is, no sequence taken.
        let seq_before = seq(&t).await;
        let now = t.engine.order(1, mine.id).await.unwrap();
        let same = amend(&t, 1, mine.id, Some("2"), Some("100")).await.unwrap();
        assert!(!same.event.book_changed);
        assert_eq!((same.order.updated_at.clone(), seq(&t).await), (now.updated_at.clone(), seq_before));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let changed = amend(&t, 1, mine.id, Some("1.5"), None).await.unwrap();
        assert_ne!(changed.order.updated_at, now.updated_at, "a change is the order's update");
    }

    async fn the_amend_script_refusing_its_arguments_writes_nothing(d) {
        let mut t = spawn_engine(d).await;
        let mine = limit(Sell, "2", "100").by(&t, 1).await.unwrap().order;
        let k = MarketKeys::new(&sym());
        let keys = vec![k.seq(), k.bids(), k.asks(), k.trades()];
        let settings = ["1000", "60000", "1000", "1000", "500", "1000", "1000000", "1", "1", "1000", "2000", "2000", "50"];
        let id = mine.id.to_string();
        let with = |tail: &[&str]| settings.iter().chain(tail).map(|s| s.to_string()).collect::<Vec<_>>();
        for (what, args) in [
            ("no new quantity or price", with(&["1", &id, "0", "0", "777"])),
            ("a negative quantity", with(&["1", &id, "-5", "0", "777"])),
            ("a price not a number", with(&["1", &id, "0", "abc", "777"])),
            ("no trade id", with(&["1", &id, "100", "0", "0"])),
            ("user id zero", with(&["0", &id, "100", "0", "777"])),
            ("missing arguments", with(&["1", &id])),
        ] {
            let before = t.keyspace().await;
            let mut inv = library::AMEND_ORDER.prepare_invoke();
            for key in &keys {
                inv.key(key);
            }
            for a in &args {
                inv.arg(a);
            }
            let reply = inv.invoke_async::<redis::Value>(&mut t.conn).await;
            assert!(reply.is_err(), "{what}: {reply:?}");
            assert_eq!(before, t.keyspace().await, "{what} wrote something");
        }
    }
}
