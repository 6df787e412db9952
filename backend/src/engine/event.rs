//! What the scripts return and publish: one event per accepted command, in integers (ticks, lots, ms),
//! and its conversion into the contract's types with the market's tick and lot size.

use super::wire::{self, WireError};
use common::{
    time::format_millis, BookUpdate, Dec, Market, Order, OrderStatus, OrderType, PublicOrderUpdate, Side, TimeInForce,
    Trade,
};

/// One order as the scripts store and send it (see `lua/engine_lib.lua`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawOrder {
    pub id: u64,
    pub user_id: u64,
    /// side, type, time in force, post_only and status bits.
    pub flags: u8,
    pub price: u64,
    pub qty: u64,
    pub filled: u64,
    pub notional_lo: u64,
    pub notional_hi: u64,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub cid: String,
}

impl RawOrder {
    pub fn id(&self) -> u64 {
        self.id
    }
    pub fn user_id(&self) -> u64 {
        self.user_id
    }
    pub fn side(&self) -> Side {
        if self.flags & 1 == 0 {
            Side::Buy
        } else {
            Side::Sell
        }
    }
    pub fn order_type(&self) -> OrderType {
        if self.flags & 2 == 0 {
            OrderType::Limit
        } else {
            OrderType::Market
        }
    }
    pub fn time_in_force(&self) -> TimeInForce {
        match (self.flags >> 2) & 3 {
            0 => TimeInForce::Gtc,
            1 => TimeInForce::Ioc,
            _ => TimeInForce::Fok,
        }
    }
    pub fn post_only(&self) -> bool {
        self.flags & 16 != 0
    }
    pub fn status(&self) -> OrderStatus {
        match (self.flags >> 5) & 3 {
            0 => OrderStatus::Open,
            1 => OrderStatus::PartiallyFilled,
            2 => OrderStatus::Filled,
            _ => OrderStatus::Cancelled,
        }
    }
    pub fn price_ticks(&self) -> u64 {
        self.price
    }
    pub fn quantity_lots(&self) -> u64 {
        self.qty
    }
    pub fn filled_lots(&self) -> u64 {
        self.filled
    }
    /// Sum of ticks × lots over the order's fills.
    pub fn notional(&self) -> u128 {
        (u128::from(self.notional_hi) << 20) + u128::from(self.notional_lo)
    }
    pub fn created_ms(&self) -> u64 {
        self.created_ms
    }
    pub fn updated_ms(&self) -> u64 {
        self.updated_ms
    }
    pub fn client_order_id(&self) -> Option<&str> {
        (!self.cid.is_empty()).then_some(self.cid.as_str())
    }

    /// The contract's Order object.
    pub fn to_order(&self, market: &Market) -> Order {
        let filled = self.filled_lots();
        Order {
            id: self.id(),
            client_order_id: self.client_order_id().map(str::to_string),
            symbol: market.symbol.clone(),
            side: self.side(),
            order_type: self.order_type(),
            time_in_force: self.time_in_force(),
            post_only: self.post_only(),
            price: (self.order_type() == OrderType::Limit).then(|| market.ticks_to_price(self.price_ticks())),
            quantity: market.lots_to_quantity(self.quantity_lots()),
            filled_quantity: market.lots_to_quantity(filled),
            remaining_quantity: market.lots_to_quantity(self.quantity_lots() - filled),
            average_price: market.average_price(self.notional(), filled),
            status: self.status(),
            created_at: format_millis(self.created_ms()),
            updated_at: format_millis(self.updated_ms()),
            trades: None,
        }
    }

    /// The public feed's view: no user identity.
    pub fn to_public_update(&self, market: &Market, sequence: u64) -> PublicOrderUpdate {
        PublicOrderUpdate {
            order_id: self.id(),
            symbol: market.symbol.clone(),
            side: self.side(),
            status: self.status(),
            quantity: market.lots_to_quantity(self.quantity_lots()),
            filled_quantity: market.lots_to_quantity(self.filled_lots()),
            price: (self.order_type() == OrderType::Limit).then(|| market.ticks_to_price(self.price_ticks())),
            sequence,
            timestamp: format_millis(self.updated_ms()),
        }
    }
}

/// One trade: `(id, price, qty, maker_order_id, taker_order_id, maker_user_id, taker_user_id)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawTrade(pub u64, pub u64, pub u64, pub u64, pub u64, pub u64, pub u64);

impl RawTrade {
    pub fn maker_user_id(&self) -> u64 {
        self.5
    }
    pub fn taker_user_id(&self) -> u64 {
        self.6
    }

    pub fn to_trade(&self, market: &Market, taker_side: Side, sequence: u64, ts_ms: u64) -> Trade {
        Trade {
            id: self.0,
            symbol: market.symbol.clone(),
            price: market.ticks_to_price(self.1),
            quantity: market.lots_to_quantity(self.2),
            taker_side,
            maker_order_id: self.3,
            taker_order_id: self.4,
            sequence,
            timestamp: format_millis(ts_ms),
        }
    }
}

/// A level after the command: `(side (0 bids, 1 asks), price ticks, total lots)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawLevel(pub u8, pub u64, pub u64);

/// Everything one accepted command did to a market.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The command's sequence: new when `book_changed`, else the market's current one.
    pub seq: u64,
    pub book_changed: bool,
    pub ts: u64,
    /// Every order the command changed; for a placement the incoming order comes first.
    pub orders: Vec<RawOrder>,
    pub trades: Vec<RawTrade>,
    pub levels: Vec<RawLevel>,
}

impl Event {
    /// Decodes an event from the scripts' binary wire format.
    pub fn parse(bytes: &[u8]) -> Result<Event, WireError> {
        wire::decode_event(bytes)
    }

    /// The trades as the contract writes them. In a placement every trade has the incoming order as taker.
    pub fn trades(&self, market: &Market) -> Vec<Trade> {
        let taker_side =
            |t: &RawTrade| self.orders.iter().find(|o| o.id() == t.4).map(RawOrder::side).unwrap_or(Side::Buy);
        self.trades.iter().map(|t| t.to_trade(market, taker_side(t), self.seq, self.ts)).collect()
    }

    /// The level changes as a `book_update`, or None when the book did not change.
    pub fn book_update(&self, market: &Market) -> Option<BookUpdate> {
        if !self.book_changed {
            return None;
        }
        // A level may change several times in one command; the last total is its new one.
        let side = |s: u8| -> Vec<(Dec, Dec)> {
            let mut out: Vec<(u64, u64)> = Vec::new();
            for l in self.levels.iter().filter(|l| l.0 == s) {
                match out.iter_mut().find(|(p, _)| *p == l.1) {
                    Some(entry) => entry.1 = l.2,
                    None => out.push((l.1, l.2)),
                }
            }
            out.into_iter().map(|(p, q)| (market.ticks_to_price(p), market.lots_to_quantity(q))).collect()
        };
        Some(BookUpdate {
            symbol: market.symbol.clone(),
            sequence: self.seq,
            bids: side(0),
            asks: side(1),
            timestamp: format_millis(self.ts),
        })
    }
}
