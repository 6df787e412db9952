//! Transfers between a user's wallet and their sub-accounts (docs/funds.md, "Transfers"): funds move,
//! balances count them once wherever they are, and a transfer cut short after any of its steps is
//! finished exactly once, by two reconcilers racing each other, while stale replays of its steps
//! change nothing.

use std::time::Duration;

use backend::config::FundsSettings;
use backend::engine::library::{MOVE_FUNDS, TRANSFER_FINISH, TRANSFER_START};
use backend::engine::MarketKeys;
use backend::funds::{Direction, Funds, Units};
use backend::redis::RedisPool;
use common::{Dec, Market};
use redis::Value;
use testkit::on_every_deployment;

use crate::helpers::*;

fn funds(t: &TestEngine) -> Funds<RedisPool> {
    Funds::new(t.engine.clone(), FundsSettings::default())
}

fn market(t: &TestEngine, symbol: &str) -> Market {
    t.engine.markets().all().iter().find(|m| m.symbol.as_str() == symbol).unwrap().clone()
}

/// The user's (free, locked) of an asset, as decimal text.
async fn balance(f: &Funds<RedisPool>, user: u64, asset: &str) -> (String, String) {
    let b = f.balances(user).await.unwrap().into_iter().find(|b| b.asset == asset).unwrap();
    (b.free.to_string(), b.locked.to_string())
}

async fn wallet(t: &TestEngine, user: u64, asset: &str) -> String {
    let mut conn = t.conn.clone();
    let v: Option<String> =
        redis::cmd("HGET").arg(format!("{{u:{user}}}:wallet")).arg(asset).query_async(&mut conn).await.unwrap();
    v.unwrap_or_else(|| "0".into())
}

async fn usd(f: &Funds<RedisPool>, user: u64, amount: &str) {
    let asset = f.asset("USD").unwrap().clone();
    let units = asset.units_of(Dec::parse(amount).unwrap()).unwrap();
    f.deposit(user, &asset, units, &format!("seed-{user}-{amount}")).await.unwrap();
}

on_every_deployment! {
    async fn transfers_move_funds_and_balances_count_them_once(d) {
        let t = spawn_bare_engine(d, EngineSettings::default()).await;
        let f = funds(&t);
        let (btc, eth) = (market(&t, "BTC/USD"), market(&t, "ETH/USD"));
        let usd_asset = f.asset("USD").unwrap().clone();
        usd(&f, 1, "100").await;
        let unit = 10_000_000_000u64; // 1 USD at scale 10
        assert_eq!(f.transfer(1, &btc, &usd_asset, Direction::In, Units::All).await.unwrap(), 100 * unit);
        assert_eq!(wallet(&t, 1, "USD").await, "0");
        assert_eq!(balance(&f, 1, "USD").await, ("100".into(), "0".into()));
        assert_eq!(f.transfer(1, &btc, &usd_asset, Direction::Out, Units::Exactly(30 * unit)).await.unwrap(), 30 * unit);
        // Out of a market, at most what is free there.
        assert_eq!(f.transfer(1, &btc, &usd_asset, Direction::Out, Units::Exactly(1000 * unit)).await.unwrap(), 70 * unit);
        assert_eq!(wallet(&t, 1, "USD").await, (100 * unit).to_string());
        assert_eq!(f.transfer(1, &eth, &usd_asset, Direction::In, Units::Exactly(60 * unit)).await.unwrap(), 60 * unit);
        assert!(f.transfer(1, &eth, &usd_asset, Direction::In, Units::Exactly(41 * unit)).await.is_err(), "the wallet holds 40");
        // A withdrawal beyond the wallet brings the rest back from the markets.
        let (entry, created) = f.withdraw(1, &usd_asset, 90 * unit, "w-1").await.unwrap();
        assert!(created);
        assert_eq!(entry.amount.to_string(), "-90");
        assert_eq!(balance(&f, 1, "USD").await, ("10".into(), "0".into()));
        assert!(f.withdraw(1, &usd_asset, 11 * unit, "w-2").await.is_err(), "10 left in all");
    }

    async fn a_transfer_cut_short_after_any_step_is_finished_once_by_racing_reconcilers(d) {
        let t = spawn_bare_engine(d, EngineSettings::default()).await;
        let (f1, f2) = (funds(&t), funds(&t));
        let btc = market(&t, "BTC/USD");
        let seq = MarketKeys::new(&btc.symbol).seq();
        let mut conn = t.conn.clone();
        // Users 1-3 move 40 USD in, users 4-6 move 40 USD out (after 100 in); each is cut short after
        // step 1, 2 or 3 (3: finished but still marked).
        for user in 1..=6u64 {
            usd(&f1, user, "100").await;
            if user > 3 {
                let usd_asset = f1.asset("USD").unwrap().clone();
                f1.transfer(user, &btc, &usd_asset, Direction::In, Units::All).await.unwrap();
            }
            let direction = if user <= 3 { "in" } else { "out" };
            let (wallet_key, xfer_key) = (format!("{{u:{user}}}:wallet"), format!("{{u:{user}}}:xfer"));
            let _: () = redis::cmd("ZADD").arg("transfers:pending").arg(1).arg(user).query_async(&mut conn).await.unwrap();
            let mut start = TRANSFER_START.key(&wallet_key);
            start.key(&xfer_key).arg(1).arg("BTC/USD").arg("USD").arg("quote").arg(direction).arg("400000000000");
            let reply: Vec<Value> = start.invoke_async(&mut conn).await.unwrap();
            let id: String = redis::from_redis_value(reply[1].clone()).unwrap();
            let steps = (user - 1) % 3 + 1;
            let mut moved = "0".to_string();
            if steps >= 2 {
                let mut step2 = MOVE_FUNDS.key(&seq);
                step2.arg(user).arg(&id).arg(direction).arg("quote").arg("400000000000");
                moved = step2.invoke_async::<Vec<String>>(&mut conn).await.unwrap().remove(0);
            }
            if steps >= 3 {
                let mut step3 = TRANSFER_FINISH.key(&wallet_key);
                step3.key(&xfer_key).arg(&id).arg(&moved);
                let _: Vec<String> = step3.invoke_async(&mut conn).await.unwrap();
            }
            // Whatever step it stopped after, the user holds 100 USD: the transfer counts once.
            assert_eq!(balance(&f1, user, "USD").await.0, "100", "user {user} after step {steps}");
        }
        let (a, b) = tokio::join!(f1.reconcile_once(Duration::ZERO, 100), f2.reconcile_once(Duration::ZERO, 100));
        assert!(a.unwrap() + b.unwrap() >= 6, "each marked user looked at");
        for user in 1..=6u64 {
            let (wallet_usd, expected_wallet) = (wallet(&t, user, "USD").await, if user <= 3 { "600000000000" } else { "400000000000" });
            assert_eq!(wallet_usd, expected_wallet, "user {user}: moved once");
            assert_eq!(balance(&f1, user, "USD").await.0, "100", "user {user}");
            let pending: Option<String> =
                redis::cmd("HGET").arg(format!("{{u:{user}}}:xfer")).arg("id").query_async(&mut conn).await.unwrap();
            assert_eq!(pending, None, "user {user}: nothing under way");
            // A stale replay of the market's step changes nothing.
            let mut replay = MOVE_FUNDS.key(&seq);
            replay.arg(user).arg(1).arg(if user <= 3 { "in" } else { "out" }).arg("quote").arg("400000000000");
            let _: Vec<String> = replay.invoke_async(&mut conn).await.unwrap();
            assert_eq!(balance(&f1, user, "USD").await.0, "100", "user {user} after a replay");
        }
        let left: u64 = redis::cmd("ZCARD").arg("transfers:pending").query_async(&mut conn).await.unwrap();
        assert_eq!(left, 0, "every user unmarked");
    }
}
