//! Decoding of the scripts' binary wire format (the layouts are documented in `lua/engine_lib.lua`):
//! little-endian unsigned integers of 1 to 7 bytes, packed with Lua's `struct.pack`.

use common::{OrderStatus, OrderType, Side, TimeInForce};

use super::check::CheckedOrder;
use super::error::WireError;

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

/// Size of a packed order record.
pub const RECORD_LEN: usize = 47;

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.bytes.len() < n {
            return Err(WireError("too short"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn uint(&mut self, n: usize) -> Result<u64, WireError> {
        Ok(self.take(n)?.iter().rev().fold(0, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn record(&mut self, id: u64) -> Result<RawOrder, WireError> {
        Ok(RawOrder {
            id,
            user_id: self.uint(4)?,
            flags: self.uint(1)? as u8,
            price: self.uint(6)?,
            qty: self.uint(7)?,
            filled: self.uint(7)?,
            notional_lo: self.uint(3)?,
            notional_hi: self.uint(7)?,
            created_ms: self.uint(6)?,
            updated_ms: self.uint(6)?,
            cid: String::new(),
        })
    }

    fn order_entry(&mut self) -> Result<RawOrder, WireError> {
        let id = self.uint(7)?;
        let mut order = self.record(id)?;
        let len = self.uint(1)? as usize;
        order.cid = String::from_utf8(self.take(len)?.to_vec()).map_err(|_| WireError("client_order_id"))?;
        Ok(order)
    }

    fn trade(&mut self) -> Result<RawTrade, WireError> {
        Ok(RawTrade(
            self.uint(7)?,
            self.uint(6)?,
            self.uint(7)?,
            self.uint(7)?,
            self.uint(7)?,
            self.uint(4)?,
            self.uint(4)?,
        ))
    }

    fn done(&self) -> Result<(), WireError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(WireError("trailing bytes"))
        }
    }
}

/// A placement argument: id, user id, side, type, tif, post_only, price, quantity, then the client order id.
pub fn encode_order_arg(id: u64, user_id: u64, o: &CheckedOrder) -> Vec<u8> {
    let mut out = Vec::with_capacity(28 + o.client_order_id.len());
    let mut put = |value: u64, width: usize| out.extend_from_slice(&value.to_le_bytes()[..width]);
    put(id, 7);
    put(user_id, 4);
    put(o.side as u64, 1);
    put(o.order_type as u64, 1);
    put(o.time_in_force as u64, 1);
    put(u64::from(o.post_only), 1);
    put(o.price_ticks, 6);
    put(o.quantity_lots, 7);
    out.extend_from_slice(o.client_order_id.as_bytes());
    out
}

/// An order entry: id, record, client_order_id.
pub fn decode_order(bytes: &[u8]) -> Result<RawOrder, WireError> {
    let mut r = Reader { bytes };
    let order = r.order_entry()?;
    r.done()?;
    Ok(order)
}

/// A command's event: header, levels, order entries, trades.
pub fn decode_event(bytes: &[u8]) -> Result<Event, WireError> {
    let mut r = Reader { bytes };
    let event = r.event()?;
    r.done()?;
    Ok(event)
}

/// The events of one published message (one per accepted command of a script call), in order.
pub fn decode_events(bytes: &[u8]) -> Result<Vec<Event>, WireError> {
    let mut r = Reader { bytes };
    let mut events = Vec::new();
    while !r.bytes.is_empty() {
        events.push(r.event()?);
    }
    Ok(events)
}

impl Reader<'_> {
    fn event(&mut self) -> Result<Event, WireError> {
        let r = self;
        let seq = r.uint(7)?;
        let book_changed = r.uint(1)? != 0;
        let ts = r.uint(6)?;
        let (n_orders, n_trades, n_levels) = (r.uint(2)?, r.uint(2)?, r.uint(2)?);
        let levels =
            (0..n_levels).map(|_| Ok(RawLevel(r.uint(1)? as u8, r.uint(6)?, r.uint(7)?))).collect::<Result<_, _>>()?;
        let orders = (0..n_orders).map(|_| r.order_entry()).collect::<Result<_, _>>()?;
        let trades = (0..n_trades).map(|_| r.trade()).collect::<Result<_, _>>()?;
        Ok(Event { seq, book_changed, ts, orders, trades, levels })
    }
}

/// The trades of one taker order in a trades-stream entry.
pub struct TradeGroup {
    /// 0 buy, 1 sell.
    pub taker_side: u8,
    pub seq: u64,
    pub ts: u64,
    pub trades: Vec<RawTrade>,
}

/// A trades-stream entry: the trades of one script call, grouped by taker order, in order.
pub fn decode_stream_trades(bytes: &[u8]) -> Result<Vec<TradeGroup>, WireError> {
    let mut r = Reader { bytes };
    let mut groups = Vec::new();
    while !r.bytes.is_empty() {
        let (taker_side, seq, ts, count) = (r.uint(1)? as u8, r.uint(7)?, r.uint(6)?, r.uint(2)?);
        let trades = (0..count).map(|_| r.trade()).collect::<Result<_, _>>()?;
        groups.push(TradeGroup { taker_side, seq, ts, trades });
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_little_endian_of_any_width() {
        let mut r = Reader { bytes: &[0x01, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f] };
        assert_eq!(r.uint(2).unwrap(), 0x0201);
        assert_eq!(r.uint(7).unwrap(), (1 << 53) - 1);
        assert!(r.uint(1).is_err());
    }

    #[test]
    fn a_truncated_event_is_refused() {
        assert!(decode_event(&[0; 19]).is_err());
        let mut header = vec![0u8; 20];
        assert!(decode_event(&header).is_ok());
        header.push(0);
        assert_eq!(decode_event(&header), Err(WireError("trailing bytes")));
    }

    #[test]
    fn a_stream_entry_holds_groups_of_trades() {
        let group = |side: u8, seq: u8, trades: usize| {
            let mut out = vec![side, seq, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, trades as u8, 0];
            for i in 0..trades {
                let mut trade = vec![0u8; 42];
                trade[0] = i as u8 + 1;
                out.extend(trade);
            }
            out
        };
        let mut entry = group(0, 7, 2);
        entry.extend(group(1, 8, 1));
        let groups = decode_stream_trades(&entry).unwrap();
        assert_eq!(groups.len(), 2);
        let g = &groups[0];
        assert_eq!((g.taker_side, g.seq, g.ts, g.trades.len()), (0, 7, 9, 2));
        let g = &groups[1];
        assert_eq!((g.taker_side, g.seq, g.trades[0].0), (1, 8, 1));
        entry.pop();
        assert!(decode_stream_trades(&entry).is_err());
    }
}
