//! Each script called directly with invalid arguments, or refused by a rule, leaves every key
//! byte-identical (compared with `DUMP`): all checks happen before the first write.

use backend::engine::{scripts, MarketKeys};
use common::{Side::*, Symbol};
use redis::Script;

use crate::helpers::*;

/// A valid placement's keys and arguments; each case below spoils one thing.
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
        k.open_bucket(id.parse().unwrap_or(1)),
        k.user_open(uid),
        k.user_closed(uid),
        k.client_order_id(uid, ""),
    ];
    // id, user, side, type, tif, post_only, price, qty, cid, now, retention, max fills, stream len, max open, history
    let args = [id, user, "0", "0", "0", "0", "10000", "100", "", "1000", "60000", "1000", "1000", "500", "1000"];
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

    let place = &*scripts::PLACE_ORDER;
    let spoil = |i: usize, v: &str| {
        let (keys, mut args) = place_args("900", "1");
        args[i] = v.to_string();
        (keys, args)
    };
    let cases: Vec<(&str, (Vec<String>, Vec<String>))> = vec![
        ("order id not a number", spoil(0, "abc")),
        ("order id zero", spoil(0, "0")),
        ("user id negative", spoil(1, "-1")),
        ("side out of range", spoil(2, "2")),
        ("type out of range", spoil(3, "7")),
        ("tif out of range", spoil(4, "3")),
        ("post_only not a flag", spoil(5, "yes")),
        ("fractional price", spoil(6, "100.5")),
        ("price above 2^53", spoil(6, "9007199254740993")),
        ("limit without price", spoil(6, "0")),
        ("zero quantity", spoil(7, "0")),
        ("fractional quantity", spoil(7, "2.5")),
        ("huge quantity", spoil(7, "1e300")),
        ("hex order id", spoil(0, "0x")),
        ("client order id breaking keys", spoil(8, "a}{b")),
        ("client order id too long", spoil(8, &"x".repeat(65))),
        ("fill cap zero", spoil(11, "0")),
        ("fill cap above the bound", spoil(11, "5000")),
        ("missing arguments", {
            let (keys, args) = place_args("900", "1");
            (keys, args[..9].to_vec())
        }),
        ("post_only crossing", {
            let (keys, mut args) = place_args("900", "1");
            args[5] = "1".into();
            args[6] = "10100".into();
            (keys, args)
        }),
        ("too many open orders", {
            let (keys, mut args) = place_args("900", "1");
            args[13] = "2".into();
            (keys, args)
        }),
        ("repeated client order id", {
            let (mut keys, mut args) = place_args("900", "1");
            keys[9] = MarketKeys::new(&Symbol::parse(SYMBOL).unwrap()).client_order_id(1, "held");
            args[8] = "held".into();
            (keys, args)
        }),
    ];
    for (what, (keys, args)) in &cases {
        assert_writes_nothing(&mut t, what, place, keys, args).await;
    }

    let k = MarketKeys::new(&Symbol::parse(SYMBOL).unwrap());
    let cancel = &*scripts::CANCEL_ORDER;
    let cancel_keys = |id: u64| vec![k.seq(), k.open_bucket(id), k.closed(id)];
    let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (rid, fid) = (resting.id.to_string(), filled.id.to_string());
    for (what, id, a) in [
        ("cancel: id not a number", resting.id, args(&["x", "1", "1000", "60000", "1000"])),
        ("cancel: no such order", 123_456, args(&["123456", "1", "1000", "60000", "1000"])),
        ("cancel: someone else's order", resting.id, args(&[&rid, "2", "1000", "60000", "1000"])),
        ("cancel: filled order", filled.id, args(&[&fid, "3", "1000", "60000", "1000"])),
        ("cancel: retention zero", resting.id, args(&[&rid, "1", "1000", "0", "1000"])),
        ("cancel: missing arguments", resting.id, args(&[&rid, "1"])),
    ] {
        assert_writes_nothing(&mut t, what, cancel, &cancel_keys(id), &a).await;
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
    assert_writes_nothing(&mut t, "get: bad id", &scripts::GET_ORDERS, &[k.seq()], &args(&["1", "x"])).await;
    assert_writes_nothing(&mut t, "list: bad filter", &scripts::LIST_ORDERS, &all_keys, &args(&["some", "10"])).await;
}
