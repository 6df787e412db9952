//! A small in-memory matching engine written straight from the contract's rules: the reference the
//! Redis engine is checked against. Integers only (ticks and lots), no Redis, no cleverness.

use std::collections::{BTreeMap, HashMap, VecDeque};

/// An order as the model keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MOrder {
    pub id: u64,
    pub user: u64,
    pub sell: bool,
    pub market: bool,
    pub tif: u8,
    pub post_only: bool,
    pub price: u64,
    pub qty: u64,
    pub filled: u64,
    pub notional: u128,
    /// 0 open, 1 partially filled, 2 filled, 3 cancelled.
    pub status: u8,
    pub cid: String,
}

/// A trade: (id, price, qty, maker id, taker id).
pub type MTrade = (u64, u64, u64, u64, u64);

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Refused(&'static str),
    Duplicate(u64),
    Done { trades: Vec<MTrade> },
}

#[derive(Default)]
pub struct Model {
    pub orders: BTreeMap<u64, MOrder>,
    /// price → FIFO of order ids, for each side.
    pub bids: BTreeMap<u64, VecDeque<u64>>,
    pub asks: BTreeMap<u64, VecDeque<u64>>,
    pub seq: u64,
    cids: HashMap<(u64, String), u64>,
    pub max_touch: usize,
    pub max_open: usize,
}

impl Model {
    pub fn new(max_touch: usize, max_open: usize) -> Model {
        Model { max_touch, max_open, ..Model::default() }
    }

    fn book(&self, sell: bool) -> &BTreeMap<u64, VecDeque<u64>> {
        if sell {
            &self.asks
        } else {
            &self.bids
        }
    }

    fn book_mut(&mut self, sell: bool) -> &mut BTreeMap<u64, VecDeque<u64>> {
        if sell {
            &mut self.asks
        } else {
            &mut self.bids
        }
    }

    /// Resting order ids on the side opposite to `sell`, in priority order, at prices the order accepts.
    fn crossing(&self, taker: &MOrder) -> Vec<u64> {
        let levels: Vec<(&u64, &VecDeque<u64>)> = if taker.sell {
            self.bids.iter().rev().filter(|(p, _)| taker.market || **p >= taker.price).collect()
        } else {
            self.asks.iter().filter(|(p, _)| taker.market || **p <= taker.price).collect()
        };
        levels.into_iter().flat_map(|(_, q)| q.iter().copied()).collect()
    }

    fn open_count(&self, user: u64) -> usize {
        self.orders.values().filter(|o| o.user == user && o.status < 2).count()
    }

    pub fn place(&mut self, mut o: MOrder) -> Outcome {
        if !o.cid.is_empty() {
            if let Some(&id) = self.cids.get(&(o.user, o.cid.clone())) {
                return Outcome::Duplicate(id);
            }
        }
        let may_rest = !o.market && o.tif == 0;
        let crossing = self.crossing(&o);
        if o.post_only && !crossing.is_empty() {
            return Outcome::Refused("post_only_would_cross");
        }
        // Whether other users' orders within the fill cap fill it completely on arrival.
        let fills = {
            let mut available = 0;
            for id in crossing.iter().take(self.max_touch) {
                let m = &self.orders[id];
                if m.user != o.user {
                    available += m.qty - m.filled;
                    if available >= o.qty {
                        break;
                    }
                }
            }
            available >= o.qty
        };
        // The open-orders cap counts against an order that would rest, not one that fills completely.
        if may_rest && !fills && self.open_count(o.user) >= self.max_open {
            return Outcome::Refused("too_many_open_orders");
        }
        let fok_fails = o.tif == 2 && !fills;

        let mut trades = Vec::new();
        let mut changed = false;
        let mut touched = 0;
        let next_seq = self.seq + 1;
        if !fok_fails {
            for mid in crossing {
                if o.filled == o.qty || touched == self.max_touch {
                    break;
                }
                touched += 1;
                changed = true;
                let m = self.orders.get_mut(&mid).unwrap();
                let (price, sell) = (m.price, m.sell);
                let gone = if m.user == o.user {
                    m.status = 3;
                    true
                } else {
                    let fill = (m.qty - m.filled).min(o.qty - o.filled);
                    m.filled += fill;
                    m.notional += u128::from(price) * u128::from(fill);
                    o.filled += fill;
                    o.notional += u128::from(price) * u128::from(fill);
                    trades.push((o.id * 1024 + trades.len() as u64, price, fill, mid, o.id));
                    m.status = if m.filled == m.qty { 2 } else { 1 };
                    m.filled == m.qty
                };
                let _ = next_seq;
                if gone {
                    let level = self.book_mut(sell).get_mut(&price).unwrap();
                    assert_eq!(level.pop_front(), Some(mid));
                    if level.is_empty() {
                        self.book_mut(sell).remove(&price);
                    }
                }
            }
        }
        if o.filled < o.qty && may_rest && touched < self.max_touch && !fok_fails {
            o.status = if o.filled > 0 { 1 } else { 0 };
            self.book_mut(o.sell).entry(o.price).or_default().push_back(o.id);
            changed = true;
        } else {
            o.status = if o.filled == o.qty { 2 } else { 3 };
        }
        if changed {
            self.seq += 1;
        }
        if !o.cid.is_empty() {
            self.cids.insert((o.user, o.cid.clone()), o.id);
        }
        self.orders.insert(o.id, o);
        Outcome::Done { trades }
    }

    fn remove_resting(&mut self, id: u64) {
        let (sell, price) = (self.orders[&id].sell, self.orders[&id].price);
        let level = self.book_mut(sell).get_mut(&price).unwrap();
        level.retain(|&x| x != id);
        if level.is_empty() {
            self.book_mut(sell).remove(&price);
        }
        self.orders.get_mut(&id).unwrap().status = 3;
    }

    pub fn cancel(&mut self, user: u64, id: u64) -> Result<(), &'static str> {
        match self.orders.get(&id) {
            None => Err("not_found"),
            Some(o) if o.user != user => Err("not_found"),
            Some(o) if o.status >= 2 => Err("order_not_open"),
            Some(_) => {
                self.remove_resting(id);
                self.seq += 1;
                Ok(())
            }
        }
    }

    pub fn cancel_all(&mut self, user: u64) -> Vec<u64> {
        let ids: Vec<u64> = self.orders.values().filter(|o| o.user == user && o.status < 2).map(|o| o.id).collect();
        for &id in &ids {
            self.remove_resting(id);
        }
        if !ids.is_empty() {
            self.seq += 1;
        }
        ids
    }

    /// (price, total lots, order count) per level, best first.
    pub fn levels(&self, sell: bool) -> Vec<(u64, u64, u64)> {
        let level = |(p, q): (&u64, &VecDeque<u64>)| {
            let total = q.iter().map(|id| self.orders[id].qty - self.orders[id].filled).sum();
            (*p, total, q.len() as u64)
        };
        if sell {
            self.book(true).iter().map(level).collect()
        } else {
            self.book(false).iter().rev().map(level).collect()
        }
    }
}
