//! Books written by an engine before level buckets (per side a sorted set of prices `{S}:bids`, per
//! level a total `{S}:depth:bids:<price>` beside its list of ids) move into level buckets when the
//! backend starts (`Engine::migrate_books`, `lua/migrate_levels.lua`): into exactly the keys this
//! engine writes itself, and matching goes on from them.

use common::{OrderStatus, Side::*, Symbol};
use redis::AsyncCommands;

use crate::helpers::*;

fn sym() -> Symbol {
    Symbol::parse(SYMBOL).unwrap()
}

/// Rewrites the market's level buckets into the layout of engines before them, with plain commands.
/// Returns how many levels it rewrote.
async fn write_the_old_layout(t: &TestEngine) -> u64 {
    let prefix = format!("{{{}}}", sym());
    let mut conn = t.conn.clone();
    let mut levels = 0;
    for side in ["bids", "asks"] {
        let set = format!("{prefix}:levels:{side}");
        let buckets: Vec<u64> = conn.zrange(&set, 0, -1).await.unwrap();
        for bucket in buckets {
            let hash = format!("{prefix}:levels:{side}:{bucket}");
            let fields: Vec<(String, Vec<u8>)> = conn.hgetall(&hash).await.unwrap();
            for (name, value) in &fields {
                let Some(offset) = name.strip_prefix('t') else { continue };
                let price = bucket * 64 + offset.parse::<u64>().unwrap();
                let total = String::from_utf8(value.clone()).unwrap();
                let () = conn.set(format!("{prefix}:depth:{side}:{price}"), total).await.unwrap();
                let () = conn.zadd(format!("{prefix}:{side}"), price, price).await.unwrap();
                let queue = fields.iter().find(|(n, _)| *n == format!("q{offset}"));
                if let Some((_, packed)) = queue {
                    let ids: Vec<u64> = packed
                        .chunks_exact(7)
                        .map(|b| b.iter().rev().fold(0, |n, &byte| n << 8 | u64::from(byte)))
                        .collect();
                    let () = conn.rpush(format!("{prefix}:{side}:{price}"), ids).await.unwrap();
                }
                levels += 1;
            }
            let () = conn.del(&hash).await.unwrap();
        }
        let () = conn.del(&set).await.unwrap();
    }
    levels
}

on_every_deployment! {
    async fn a_book_of_the_old_layout_moves_into_level_buckets_as_this_engine_writes_them(d) {
        let t = spawn_engine(d).await;
        // Short queues on both sides, in three level buckets (prices placed upwards within each, as the
        // move writes them), and a long queue (a list) holding two tombstones in a bucket of its own.
        let mut bids = 0;
        for (price, orders) in [("100.00", 1), ("100.01", 3), ("100.05", 2), ("200.00", 1)] {
            for user in 1..=orders {
                limit(Buy, "1", price).by(&t, user).await.unwrap();
                bids += 1;
            }
        }
        for (price, orders) in [("300.00", 2), ("300.40", 1)] {
            for user in 1..=orders {
                limit(Sell, "1", price).by(&t, user).await.unwrap();
            }
        }
        let mut long = Vec::new();
        for user in 1..=12 {
            long.push(limit(Sell, "1", "400.00").by(&t, user).await.unwrap().order.id);
        }
        t.engine.cancel(3, long[2]).await.unwrap();
        t.engine.cancel(7, long[6]).await.unwrap();
        let keyspace = t.keyspace().await;
        let book = t.engine.book(&sym(), 100).await.unwrap();

        assert_eq!(write_the_old_layout(&t).await, 7);
        assert_ne!(t.keyspace().await, keyspace, "the old layout was written");
        assert_eq!(t.engine.migrate_books().await.unwrap(), 7);
        assert_eq!(t.keyspace().await, keyspace, "the same keys as this engine wrote");
        assert_eq!(t.engine.migrate_books().await.unwrap(), 0, "a second start has nothing to move");

        let mut after = t.engine.book(&sym(), 100).await.unwrap();
        after.timestamp.clone_from(&book.timestamp);
        assert_eq!(after, book);
        // Matching goes on: a sell of all the bids fills each of them, best price first.
        let taker = limit(Sell, &bids.to_string(), "100.00").by(&t, 50).await.unwrap().order;
        let trades = taker.trades.unwrap();
        assert_eq!(trades.len(), bids);
        assert_eq!(trades[0].price, dec("200"));
        assert_eq!(trades[bids - 1].price, dec("100"));
        assert_eq!(taker.status, OrderStatus::Filled);
        // And a buy of every ask: the short queues, then the long one in time order without its
        // tombstones.
        let buyer = limit(Buy, "13", "400.00").by(&t, 60).await.unwrap().order;
        let makers: Vec<u64> = buyer.trades.unwrap().iter().map(|tr| tr.maker_order_id).collect();
        let live: Vec<u64> = long.iter().copied().filter(|id| *id != long[2] && *id != long[6]).collect();
        assert_eq!(makers.len(), 13);
        assert_eq!(makers[3..], live[..]);
        assert!(t.engine.book(&sym(), 10).await.unwrap().asks.is_empty());
    }
}
