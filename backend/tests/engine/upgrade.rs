//! Keys written by an earlier version are brought to the current layout at startup, and the book reads
//! and trades on exactly as before.

use backend::engine::MarketKeys;
use common::{Side::*, Symbol};

use crate::helpers::*;

#[tokio::test]
async fn level_totals_in_the_old_per_side_hash_are_upgraded_and_trading_goes_on() {
    let mut t = spawn_engine().await;
    let sym = Symbol::parse(SYMBOL).unwrap();
    limit(Buy, "1", "99").by(&t, 1).await.unwrap();
    limit(Buy, "2", "99").by(&t, 2).await.unwrap();
    limit(Buy, "0.5", "98").by(&t, 1).await.unwrap();
    limit(Sell, "3", "101").by(&t, 2).await.unwrap();
    let before = t.engine.book(&sym, 10).await.unwrap();

    // The earlier layout: each side's level totals in one hash, price → lots.
    let k = MarketKeys::new(&sym);
    let market = t.engine.market(&sym).unwrap().clone();
    for (side, name, levels) in [(Buy, "bids", &before.bids), (Sell, "asks", &before.asks)] {
        for level in levels {
            let ticks = market.price_to_ticks(level.price).unwrap();
            let lots = market.quantity_to_lots(level.quantity).unwrap();
            let _: () = redis::cmd("DEL").arg(k.level_total(side, ticks)).query_async(&mut t.conn).await.unwrap();
            let _: () = redis::cmd("HSET")
                .arg(format!("{{{SYMBOL}}}:depth:{name}"))
                .arg(ticks)
                .arg(lots)
                .query_async(&mut t.conn)
                .await
                .unwrap();
        }
    }

    assert_eq!(t.engine.upgrade_layout().await.unwrap(), 3);
    assert_eq!(t.engine.upgrade_layout().await.unwrap(), 0, "a second run finds nothing to do");
    let after = t.engine.book(&sym, 10).await.unwrap();
    assert_eq!((after.bids, after.asks, after.sequence), (before.bids.clone(), before.asks.clone(), before.sequence));

    // The upgraded totals trade on: a sell of 2.5 at 99 takes 2.5 of the 3 resting at 99.
    let taker = limit(Sell, "2.5", "99").by(&t, 3).await.unwrap().order;
    assert_eq!(taker.filled_quantity, dec("2.5"));
    let book = t.engine.book(&sym, 10).await.unwrap();
    assert_eq!(book.bids[0].price, dec("99"));
    assert_eq!(book.bids[0].quantity, dec("0.5"));
    assert_eq!(book.bids[1].quantity, dec("0.5"));
}
