//! Each script called directly with invalid arguments, or refused by a rule, leaves every key
//! byte-identical (compared with `DUMP`): all checks happen before the first write.

use backend::engine::library::{self, Function};
use backend::engine::{wire, MarketKeys};
use common::{Side::*, Symbol};

use crate::helpers::*;

/// A packed order argument with any field values (out-of-range ones included), as `place_orders` reads it.
#[allow(clippy::too_many_arguments)]
fn packed(
    id: u64,
    user: u64,
    side: u64,
    otype: u64,
    tif: u64,
    post_only: u64,
    price: u64,
    qty: u64,
    cid: &str,
) -> Vec<u8> {
    let mut out = Vec::new();
    wire::ORDER_ARG.pack(&[id, user, side, otype, tif, post_only, price, qty, 0, 0], &mut out);
    out.extend_from_slice(cid.as_bytes());
    out
}

/// A packed stop order argument: `packed`'s, then the stop's tail (`wire::STOP_TAIL`).
#[allow(clippy::too_many_arguments)]
fn packed_stop(id: u64, user: u64, side: u64, otype: u64, tif: u64, price: u64, qty: u64, stop: u64) -> Vec<u8> {
    let mut out = packed(id, user, side, otype, tif, 0, price, qty, "");
    wire::STOP_TAIL.pack(&[u64::from(wire::STOP_TAG), stop], &mut out);
    out
}

/// A valid one-order placement's keys and arguments (settings, then one packed order); each case below
/// spoils one thing. Settings: now, retention, fill cap, stream length, max open, history cap, resting
/// cap, units per lot and per tick x lot, maker and taker fee rates (millionths), fills kept, stops
/// placed per call.
fn place_args(order: Vec<u8>) -> (Vec<String>, Vec<Vec<u8>>) {
    let k = MarketKeys::new(&Symbol::parse(SYMBOL).unwrap());
    let keys = vec![k.seq(), k.bids(), k.asks(), k.trades()];
    let mut args: Vec<Vec<u8>> =
        ["1000", "60000", "1000", "1000", "500", "1000", "1000000", "1", "1", "1000", "2000", "2000", "50"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
    args.push(order);
    (keys, args)
}

fn good(price: u64) -> Vec<u8> {
    packed(900, 1, 0, 0, 0, 0, price, 100, "")
}

async fn call<A: redis::ToRedisArgs>(t: &mut TestEngine, script: &Function, keys: &[String], args: &[A]) -> String {
    let mut inv = script.prepare_invoke();
    for k in keys {
        inv.key(k);
    }
    for a in args {
        inv.arg(a);
    }
    match inv.invoke_async::<redis::Value>(&mut t.conn).await {
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("error: {e}"),
    }
}

async fn assert_writes_nothing<A: redis::ToRedisArgs>(
    t: &mut TestEngine,
    what: &str,
    script: &Function,
    keys: &[String],
    args: &[A],
) {
    let before = t.keyspace().await;
    let reply = call(t, script, keys, args).await;
    assert!(
        reply.starts_with("error") || reply.contains("refused") || reply.contains("dup"),
        "{what}: expected a refusal, got {reply}"
    );
    assert_eq!(before, t.keyspace().await, "{what} wrote something ({reply})");
}

on_every_deployment! {
    async fn every_script_refusing_its_arguments_leaves_every_key_byte_identical(d) {
        let mut t = spawn_engine(d).await;
        // A book with resting orders on both sides, a partial fill and a closed order to be touched.
        limit(Sell, "1", "101").cid("held").by(&t, 1).await.unwrap();
        limit(Sell, "1", "102").by(&t, 2).await.unwrap();
        limit(Buy, "1", "99").by(&t, 2).await.unwrap();
        let filled = limit(Buy, "0.5", "101").by(&t, 3).await.unwrap().order;
        let resting = limit(Buy, "1", "98").by(&t, 1).await.unwrap().order;

        let place = &library::PLACE_ORDERS;
        // A level holding nearly 2^62 lots (512 orders of nearly 2^53, from as many users, in one call):
        // one more order there would pass the bound on level totals. (Each buy holds about 2^53 units of
        // quote.)
        let sym = Symbol::parse(SYMBOL).unwrap();
        t.fund_many(&sym, &(1001..1512).collect::<Vec<_>>(), 0, 1 << 54).await;
        let (keys, mut args) = place_args(packed(800, 1000, 0, 0, 0, 0, 1, (1 << 53) - 60, ""));
        for n in 1..512 {
            args.push(packed(800 + n, 1000 + n, 0, 0, 0, 0, 1, (1 << 53) - 1, ""));
        }
        let reply = call(&mut t, place, &keys, &args).await;
        assert!(reply.contains("ok") && !reply.contains("refused"), "{reply}");
        let setting = |i: usize, v: &str| {
            let (keys, mut args) = place_args(good(10_000));
            args[i] = v.as_bytes().to_vec();
            (keys, args)
        };
        let max = 1u64 << 56;
        type Call = (Vec<String>, Vec<Vec<u8>>);
        let cases: Vec<(&str, Call)> = vec![
            ("order id zero", place_args(packed(0, 1, 0, 0, 0, 0, 10_000, 100, ""))),
            ("order id above 2^53", place_args(packed(max - 1, 1, 0, 0, 0, 0, 10_000, 100, ""))),
            ("user id zero", place_args(packed(900, 0, 0, 0, 0, 0, 10_000, 100, ""))),
            ("side out of range", place_args(packed(900, 1, 2, 0, 0, 0, 10_000, 100, ""))),
            ("type out of range", place_args(packed(900, 1, 0, 7, 0, 0, 10_000, 100, ""))),
            ("tif out of range", place_args(packed(900, 1, 0, 0, 3, 0, 10_000, 100, ""))),
            ("post_only not a flag", place_args(packed(900, 1, 0, 0, 0, 9, 10_000, 100, ""))),
            ("limit without price", place_args(packed(900, 1, 0, 0, 0, 0, 0, 100, ""))),
            ("market with a price", place_args(packed(900, 1, 0, 1, 1, 0, 10_000, 100, ""))),
            ("market post_only", place_args(packed(900, 1, 0, 1, 1, 1, 0, 100, ""))),
            ("zero quantity", place_args(packed(900, 1, 0, 0, 0, 0, 10_000, 0, ""))),
            ("quantity above 2^53", place_args(packed(900, 1, 0, 0, 0, 0, 10_000, max - 1, ""))),
            ("client order id breaking keys", place_args(packed(900, 1, 0, 0, 0, 0, 10_000, 100, "a}{b"))),
            ("client order id too long", place_args(packed(900, 1, 0, 0, 0, 0, 10_000, 100, &"x".repeat(65)))),
            ("truncated order", place_args(b"abc".to_vec())),
            ("now not a number", setting(0, "soon")),
            ("retention zero", setting(1, "0")),
            ("fill cap zero", setting(2, "0")),
            ("fill cap above the bound", setting(2, "5000")),
            ("fractional stream length", setting(3, "2.5")),
            ("huge history cap", setting(5, "1e300")),
            ("no units per lot", setting(7, "0")),
            ("no units per tick x lot", setting(8, "")),
            ("a maker fee rate of -100 %", setting(9, "-1000000")),
            ("a negative taker fee rate", setting(10, "-1")),
            ("no fills kept", setting(11, "0")),
            ("stops per call above the bound", setting(12, "10001")),
            ("a stop price of zero", place_args(packed_stop(900, 1, 0, 1, 1, 0, 100, 0))),
            ("a stop price above 2^53", place_args(packed_stop(900, 1, 0, 1, 1, 0, 100, max - 1))),
            // (The last trade was at 101.00: 10,100 ticks.)
            ("a buy stop the last trade reached", place_args(packed_stop(900, 1, 0, 1, 1, 0, 100, 10_100))),
            ("a sell stop the last trade reached", place_args(packed_stop(900, 1, 1, 0, 0, 9_000, 100, 10_100))),
            ("a sell stop its owner cannot cover", place_args(packed_stop(900, 777, 1, 1, 1, 0, 100, 9_000))),
            ("a stop with a market buy's budget", {
                let mut order = packed_stop(900, 1, 0, 1, 1, 0, 100, 10_500);
                order[28] = 1; // (the budget's low 32 bits: ORDER_ARG's 9th field, at byte 28)
                place_args(order)
            }),
            ("no order", {
                let (keys, args) = place_args(good(10_000));
                (keys, args[..13].to_vec())
            }),
            ("keys missing", {
                let (keys, args) = place_args(good(10_000));
                (keys[..3].to_vec(), args)
            }),
            ("post_only crossing", place_args(packed(900, 1, 0, 0, 0, 1, 10_100, 100, ""))),
            ("too many open orders", setting(4, "2")),
            ("a full market", setting(6, "4")),
            ("resting cap zero", setting(6, "0")),
            ("a level that would pass 2^62 lots", place_args(packed(1402, 1, 0, 0, 0, 0, 1, (1 << 53) - 1, ""))),
            ("repeated client order id", place_args(packed(900, 1, 0, 0, 0, 0, 10_000, 100, "held"))),
            ("a buy its owner cannot pay for", place_args(packed(900, 777, 0, 0, 0, 0, 10_000, 100, ""))),
            ("a sell of more than its owner has", place_args(packed(900, 777, 1, 0, 0, 0, 10_000, 100, ""))),
            ("a market buy with no quote", place_args(packed(900, 777, 0, 1, 1, 0, 0, 100, ""))),
            ("a batch whose second order is malformed", {
                let (keys, mut args) = place_args(good(10_000));
                args.push(packed(901, 1, 0, 0, 0, 0, 0, 100, ""));
                (keys, args)
            }),
        ];
        for (what, (keys, args)) in &cases {
            assert_writes_nothing(&mut t, what, place, keys, args).await;
        }
        // (That refusal was the level's: its check is the INCRBY's result, undone.)
        let (keys, args) = place_args(packed(1402, 1, 0, 0, 0, 0, 1, (1 << 53) - 1, ""));
        assert!(call(&mut t, place, &keys, &args).await.contains("level_full"));

        let k = MarketKeys::new(&Symbol::parse(SYMBOL).unwrap());
        let cancel = &library::CANCEL_ORDER;
        let cancel_keys = |user: u64| vec![k.seq(), k.user_open(user), k.user_closed(user)];
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (rid, fid) = (resting.id.to_string(), filled.id.to_string());
        for (what, user, a) in [
            ("cancel: id not a number", 1, args(&["1", "1000", "60000", "1000", "64", "x", "1", "1"])),
            ("cancel: no such order", 1, args(&["1", "1000", "60000", "1000", "64", "123456", "1", "1"])),
            ("cancel: someone else's order", 2, args(&["2", "1000", "60000", "1000", "64", &rid, "1", "1"])),
            ("cancel: filled order", 3, args(&["3", "1000", "60000", "1000", "64", &fid, "1", "1"])),
            ("cancel: retention zero", 1, args(&["1", "1000", "0", "1000", "64", &rid, "1", "1"])),
            ("cancel: sweep step zero", 1, args(&["1", "1000", "60000", "1000", "0", &rid, "1", "1"])),
            ("cancel: sweep step above the bound", 1, args(&["1", "1000", "60000", "1000", "1001", &rid, "1", "1"])),
            ("cancel: no units", 1, args(&["1", "1000", "60000", "1000", "64", &rid])),
            ("cancel: missing arguments", 1, args(&["1", "1000"])),
        ] {
            assert_writes_nothing(&mut t, what, cancel, &cancel_keys(user), &a).await;
        }

        let cancel_all = &library::CANCEL_ALL;
        let all_keys = vec![k.seq(), k.user_open(1), k.user_closed(1)];
        for (what, a) in [
            ("cancel_all: user not a number", args(&["one", "1000", "60000", "1000", "64", "1", "1"])),
            ("cancel_all: sweep step zero", args(&["1", "1000", "60000", "1000", "0", "1", "1"])),
            ("cancel_all: no units", args(&["1", "1000", "60000", "1000", "64"])),
            ("cancel_all: missing arguments", args(&["1"])),
        ] {
            assert_writes_nothing(&mut t, what, cancel_all, &all_keys, &a).await;
        }

        let book_keys = vec![k.seq(), k.bids(), k.asks()];
        assert_writes_nothing(&mut t, "snapshot: depth zero", &library::BOOK_SNAPSHOT, &book_keys, &args(&["0"])).await;
        let get_keys = [k.seq(), k.user_closed(1)];
        assert_writes_nothing(
            &mut t,
            "get: bad id",
            &library::GET_ORDERS,
            &get_keys,
            &args(&["1", "1000", "60000", "1", "x"]),
        )
        .await;
        assert_writes_nothing(
            &mut t,
            "list: bad filter",
            &library::LIST_ORDERS,
            &all_keys,
            &args(&["some", "10", "1", "1000", "60000"]),
        )
        .await;
    }
}
