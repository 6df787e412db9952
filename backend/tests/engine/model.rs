//! A small in-memory matching engine written straight from the contract's rules: the reference the
//! Redis engine is checked against. Integers only (ticks, lots, units of assets), no Redis, no
//! cleverness. Funds follow the contract's Funds section: an order must be covered by its owner's free
//! funds, rests with its lock, settles each fill at the maker's price less each side's fee, and gives
//! its lock back when it leaves the book. Stop orders follow "Stop orders": pending off the book with
//! their lock, placed as the order they name when a trade reaches them, a bounded number per call.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

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
    /// A market buy's budget of quote (units) while it is placed: it buys while the budget lasts.
    pub budget: Option<u128>,
    pub filled: u64,
    pub notional: u128,
    /// 0 open, 1 partially filled, 2 filled, 3 cancelled, 4 pending (a stop not triggered yet).
    pub status: u8,
    pub cid: String,
    /// A stop order's stop price.
    pub stop: Option<u64>,
}

impl MOrder {
    /// Open, partially filled or pending: it may still trade, and may be cancelled.
    pub fn is_live(&self) -> bool {
        self.status < 2 || self.status == PENDING
    }
}

pub const PENDING: u8 = 4;

/// A trade: (id, price, qty, maker id, taker id, the taker's fee, the maker's fee (negative: a rebate)).
pub type MTrade = (u64, u64, u64, u64, u64, i128, i128);

/// What a change did: the trades of a move, and the stops they triggered (id, trades) in order.
#[derive(Debug, Default)]
pub struct Changed {
    pub trades: Vec<MTrade>,
    pub triggered: Vec<(u64, Vec<MTrade>)>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Refused(&'static str),
    Duplicate(u64),
    Done { trades: Vec<MTrade> },
}

/// A user's funds in the market: base and quote, free and locked (units of each asset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MAccount {
    pub base_free: u128,
    pub base_locked: u128,
    pub quote_free: u128,
    pub quote_locked: u128,
}

/// The market's fee account: fees collected and rebates paid, per asset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MFees {
    pub base_collected: u128,
    pub base_rebated: u128,
    pub quote_collected: u128,
    pub quote_rebated: u128,
}

/// How the market's lots and notionals become units, and its fee rates in millionths.
#[derive(Clone, Copy, Debug, Default)]
pub struct MUnits {
    pub base_per_lot: u128,
    pub quote_per_notional: u128,
    pub maker_fee: i64,
    pub taker_fee: i64,
}

/// The most units an amount may hold.
const MAX_AMOUNT: u128 = (1 << 62) - 1;

/// The fee on `amount` at `rate` millionths: a fee rounded up, a rebate (negative rate) rounded down.
fn fee(amount: u128, rate: i64) -> (u128, bool) {
    let r = u128::from(rate.unsigned_abs());
    if rate >= 0 {
        ((amount * r).div_ceil(1_000_000), false)
    } else {
        (amount * r / 1_000_000, true)
    }
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
    pub units: MUnits,
    pub accounts: BTreeMap<u64, MAccount>,
    pub fees: MFees,
    /// What was credited to the accounts from outside (transfers in), per asset: base, quote.
    pub funded: (u128, u128),
    /// Each user's fills set as the engine keeps it: the trade ids, and the count its trim goes by
    /// (`lua/settlement.lua`: past `kept + kept / 8 + 1`, the newest `kept` stay).
    pub fills: BTreeMap<u64, (BTreeSet<u64>, usize)>,
    pub fills_kept: usize,
    /// The last trade's price.
    pub last_price: Option<u64>,
    /// The trade prices reached whose stops are not all placed yet: the highest (for buy stops) and the
    /// lowest (for sell stops).
    pub reached: (Option<u64>, Option<u64>),
    /// Stops the current call may still place, and how many a call may (set by `start_call`).
    budget: usize,
    pub stops_per_call: usize,
}

impl Model {
    pub fn new(max_touch: usize, max_open: usize, units: MUnits, fills_kept: usize, stops_per_call: usize) -> Model {
        Model { max_touch, max_open, units, fills_kept, stops_per_call, ..Model::default() }
    }

    /// A new script call: its budget of stops to place.
    pub fn start_call(&mut self) {
        self.budget = self.stops_per_call;
    }

    /// User `user` keeps trade `id` among its fills.
    fn keep_fill(&mut self, user: u64, id: u64) {
        let kept = self.fills_kept;
        let (set, held) = self.fills.entry(user).or_default();
        set.insert(id);
        *held += 1;
        if *held > kept + kept / 8 + 1 {
            while set.len() > kept {
                set.pop_first();
            }
            *held = kept;
        }
    }

    /// Credits a user's account from outside (a transfer into the market).
    pub fn fund(&mut self, user: u64, base: u128, quote: u128) {
        let a = self.accounts.entry(user).or_default();
        a.base_free += base;
        a.quote_free += quote;
        self.funded.0 += base;
        self.funded.1 += quote;
    }

    /// What `lots` lots of an order at `price` ticks hold: (whether in quote, units).
    fn held(&self, sell: bool, price: u64, lots: u64) -> (bool, u128) {
        if sell {
            (false, u128::from(lots) * self.units.base_per_lot)
        } else {
            (true, u128::from(price) * u128::from(lots) * self.units.quote_per_notional)
        }
    }

    /// Moves what `lots` lots of an order hold between free and locked (`lock`: into locked).
    fn shift(&mut self, user: u64, sell: bool, price: u64, lots: u64, lock: bool) {
        let (quote, units) = self.held(sell, price, lots);
        let a = self.accounts.entry(user).or_default();
        let (free, locked) =
            if quote { (&mut a.quote_free, &mut a.quote_locked) } else { (&mut a.base_free, &mut a.base_locked) };
        if lock {
            *free = free.checked_sub(units).expect("a lock within the free funds");
            *locked += units;
        } else {
            *locked = locked.checked_sub(units).expect("a release within the lock");
            *free += units;
        }
    }

    /// How many of `lots` lots at `price` ticks a quote amount pays for.
    fn lots_for(&self, quote: u128, price: u64, lots: u64) -> u64 {
        let unit = u128::from(price) * self.units.quote_per_notional;
        (quote / unit).min(u128::from(lots)) as u64
    }

    /// Settles a fill of `lots` at `price` between a taker (side `taker_sells`) and a maker.
    /// Settles a fill; returns the taker's fee and the maker's (negative: a rebate).
    fn settle(&mut self, taker: u64, maker: u64, taker_sells: bool, price: u64, lots: u64) -> (i128, i128) {
        let base = u128::from(lots) * self.units.base_per_lot;
        let quote = u128::from(price) * u128::from(lots) * self.units.quote_per_notional;
        let (buyer, seller, buyer_rate, seller_rate) = if taker_sells {
            (maker, taker, self.units.maker_fee, self.units.taker_fee)
        } else {
            (taker, maker, self.units.taker_fee, self.units.maker_fee)
        };
        {
            let b = self.accounts.entry(buyer).or_default();
            let from = if buyer == taker { &mut b.quote_free } else { &mut b.quote_locked };
            *from = from.checked_sub(quote).expect("the buyer pays from what it has");
        }
        {
            let s = self.accounts.entry(seller).or_default();
            let from = if seller == taker { &mut s.base_free } else { &mut s.base_locked };
            *from = from.checked_sub(base).expect("the seller delivers from what it has");
        }
        let (bfee, brebate) = fee(base, buyer_rate);
        let (qfee, qrebate) = fee(quote, seller_rate);
        let b = self.accounts.get_mut(&buyer).unwrap();
        if brebate {
            b.base_free += base + bfee;
            self.fees.base_rebated += bfee;
        } else {
            b.base_free += base - bfee;
            self.fees.base_collected += bfee;
        }
        let s = self.accounts.get_mut(&seller).unwrap();
        if qrebate {
            s.quote_free += quote + qfee;
            self.fees.quote_rebated += qfee;
        } else {
            s.quote_free += quote - qfee;
            self.fees.quote_collected += qfee;
        }
        let signed = |fee: u128, rebate: bool| if rebate { -(fee as i128) } else { fee as i128 };
        let (buyer_fee, seller_fee) = (signed(bfee, brebate), signed(qfee, qrebate));
        if taker_sells {
            (seller_fee, buyer_fee)
        } else {
            (buyer_fee, seller_fee)
        }
    }

    /// Whether the owner's free funds cover order `o` (a market buy: one lot at the best ask, or any
    /// free quote when there is no ask).
    fn covers(&self, o: &MOrder) -> bool {
        let a = self.accounts.get(&o.user).copied().unwrap_or_default();
        if let Some(budget) = o.budget {
            return budget <= a.quote_free;
        }
        if o.market && !o.sell {
            return match self.asks.keys().next() {
                Some(&ask) => self.lots_for(a.quote_free, ask, 1) == 1,
                None => a.quote_free > 0,
            };
        }
        let (quote, need) = self.held(o.sell, o.price, o.qty);
        need <= MAX_AMOUNT && need <= if quote { a.quote_free } else { a.base_free }
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
        self.orders.values().filter(|o| o.user == user && o.is_live()).count()
    }

    pub fn place(&mut self, o: MOrder) -> Outcome {
        if !o.cid.is_empty() {
            if let Some(&id) = self.cids.get(&(o.user, o.cid.clone())) {
                return Outcome::Duplicate(id);
            }
        }
        if let Some(stop) = o.stop {
            return self.place_stop(o, stop);
        }
        self.place_checked(o, false)
    }

    /// A stop order waits, pending, with its lock: unless a trade reached its stop price already (the
    /// last one, or one whose stops are not all placed yet).
    fn place_stop(&mut self, mut o: MOrder, stop: u64) -> Outcome {
        let reached = if o.sell {
            self.last_price.is_some_and(|p| p <= stop) || self.reached.1.is_some_and(|lo| lo <= stop)
        } else {
            self.last_price.is_some_and(|p| p >= stop) || self.reached.0.is_some_and(|hi| hi >= stop)
        };
        if reached {
            return Outcome::Refused("would_trigger_immediately");
        }
        // Covered as the order it becomes; a market buy with any free quote (there is no ask to judge by).
        let a = self.accounts.get(&o.user).copied().unwrap_or_default();
        let covered = if o.market && !o.sell {
            a.quote_free > 0
        } else {
            let (quote, need) = self.held(o.sell, o.price, o.qty);
            need <= MAX_AMOUNT && need <= if quote { a.quote_free } else { a.base_free }
        };
        if !covered {
            return Outcome::Refused("insufficient_funds");
        }
        if self.open_count(o.user) >= self.max_open {
            return Outcome::Refused("too_many_open_orders");
        }
        self.shift(o.user, o.sell, o.price, o.qty, true);
        o.status = PENDING;
        if !o.cid.is_empty() {
            self.cids.insert((o.user, o.cid.clone()), o.id);
        }
        self.orders.insert(o.id, o);
        Outcome::Done { trades: Vec::new() }
    }

    /// After an accepted command that made `trades`: the stops they (and any range kept) reach are
    /// placed, within the call's budget. Returns (stop id, its trades) for each, in order.
    pub fn after_command(&mut self, trades: &[MTrade]) -> Vec<(u64, Vec<MTrade>)> {
        self.reach(trades);
        self.trigger()
    }

    /// Places the stops reached, within the call's budget, each as a command of its own. Returns (stop
    /// id, its trades) for each, in order.
    pub fn trigger(&mut self) -> Vec<(u64, Vec<MTrade>)> {
        let mut out = Vec::new();
        loop {
            let pending = |sell: bool| self.orders.values().filter(move |o| o.status == PENDING && o.sell == sell);
            let buy = self.reached.0.and_then(|hi| {
                pending(false).filter(|o| o.stop.unwrap() <= hi).min_by_key(|o| (o.stop.unwrap(), o.id)).map(|o| o.id)
            });
            let sell = self.reached.1.and_then(|lo| {
                pending(true)
                    .filter(|o| o.stop.unwrap() >= lo)
                    .min_by_key(|o| (std::cmp::Reverse(o.stop.unwrap()), o.id))
                    .map(|o| o.id)
            });
            if buy.is_none() {
                self.reached.0 = None;
            }
            if sell.is_none() {
                self.reached.1 = None;
            }
            let next = match (buy, sell) {
                (None, None) => return out,
                _ if self.budget == 0 => return out,
                (Some(b), Some(s)) => b.min(s),
                (b, s) => b.or(s).unwrap(),
            };
            self.budget -= 1;
            let stop = self.orders[&next].clone();
            self.shift(stop.user, stop.sell, stop.price, stop.qty, false);
            let trades = match self.place_checked(MOrder { status: 0, ..stop }, true) {
                Outcome::Done { trades } => trades,
                // Refused when placed: cancelled.
                _ => {
                    self.orders.get_mut(&next).unwrap().status = 3;
                    Vec::new()
                }
            };
            self.reach(&trades);
            out.push((next, trades));
        }
    }

    /// A command's trades: the last price, and the range reached.
    fn reach(&mut self, trades: &[MTrade]) {
        for t in trades {
            self.reached.0 = Some(self.reached.0.map_or(t.1, |hi| hi.max(t.1)));
            self.reached.1 = Some(self.reached.1.map_or(t.1, |lo| lo.min(t.1)));
        }
        if let Some(t) = trades.last() {
            self.last_price = Some(t.1);
        }
    }

    /// Places order `o` (its client order id checked); `stored`: a stop placed when triggered, which
    /// counts among its owner's open orders already (no cap).
    fn place_checked(&mut self, o: MOrder, stored: bool) -> Outcome {
        let may_rest = !o.market && o.tif == 0;
        let mut crossing = self.crossing(&o);
        if o.post_only && !crossing.is_empty() {
            return Outcome::Refused("post_only_would_cross");
        }
        if !self.covers(&o) {
            return Outcome::Refused("insufficient_funds");
        }
        // A budget that buys no lot at the best ask does not trade.
        if let (Some(budget), Some(first)) = (o.budget, crossing.first()) {
            if self.lots_for(budget, self.orders[first].price, 1) == 0 {
                crossing.clear();
            }
        }
        let market_buy = o.market && !o.sell;
        // Whether other users' orders within the fill cap fill it completely on arrival (a market buy:
        // and its owner's free quote pays for it all).
        let fills = {
            let mut available = 0;
            let mut budget = o.budget.unwrap_or_else(|| self.accounts.get(&o.user).map_or(0, |a| a.quote_free));
            let mut paid = true;
            for id in crossing.iter().take(self.max_touch) {
                let m = &self.orders[id];
                if m.user != o.user {
                    let take = (m.qty - m.filled).min(o.qty - available);
                    if market_buy {
                        let cost = u128::from(m.price) * u128::from(take) * self.units.quote_per_notional;
                        if cost > budget {
                            // A budget that runs out here buys all it can.
                            paid = o.budget.is_some();
                            available = o.qty;
                            break;
                        }
                        budget -= cost;
                    }
                    available += take;
                    if available >= o.qty {
                        break;
                    }
                }
            }
            paid && available >= o.qty
        };
        // The open-orders cap counts against an order that would rest, not one that fills completely.
        if may_rest && !fills && !stored && self.open_count(o.user) >= self.max_open {
            return Outcome::Refused("too_many_open_orders");
        }
        let fok_fails = o.tif == 2 && !fills;
        let trade_base = o.id * 1024;
        self.run(o, if fok_fails { Vec::new() } else { crossing }, trade_base)
    }

    /// Matches order `o` (checked) against the resting orders it crosses, `crossing`, in priority order,
    /// then rests what is left of it where it may, or closes it; its trades take ids from `trade_base`.
    /// (A failed fok order crosses nothing.)
    fn run(&mut self, mut o: MOrder, crossing: Vec<u64>, trade_base: u64) -> Outcome {
        let may_rest = !o.market && o.tif == 0;
        let market_buy = o.market && !o.sell;
        let mut trades = Vec::new();
        let mut changed = false;
        let mut touched = 0;
        let next_seq = self.seq + 1;
        // The price of the last level looked at (what a budget's rest is measured against).
        let mut stop_price = 0;
        for mid in crossing {
            if o.filled == o.qty || touched == self.max_touch {
                break;
            }
            // A market buy fills while its owner's free quote lasts.
            let mut want = o.qty - o.filled;
            stop_price = self.orders[&mid].price;
            if market_buy {
                let free = o.budget.unwrap_or_else(|| self.accounts.get(&o.user).map_or(0, |a| a.quote_free));
                want = self.lots_for(free, self.orders[&mid].price, want);
                if want == 0 {
                    break;
                }
            }
            touched += 1;
            changed = true;
            let m = self.orders.get_mut(&mid).unwrap();
            let (price, sell, maker, left) = (m.price, m.sell, m.user, m.qty - m.filled);
            let gone = if m.user == o.user {
                m.status = 3;
                self.shift(maker, sell, price, left, false);
                true
            } else {
                let fill = left.min(want);
                m.filled += fill;
                m.notional += u128::from(price) * u128::from(fill);
                o.filled += fill;
                o.notional += u128::from(price) * u128::from(fill);
                let id = trade_base + trades.len() as u64;
                m.status = if m.filled == m.qty { 2 } else { 1 };
                let gone = m.filled == m.qty;
                let (taker_fee, maker_fee) = self.settle(o.user, maker, o.sell, price, fill);
                if let Some(budget) = o.budget.as_mut() {
                    *budget -= u128::from(price) * u128::from(fill) * self.units.quote_per_notional;
                }
                trades.push((id, price, fill, mid, o.id, taker_fee, maker_fee));
                self.keep_fill(o.user, id);
                self.keep_fill(maker, id);
                gone
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
        if o.filled < o.qty && may_rest && touched < self.max_touch {
            o.status = if o.filled > 0 { 1 } else { 0 };
            self.book_mut(o.sell).entry(o.price).or_default().push_back(o.id);
            self.shift(o.user, o.sell, o.price, o.qty - o.filled, true);
            changed = true;
        } else {
            o.status = if o.filled == o.qty { 2 } else { 3 };
        }
        if let Some(left) = o.budget.take() {
            // It reports what it bought, and is filled when what is left buys no lot where it stopped.
            o.qty = o.filled;
            let at = self.asks.keys().next().copied().unwrap_or(stop_price);
            o.status = if o.filled > 0 && self.lots_for(left, at, 1) == 0 { 2 } else { 3 };
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

    /// Changes an open order (the contract's "Changing an order"): `qty` its new total, `price` its new
    /// limit (None: unchanged). A lower quantity keeps its place; a higher one or a new price moves it to
    /// the back of its (new) level, matching at once where it crosses, its trades taking ids from
    /// `trade_base`, and the stops its trades reach are placed after it (`Changed::triggered`). Ok(None)
    /// when nothing needed to change (no sequence taken). A pending stop is not open.
    pub fn amend(
        &mut self,
        user: u64,
        id: u64,
        qty: Option<u64>,
        price: Option<u64>,
        trade_base: u64,
    ) -> Result<Option<Changed>, &'static str> {
        let o = match self.orders.get(&id) {
            Some(o) if o.user == user => o.clone(),
            _ => return Err("not_found"),
        };
        if o.status >= 2 {
            return Err("order_not_open");
        }
        let (new_qty, new_price) = (qty.unwrap_or(o.qty), price.unwrap_or(o.price));
        if new_qty <= o.filled {
            return Err("invalid_quantity");
        }
        if (new_qty, new_price) == (o.qty, o.price) {
            return Ok(None);
        }
        if new_price == o.price && new_qty < o.qty {
            self.shift(user, o.sell, o.price, o.qty - new_qty, false);
            self.orders.get_mut(&id).unwrap().qty = new_qty;
            self.seq += 1;
            return Ok(Some(Changed::default()));
        }
        let crosses = if o.sell {
            self.bids.keys().next_back().is_some_and(|&bid| bid >= new_price)
        } else {
            self.asks.keys().next().is_some_and(|&ask| ask <= new_price)
        };
        if o.post_only && crosses {
            return Err("post_only_would_cross");
        }
        // Its present lock counts toward the new one.
        let (quote, present) = self.held(o.sell, o.price, o.qty - o.filled);
        let (_, need) = self.held(o.sell, new_price, new_qty - o.filled);
        let a = self.accounts.get(&user).copied().unwrap_or_default();
        if need > MAX_AMOUNT || need > present + if quote { a.quote_free } else { a.base_free } {
            return Err("insufficient_funds");
        }
        self.remove_resting(id);
        let moved = MOrder { qty: new_qty, price: new_price, ..o };
        let crossing = self.crossing(&moved);
        self.start_call();
        match self.run(moved, crossing, trade_base * 1024) {
            Outcome::Done { trades } => {
                let triggered = self.after_command(&trades);
                Ok(Some(Changed { trades, triggered }))
            }
            other => unreachable!("a move is not refused: {other:?}"),
        }
    }

    fn remove_resting(&mut self, id: u64) {
        let (sell, price) = (self.orders[&id].sell, self.orders[&id].price);
        let (user, left) = (self.orders[&id].user, self.orders[&id].qty - self.orders[&id].filled);
        self.shift(user, sell, price, left, false);
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
            Some(o) if !o.is_live() => Err("order_not_open"),
            Some(o) if o.status == PENDING => {
                self.cancel_pending(id);
                Ok(())
            }
            Some(_) => {
                self.remove_resting(id);
                self.seq += 1;
                Ok(())
            }
        }
    }

    pub fn cancel_all(&mut self, user: u64) -> Vec<u64> {
        let ids: Vec<u64> = self.orders.values().filter(|o| o.user == user && o.is_live()).map(|o| o.id).collect();
        let mut resting = 0;
        for &id in &ids {
            if self.orders[&id].status == PENDING {
                self.cancel_pending(id);
            } else {
                self.remove_resting(id);
                resting += 1;
            }
        }
        if resting > 0 {
            self.seq += 1;
        }
        ids
    }

    /// A pending stop cancelled: its lock back; no book change.
    fn cancel_pending(&mut self, id: u64) {
        let o = self.orders[&id].clone();
        self.shift(o.user, o.sell, o.price, o.qty, false);
        self.orders.get_mut(&id).unwrap().status = 3;
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

    /// What each account's open orders hold: (base, quote) per user.
    pub fn held_by_open_orders(&self) -> BTreeMap<u64, (u128, u128)> {
        let mut out: BTreeMap<u64, (u128, u128)> = BTreeMap::new();
        for o in self.orders.values().filter(|o| o.is_live()) {
            let (quote, units) = self.held(o.sell, o.price, o.qty - o.filled);
            let e = out.entry(o.user).or_default();
            if quote {
                e.1 += units;
            } else {
                e.0 += units;
            }
        }
        out
    }
}
