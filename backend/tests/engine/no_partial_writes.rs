//! Each script called directly with invalid arguments, or refused by a rule, leaves every key
//! byte-identical (compared with `DUMP`): all checks happen before the first write.

use backend::engine::{scripts, MarketKeys};
use common::{Side::*, Symbol};
use redis::Script;

use crate::helpers::*;

/// A valid one-order placement's keys and arguments; each case below spoils one thing.
/// ARGV: now, retention, fill cap, stream length, max open, history cap, then the order's
/// id, user, side, type, tif, post_only, price, quantity, client order id (index 6 + field).
fn place_args(id: &str, user: &str) -> (Vec<String>, Vec<String>) {
    let k = MarketKeys::new(&Symbol::parse(SYMBOL).unwrap());
    let uid: u64 = user.parse().unwrap_or(1);
    let keys = vec![
        k.seq(),
        k.bids(),
        k.asks(),
        k.depth_bids(),
        k.depth_asks(),
        k.trades(),
        k.user_open(uid),
        k.user_closed(uid),
        k.client_order_id(uid, ""),
    ];
    let args = ["1000", "60000", "1000", "1000", "500", "1000", id, user, "0", "0", "0", "0", "10000", "100", ""];
    (keys, args.iter().map(|s| s.to_string()).collect())
}

async fn call(t: &mut TestEngine, script: &Script, keys: &[String], args: &[String]) -> String {
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

async fn assert_writes_nothing(t: &mut TestEngine, what: &str, script: &Script, keys: &[String], args: &[String]) {
    let before = dump_keyspace(&mut t.conn).await;
    let reply = call(t, script, keys, args).await;
    assert!(
        reply.starts_with("error") || reply.contains("refused") || reply.contains("dup"),
        "{what}: expected a refusal, got {reply}"
    );
    assert_eq!(before, dump_keyspace(&mut t.conn).await, "{what} wrote something ({reply})");
}

#[tokio::test]
async fn every_script_refusing_its_arguments_leaves_every_key_byte_identical() {
    let mut t = spawn_engine().await;
    // A book with resting orders on both sides, a partial fill and a closed order to be touched.
    limit(Sell, "1", "101").cid("held").by(&t, 1).await.unwrap();
    limit(Sell, "1", "102").by(&t, 2).await.unwrap();
    limit(Buy, "1", "99").by(&t, 2).await.unwrap();
    let filled = limit(Buy, "0.5", "101").by(&t, 3).await.unwrap().order;
    let resting = limit(Buy, "1", "98").by(&t, 1).await.unwrap().order;

    let place = &*scripts::PLACE_ORDERS;
    let spoil = |i: usize, v: &str| {
        let (keys, mut args) = place_args("900", "1");
        args[i] = v.to_string();
        (keys, args)
    };
    let cases: Vec<(&str, (Vec<String>, Vec<String>))> = vec![
        ("order id not a number", spoil(6, "abc")),
        ("order id zero", spoil(6, "0")),
        ("user id negative", spoil(7, "-1")),
        ("side out of range", spoil(8, "2")),
        ("type out of range", spoil(9, "7")),
        ("tif out of range", spoil(10, "3")),
        ("post_only not a flag", spoil(11, "yes")),
        ("fractional price", spoil(12, "100.5")),
        ("price above 2^53", spoil(12, "9007199254740993")),
        ("limit without price", spoil(12, "0")),
        ("zero quantity", spoil(13, "0")),
        ("fractional quantity", spoil(13, "2.5")),
        ("huge quantity", spoil(13, "1e300")),
        ("hex order id", spoil(6, "0x")),
        ("client order id breaking keys", spoil(14, "a}{b")),
        ("client order id too long", spoil(14, &"x".repeat(65))),
        ("fill cap zero", spoil(2, "0")),
        ("fill cap above the bound", spoil(2, "5000")),
        ("missing arguments", {
            let (keys, args) = place_args("900", "1");
            (keys, args[..12].to_vec())
        }),
        ("post_only crossing", {
            let (keys, mut args) = place_args("900", "1");
            args[11] = "1".into();
            args[12] = "10100".into();
            (keys, args)
        }),
        ("too many open orders", {
            let (keys, mut args) = place_args("900", "1");
            args[4] = "2".into();
            (keys, args)
        }),
        ("repeated client order id", {
            let (mut keys, mut args) = place_args("900", "1");
            keys[8] = MarketKeys::new(&Symbol::parse(SYMBOL).unwrap()).client_order_id(1, "held");
            args[14] = "held".into();
            (keys, args)
        }),
    ];
    for (what, (keys, args)) in &cases {
        assert_writes_nothing(&mut t, what, place, keys, args).await;
    }

    let k = MarketKeys::new(&Symbol::parse(SYMBOL).unwrap());
    let cancel = &*scripts::CANCEL_ORDER;
    let cancel_keys = |user: u64| vec![k.seq(), k.user_open(user), k.user_closed(user)];
    let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (rid, fid) = (resting.id.to_string(), filled.id.to_string());
    for (what, user, a) in [
        ("cancel: id not a number", 1, args(&["x", "1", "1000", "60000", "1000"])),
        ("cancel: no such order", 1, args(&["123456", "1", "1000", "60000", "1000"])),
        ("cancel: someone else's order", 2, args(&[&rid, "2", "1000", "60000", "1000"])),
        ("cancel: filled order", 3, args(&[&fid, "3", "1000", "60000", "1000"])),
        ("cancel: retention zero", 1, args(&[&rid, "1", "1000", "0", "1000"])),
        ("cancel: missing arguments", 1, args(&[&rid, "1"])),
    ] {
        assert_writes_nothing(&mut t, what, cancel, &cancel_keys(user), &a).await;
    }

    let cancel_all = &*scripts::CANCEL_ALL;
    let all_keys = vec![k.seq(), k.user_open(1), k.user_closed(1)];
    for (what, a) in [
        ("cancel_all: user not a number", args(&["one", "1000", "60000", "1000"])),
        ("cancel_all: missing arguments", args(&["1"])),
    ] {
        assert_writes_nothing(&mut t, what, cancel_all, &all_keys, &a).await;
    }

    let book_keys = vec![k.seq(), k.bids(), k.asks(), k.depth_bids(), k.depth_asks()];
    assert_writes_nothing(&mut t, "snapshot: depth zero", &scripts::BOOK_SNAPSHOT, &book_keys, &args(&["0"])).await;
    let get_keys = [k.seq(), k.user_closed(1)];
    assert_writes_nothing(&mut t, "get: bad id", &scripts::GET_ORDERS, &get_keys, &args(&["1", "1000", "60000", "1", "x"])).await;
    assert_writes_nothing(&mut t, "list: bad filter", &scripts::LIST_ORDERS, &all_keys, &args(&["some", "10", "1", "1000", "60000"])).await;
    // A batch whose second order is malformed writes nothing for the first either.
    let (mut keys, mut batch) = place_args("901", "1");
    let (second_keys, second) = place_args("902", "1");
    keys.extend_from_slice(&second_keys[6..]);
    batch.extend_from_slice(&second[6..]);
    let last = batch.len() - 2;
    batch[last] = "0".into();
    assert_writes_nothing(&mut t, "batch with a bad second order", place, &keys, &batch).await;
}
