//! Settlement, worked through by hand (the property test checks the same rules at random against the
//! model): an order needs its owner's free funds, rests with its lock, and each fill moves base and
//! quote at the maker's price, less each side's fee, into the fee account. In BTC/USD here a lot
//! (0.00000001 BTC) is one unit of BTC and a tick × lot one unit of USD (USD carries 10 places); the
//! maker pays 0.1 %, the taker 0.2 %.

use backend::engine::wire::SubAccount;
use backend::engine::EngineError;
use common::{OrderStatus, Side::*, Symbol, TimeInForce};

use crate::helpers::*;

const BTC: u128 = 100_000_000;
const USD: u128 = 10_000_000_000;

fn sym() -> Symbol {
    Symbol::parse(SYMBOL).unwrap()
}

fn account(base_free: u128, base_locked: u128, quote_free: u128, quote_locked: u128) -> SubAccount {
    SubAccount { base_free, base_locked, quote_free, quote_locked, ..SubAccount::default() }
}

/// The four balances of a user's account (the transfer fields left out).
async fn balances(t: &TestEngine, user: u64) -> SubAccount {
    let a = t.account(&sym(), user).await;
    account(a.base_free, a.base_locked, a.quote_free, a.quote_locked)
}

on_every_deployment! {
    async fn fills_settle_at_the_makers_price_less_fees_and_locks_follow_the_orders(d) {
        let t = spawn_bare_engine(d, EngineSettings::default()).await;
        let (seller, buyer) = (501, 502);
        t.fund_many(&sym(), &[seller], BTC as u64, 0).await;
        t.fund_many(&sym(), &[buyer], 0, (100 * USD) as u64).await;

        // Too much for what each has: refused, nothing locked.
        for (side, qty, price, user) in [(Sell, "1.00000001", "100", seller), (Buy, "1", "100.01", buyer)] {
            let refused = limit(side, qty, price).by(&t, user).await;
            assert!(matches!(refused, Err(EngineError::Invalid { code: "insufficient_funds", .. })), "{refused:?}");
        }
        assert_eq!(balances(&t, seller).await, account(BTC, 0, 0, 0));

        // A resting sell locks its base.
        limit(Sell, "0.5", "100").by(&t, seller).await.unwrap();
        assert_eq!(balances(&t, seller).await, account(BTC / 2, BTC / 2, 0, 0));

        // A buy at 101 fills 0.3 at the maker's 100: the buyer pays 30 USD and gets 0.3 BTC less 0.2 %;
        // the seller's lock gives 0.3 BTC and it gets 30 USD less 0.1 %.
        let taker = limit(Buy, "0.3", "101").by(&t, buyer).await.unwrap().order;
        assert_eq!(taker.status, OrderStatus::Filled);
        assert_eq!(balances(&t, buyer).await, account(3 * BTC / 10 - 60_000, 0, 70 * USD, 0));
        assert_eq!(balances(&t, seller).await, account(BTC / 2, BTC / 5, 30 * USD - 3 * USD / 100, 0));
        let fees = t.fees(&sym()).await;
        assert_eq!((fees.base_collected, fees.quote_collected), (60_000, 3 * USD / 100));
        assert_eq!((fees.base_rebated, fees.quote_rebated), (0, 0));

        // A resting buy locks price × quantity; its cancel gives it back.
        let bid = limit(Buy, "0.1", "99").by(&t, buyer).await.unwrap().order;
        assert_eq!(balances(&t, buyer).await, account(3 * BTC / 10 - 60_000, 0, 70 * USD - 99 * USD / 10, 99 * USD / 10));
        t.engine.cancel(buyer, bid.id).await.unwrap();
        assert_eq!(balances(&t, buyer).await.quote_locked, 0);
        assert_eq!(balances(&t, buyer).await.quote_free, 70 * USD);

        // A buy at 101 that fills at 100 and whose rest is an ioc remainder: nothing stays locked.
        let ioc = limit(Buy, "0.3", "101").tif(TimeInForce::Ioc).by(&t, buyer).await.unwrap().order;
        assert_eq!((ioc.status, ioc.filled_quantity.to_string().as_str()), (OrderStatus::Cancelled, "0.2"));
        let after = balances(&t, buyer).await;
        assert_eq!((after.quote_free, after.quote_locked), (50 * USD, 0));
        assert_eq!(balances(&t, seller).await, account(BTC / 2, 0, 50 * USD - 5 * USD / 100, 0));
    }

    async fn a_market_buy_fills_while_its_quote_lasts_and_a_fok_one_only_if_it_pays_for_all(d) {
        let t = spawn_bare_engine(d, EngineSettings::default()).await;
        let (seller, buyer) = (601, 602);
        t.fund_many(&sym(), &[seller], BTC as u64, 0).await;
        limit(Sell, "0.2", "100").by(&t, seller).await.unwrap();
        limit(Sell, "0.2", "200").by(&t, seller).await.unwrap();

        // 10 USD does not pay for all of a fill-or-kill 0.2 at 100: it does nothing.
        t.fund_many(&sym(), &[buyer], 0, (10 * USD) as u64).await;
        let fok = market_order(Buy, "0.2").tif(TimeInForce::Fok).by(&t, buyer).await.unwrap().order;
        assert_eq!((fok.status, fok.filled_quantity.to_string().as_str()), (OrderStatus::Cancelled, "0"));
        assert_eq!(balances(&t, buyer).await, account(0, 0, 10 * USD, 0));

        // With 25 USD, a market buy of 1 BTC takes the 0.2 at 100 (20 USD) and then what 5 USD buys at
        // 200: 0.025.
        t.fund_many(&sym(), &[buyer], 0, (15 * USD) as u64).await;
        let bought = market_order(Buy, "1").tif(TimeInForce::Ioc).by(&t, buyer).await.unwrap().order;
        assert_eq!((bought.status, bought.filled_quantity.to_string().as_str()), (OrderStatus::Cancelled, "0.225"));
        let b = balances(&t, buyer).await;
        assert_eq!((b.quote_free, b.quote_locked), (0, 0), "every unit of quote spent");

        // Nothing left to pay even one lot at the best ask: refused.
        let refused = market_order(Buy, "1").tif(TimeInForce::Ioc).by(&t, buyer).await;
        assert!(matches!(refused, Err(EngineError::Invalid { code: "insufficient_funds", .. })), "{refused:?}");
    }

    async fn a_self_trade_cancel_gives_the_resting_orders_lock_back(d) {
        let t = spawn_bare_engine(d, EngineSettings::default()).await;
        let user = 701;
        t.fund_many(&sym(), &[user], BTC as u64, (100 * USD) as u64).await;
        limit(Sell, "0.5", "100").by(&t, user).await.unwrap();
        assert_eq!(balances(&t, user).await, account(BTC / 2, BTC / 2, 100 * USD, 0));
        // Its own buy at 100 cancels the sell (no trade) and rests, locking 0.1 × 100.
        let buy = limit(Buy, "0.1", "100").by(&t, user).await.unwrap().order;
        assert_eq!(buy.status, OrderStatus::Open);
        assert_eq!(balances(&t, user).await, account(BTC, 0, 90 * USD, 10 * USD));
    }
}
