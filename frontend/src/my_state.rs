//! The signed-in user's orders and balances as the screen holds them: read over REST when the private
//! feed (re)connects, then kept up to date from its `order_update` and `balance` messages instead of
//! being read again on every change. Merging keeps the newer of two views of an order, so a REST answer
//! that left before a message arrived cannot undo it. No browser needed.

use std::collections::BTreeMap;

use common::{Balance, Order};

/// Closed orders kept for the history list.
const HISTORY: usize = 50;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MyOrders {
    by_id: BTreeMap<u64, Order>,
}

/// How far along an order is: closed beats open and more filled beats less (both only ever grow), the
/// update time only breaks ties (it is the clock of whichever instance ran the change, and instances'
/// clocks differ a little).
fn progress(o: &Order) -> (bool, common::Dec, &str) {
    (!o.status.is_open(), o.filled_quantity, o.updated_at.as_str())
}

impl MyOrders {
    /// Takes in a view of an order (from REST or the feed), unless an already newer one is held.
    pub fn merge(&mut self, o: Order) {
        match self.by_id.get(&o.id) {
            Some(held) if progress(held) >= progress(&o) => {}
            _ => {
                self.by_id.insert(o.id, o);
            }
        }
        // The oldest closed orders go past the history's length.
        let closed: Vec<u64> = self.by_id.values().filter(|o| !o.status.is_open()).map(|o| o.id).collect();
        for id in closed.iter().take(closed.len().saturating_sub(HISTORY)) {
            self.by_id.remove(id);
        }
    }

    /// Open orders, newest first.
    pub fn open(&self) -> Vec<Order> {
        self.by_id.values().rev().filter(|o| o.status.is_open()).cloned().collect()
    }

    /// Closed orders, the last closed first.
    pub fn history(&self) -> Vec<Order> {
        let mut closed: Vec<Order> = self.by_id.values().filter(|o| !o.status.is_open()).cloned().collect();
        closed.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
        closed
    }
}

/// A `balance` message is the asset's whole balance: it replaces the one held.
pub fn merge_balance(list: &mut Vec<Balance>, b: Balance) {
    match list.iter_mut().find(|held| held.asset == b.asset) {
        Some(held) => *held = b,
        None => list.push(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::{Dec, OrderStatus, OrderType, Side, Symbol, TimeInForce};

    fn order(id: u64, status: OrderStatus, filled: &str, at: &str) -> Order {
        let d = |s: &str| Dec::parse(s).unwrap();
        Order {
            id,
            client_order_id: None,
            symbol: Symbol::parse("BTC/USD").unwrap(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            time_in_force: TimeInForce::Gtc,
            post_only: false,
            price: Some(d("100")),
            quantity: d("1"),
            filled_quantity: d(filled),
            remaining_quantity: d("0"),
            average_price: None,
            status,
            created_at: String::new(),
            updated_at: format!("2026-12-07T02:00:{at}.000Z"),
            stop_price: None,
            trades: None,
        }
    }

    #[test]
    fn the_newer_view_of_an_order_wins_whichever_comes_last() {
        let mut mine = MyOrders::default();
        mine.merge(order(1, OrderStatus::Open, "0", "01"));
        mine.merge(order(2, OrderStatus::Open, "0", "02"));
        assert_eq!(mine.open().iter().map(|o| o.id).collect::<Vec<_>>(), [2, 1], "newest first");
        // The feed says order 1 filled; a REST answer sent before it then says open: it stays filled.
        mine.merge(order(1, OrderStatus::Filled, "1", "05"));
        mine.merge(order(1, OrderStatus::Open, "0", "01"));
        assert_eq!(mine.open().iter().map(|o| o.id).collect::<Vec<_>>(), [2]);
        assert_eq!(mine.history()[0].status, OrderStatus::Filled);
        // The more filled view wins, even stamped earlier by an instance whose clock is behind.
        mine.merge(order(2, OrderStatus::PartiallyFilled, "0.5", "00"));
        mine.merge(order(2, OrderStatus::Open, "0", "02"));
        assert_eq!(mine.open()[0].filled_quantity, Dec::parse("0.5").unwrap());
    }

    #[test]
    fn the_history_keeps_the_last_closed() {
        let mut mine = MyOrders::default();
        for id in 0..(HISTORY as u64 + 5) {
            mine.merge(order(id, OrderStatus::Cancelled, "0", &format!("{:02}", id % 60)));
        }
        assert_eq!(mine.history().len(), HISTORY);
        assert!(mine.history().iter().all(|o| o.id >= 5), "the oldest went");
    }

    #[test]
    fn a_balance_message_replaces_its_asset() {
        let b = |asset: &str, free: &str| Balance {
            asset: asset.into(),
            free: Dec::parse(free).unwrap(),
            locked: Dec::ZERO,
            total: Dec::parse(free).unwrap(),
        };
        let mut list = vec![b("BTC", "1"), b("USD", "100")];
        merge_balance(&mut list, b("USD", "50"));
        merge_balance(&mut list, b("ETH", "2"));
        assert_eq!(list, vec![b("BTC", "1"), b("USD", "50"), b("ETH", "2")]);
    }
}
