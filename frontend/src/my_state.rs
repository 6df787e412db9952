//! The signed-in user's orders and balances as the screen holds them: read over REST when the private
//! feed (re)connects, then kept up to date from its `order_update` and `balance` messages instead of
//! being read again on every change. Merging keeps the newer of two views of an order, so a REST answer
//! that left before a message arrived cannot undo it. No browser needed.

use std::collections::BTreeMap;

use common::{Balance, Fill, Order};

/// Rows read at a time: on sign-in, and for each older page the user asks for.
pub const PAGE: usize = 50;

/// Closed orders kept for the history list until the user asks for older pages.
const HISTORY: usize = PAGE;

/// Fills kept at most, however many pages were read: the oldest go past it.
const FILLS_KEPT: usize = 2_000;

#[derive(Clone, Debug, PartialEq)]
pub struct MyOrders {
    by_id: BTreeMap<u64, Order>,
    /// How many closed orders are kept: a page, and one more for each older page read.
    kept: usize,
}

impl Default for MyOrders {
    fn default() -> Self {
        MyOrders { by_id: BTreeMap::new(), kept: HISTORY }
    }
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
        for id in closed.iter().take(closed.len().saturating_sub(self.kept)) {
            self.by_id.remove(id);
        }
    }

    /// Takes in an older page of closed orders (read with `before`): kept beside those held.
    pub fn merge_older(&mut self, page: Vec<Order>) {
        self.kept += page.len();
        page.into_iter().for_each(|o| self.merge(o));
    }

    /// The orders held as open that a complete list of the open ones, read again (`open_now`), no
    /// longer holds: they closed while the feed was away, and their news was not replayed.
    pub fn gone_from_open(&self, open_now: &[Order]) -> Vec<u64> {
        self.by_id
            .values()
            .filter(|o| o.status.is_open() && !open_now.iter().any(|n| n.id == o.id))
            .map(|o| o.id)
            .collect()
    }

    /// Forgets an order (one the exchange no longer knows: closed longer ago than it keeps them).
    pub fn forget(&mut self, id: u64) {
        self.by_id.remove(&id);
    }

    /// The oldest closed order held: where the next older page starts.
    pub fn oldest_closed(&self) -> Option<u64> {
        self.by_id.values().find(|o| !o.status.is_open()).map(|o| o.id)
    }

    /// Open orders, newest first.
    pub fn open(&self) -> Vec<Order> {
        self.by_id.values().rev().filter(|o| o.status.is_open()).cloned().collect()
    }

    /// Closed orders, the newest order first (by creation, as the API lists and pages them: the history
    /// kept is then always a run of the newest, and an older page follows on from its end).
    pub fn history(&self) -> Vec<Order> {
        self.by_id.values().rev().filter(|o| !o.status.is_open()).cloned().collect()
    }
}

/// A `balance` message is the asset's whole balance: it replaces the one held.
pub fn merge_balance(list: &mut Vec<Balance>, b: Balance) {
    match list.iter_mut().find(|held| held.asset == b.asset) {
        Some(held) => *held = b,
        None => list.push(b),
    }
}

/// A fill from the feed goes in front (once: the REST page read on reconnection may hold it already).
pub fn merge_fill(list: &mut Vec<Fill>, fill: Fill) {
    if !list.iter().any(|f| f.trade_id == fill.trade_id) {
        list.insert(0, fill);
        list.truncate(FILLS_KEPT);
    }
}

/// The newest page read again (on (re)connection) replaces those held, except fills the feed told
/// while the page was on its way (newer than its newest).
pub fn replace_fills(list: &mut Vec<Fill>, page: Vec<Fill>) {
    let newest = page.first().map_or(0, |f| f.trade_id);
    list.retain(|f| f.trade_id > newest);
    list.extend(page);
}

/// An older page of fills (read with `before`) goes behind those held.
pub fn merge_older_fills(list: &mut Vec<Fill>, page: Vec<Fill>) {
    let oldest = list.last().map_or(u64::MAX, |f| f.trade_id);
    list.extend(page.into_iter().filter(|f| f.trade_id < oldest));
    list.truncate(FILLS_KEPT);
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
    fn orders_that_closed_unseen_are_found_by_the_open_list_read_again() {
        let mut mine = MyOrders::default();
        for id in 1..=3 {
            mine.merge(order(id, OrderStatus::Open, "0", "01"));
        }
        mine.merge(order(4, OrderStatus::Filled, "1", "02"));
        // Read again: 2 is still open, 3 and 1 are not (and 4 was never open).
        let open_now = [order(2, OrderStatus::Open, "0", "01")];
        assert_eq!(mine.gone_from_open(&open_now), [1, 3]);
        mine.forget(1);
        assert_eq!(mine.open().iter().map(|o| o.id).collect::<Vec<_>>(), [3, 2]);
    }

    #[test]
    fn the_history_keeps_the_last_closed() {
        let mut mine = MyOrders::default();
        for id in 0..(HISTORY as u64 + 5) {
            mine.merge(order(id, OrderStatus::Cancelled, "0", &format!("{:02}", id % 60)));
        }
        assert_eq!(mine.history().len(), HISTORY);
        assert!(mine.history().iter().all(|o| o.id >= 5), "the oldest went");
        assert_eq!(mine.oldest_closed(), Some(5));
        // An older page read on request stays beside them.
        let older = (0..5).map(|id| order(id, OrderStatus::Filled, "1", "00")).collect();
        mine.merge_older(older);
        assert_eq!(mine.history().len(), HISTORY + 5);
        assert_eq!(mine.oldest_closed(), Some(0));
    }

    fn fill(trade_id: u64) -> Fill {
        serde_json::from_str(&format!(
            r#"{{"trade_id": {trade_id}, "order_id": 1, "client_order_id": null, "symbol": "BTC/USD",
                "side": "buy", "price": 100, "quantity": 1, "fee": 0, "fee_asset": "BTC",
                "liquidity": "taker", "sequence": 1, "timestamp": ""}}"#
        ))
        .unwrap()
    }

    #[test]
    fn fills_come_newest_first_once_each_with_older_pages_behind() {
        let mut list = vec![fill(5), fill(4)];
        merge_fill(&mut list, fill(6));
        merge_fill(&mut list, fill(6));
        merge_older_fills(&mut list, vec![fill(4), fill(3), fill(2)]);
        assert_eq!(list.iter().map(|f| f.trade_id).collect::<Vec<_>>(), [6, 5, 4, 3, 2]);
        // Read again on reconnection: what the feed told since the page left stays in front.
        merge_fill(&mut list, fill(8));
        replace_fills(&mut list, vec![fill(7), fill(6)]);
        assert_eq!(list.iter().map(|f| f.trade_id).collect::<Vec<_>>(), [8, 7, 6]);
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
