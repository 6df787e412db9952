//! The engine's binary formats: what the Lua library stores, answers and publishes, and the placement
//! argument it reads. Defined once, in `lua/engine_lib.lua` ("Formats"); this file mirrors those
//! layouts and codes, and the engine test `formats` asks the library for its own (the `engine_format`
//! function) and fails when the two sides disagree on any layout, flag or code.
//!
//! Every integer is unsigned and little-endian, 1 to 7 bytes wide (`struct.pack`'s `B`, `H` and `In`):
//! 7 bytes hold every integer below 2^53, which Lua's numbers hold exactly.
//!
//! Trade ids: a trade's id is its taker order's id × `TRADES_PER_ORDER` plus the trade's index among
//! that order's trades. They are unique and grow with time, since one order makes at most the fill cap
//! (at most 1,000) trades; they stay exact while order ids stay below 2^53 / 1,024, about 8.8 × 10^12.

use common::{OrderStatus, OrderType, Side, TimeInForce};

use super::check::CheckedOrder;
use super::error::WireError;

/// The fields of an order record, shared by `RECORD` and `ENTRY`: user id, flags, price ticks (0 for a
/// market order), quantity lots, filled lots, notional lo and hi (the sum of ticks × lots over the
/// order's fills is hi × 2^20 + lo), created and updated (ms since the epoch).
macro_rules! record_fields {
    () => {
        "I4BI6I7I7I3I7I6I6"
    };
}

/// The most fields a layout has.
const MAX_FIELDS: usize = 16;

/// A packed layout as `struct.pack` writes it: `<` (little-endian), then fields `B` (1 byte), `H` (2
/// bytes) or `In` (n bytes, 1 ≤ n ≤ 8). Its widths are read from the format at compile time.
pub struct Layout {
    format: &'static str,
    widths: [u8; MAX_FIELDS],
    count: usize,
    size: usize,
}

impl Layout {
    pub const fn new(format: &'static str) -> Layout {
        let bytes = format.as_bytes();
        assert!(!bytes.is_empty() && bytes[0] == b'<', "a layout is little-endian");
        let (mut widths, mut count, mut size, mut i) = ([0u8; MAX_FIELDS], 0, 0, 1);
        while i < bytes.len() {
            let width = match bytes[i] {
                b'B' => 1,
                b'H' => 2,
                b'I' => {
                    i += 1;
                    assert!(i < bytes.len() && bytes[i] >= b'1' && bytes[i] <= b'8', "In takes a width 1-8");
                    bytes[i] - b'0'
                }
                _ => panic!("a layout's fields are B, H or In"),
            };
            widths[count] = width;
            count += 1;
            size += width as usize;
            i += 1;
        }
        Layout { format, widths, count, size }
    }

    /// The format as `struct.pack` takes it.
    pub fn format(&self) -> &'static str {
        self.format
    }

    /// Bytes of one packed value.
    pub const fn size(&self) -> usize {
        self.size
    }

    fn widths(&self) -> &[u8] {
        &self.widths[..self.count]
    }

    /// Packs one value per field, each cut to its field's width (the caller keeps them in range: the
    /// library refuses what does not fit a rule).
    pub fn pack(&self, values: &[u64], out: &mut Vec<u8>) {
        assert_eq!(values.len(), self.count, "one value per field of {}", self.format);
        for (value, &width) in values.iter().zip(self.widths()) {
            out.extend_from_slice(&value.to_le_bytes()[..usize::from(width)]);
        }
    }
}

/// An order id.
pub const ID: Layout = Layout::new("<I7");
/// An order as the library stores it (a bucket's or a closed hash's value is a record, then the
/// order's client order id).
pub const RECORD: Layout = Layout::new(concat!("<", record_fields!()));
/// An order as the library answers and publishes it: its id, its record and the length of its client
/// order id (which follows).
pub const ENTRY: Layout = Layout::new(concat!("<I7", record_fields!(), "B"));
/// A placement argument: order id, user id, side, type, time in force, post_only (0 or 1), price
/// ticks, quantity lots, a market buy's budget in units of quote (its low 32 bits, then its high bits;
/// 0: none); the client order id follows.
pub const ORDER_ARG: Layout = Layout::new("<I7I4BBBBI6I7I4I4");
/// A trade: id, price ticks, quantity lots, maker order id, taker order id, maker user, taker user; the
/// taker's fee (an amount's low 32 bits, then its high bits: in the asset the taker receives), the
/// maker's fee or rebate (likewise), and whether it is a rebate (0 or 1).
pub const TRADE: Layout = Layout::new("<I7I6I7I7I7I4I4I4I4I4I4B");
/// A fill as kept for each party of a trade (`{S}:user:<uid>:fills`, scored by the trade's id): the
/// taker's side, the trade's sequence and time (ms); its `TRADE` follows.
pub const FILL_HEAD: Layout = Layout::new("<BI7I6");
/// The head of a trades-stream entry's group: taker side, sequence, time (ms), the number of trades
/// (which follow).
pub const TRADE_GROUP: Layout = Layout::new("<BI7I6H");
/// A price level after a command: side (0 bids, 1 asks), price ticks, its new total lots.
pub const LEVEL: Layout = Layout::new("<BI6I8");
/// The head of a command's event: sequence, whether the book changed (0 or 1), time (ms), then the
/// numbers of order entries, trades and levels; the levels, the entries and the trades follow.
pub const EVENT: Layout = Layout::new("<I7BI6HHH");
/// A candle (`lua/fold_candles.lua`): open time (ms), open, high, low and close ticks, volume in lots
/// and in ticks × lots (each an amount's low 32 bits, then its high bits), number of trades.
pub const CANDLE: Layout = Layout::new("<I6I6I6I6I6I4I7I4I7I6");

/// A user's sub-account in a market (`lua/subaccounts.lua`): base free, base locked, quote free, quote
/// locked (each an amount's low 32 bits, then its high bits), the last transfer's id and what it moved,
/// and the count of fills the user's fills set holds (for its trim).
pub const ACCOUNT: Layout = Layout::new("<I4I7I4I7I4I7I4I7I7I4I7I4");
/// A market's fee account (`lua/settlement.lua`): base fees collected, base rebates paid, quote fees
/// collected, quote rebates paid (each an amount's low 32 bits, then its high bits).
pub const FEES: Layout = Layout::new("<I4I7I4I7I4I7I4I7");
/// What precedes a stop order's client order id wherever one is stored, answered or passed: a tag
/// (`STOP_TAG` while the stop is pending, `TRIGGERED_TAG` once a trade placed it) and the stop price in
/// ticks (see `lua/engine_lib.lua`).
pub const STOP_TAIL: Layout = Layout::new("<BI7");
pub const STOP_TAG: u8 = 1;
pub const TRIGGERED_TAG: u8 = 2;

/// A record's flags byte is side + type × `TYPE_UNIT` + time in force × `TIF_UNIT` + post_only ×
/// `POST_ONLY_UNIT` + status × `STATUS_UNIT`, with the codes below.
pub const TYPE_UNIT: u8 = 2;
pub const TIF_UNIT: u8 = 4;
pub const POST_ONLY_UNIT: u8 = 16;
pub const STATUS_UNIT: u8 = 32;

/// The wire code of every value of the contract's enums. A stop order's type is the order it becomes
/// (`OrderType::when_triggered`): its stop price in its tail says it is a stop.
pub const SIDES: [(Side, u8); 2] = [(Side::Buy, 0), (Side::Sell, 1)];
pub const ORDER_TYPES: [(OrderType, u8); 2] = [(OrderType::Limit, 0), (OrderType::Market, 1)];
pub const TIMES_IN_FORCE: [(TimeInForce, u8); 3] =
    [(TimeInForce::Gtc, 0), (TimeInForce::Ioc, 1), (TimeInForce::Fok, 2)];
pub const STATUSES: [(OrderStatus, u8); 5] = [
    (OrderStatus::Open, 0),
    (OrderStatus::PartiallyFilled, 1),
    (OrderStatus::Filled, 2),
    (OrderStatus::Cancelled, 3),
    (OrderStatus::Pending, 4),
];

fn code_of<T: PartialEq + Copy>(table: &[(T, u8)], value: T) -> u8 {
    table.iter().find(|(v, _)| *v == value).map(|&(_, c)| c).expect("every value has a code")
}

fn value_of<T: Copy>(table: &[(T, u8)], code: u8) -> Result<T, WireError> {
    table.iter().find(|(_, c)| *c == code).map(|&(v, _)| v).ok_or(WireError("unknown code"))
}

/// Open orders share a bucket hash per this many consecutive ids (see `lua/engine_lib.lua`).
pub const BUCKET_IDS: u64 = 64;
/// Trade ids per taker order (see the module's comment).
pub const TRADES_PER_ORDER: u64 = 1024;

/// What a script answers for each command: the kind of a reply pair, then its payload.
pub const REPLY_OK: &str = "ok";
pub const REPLY_DUP: &str = "dup";
pub const REPLY_REFUSED: &str = "refused";
/// The codes a script refuses a command with (the payload of a `refused` reply).
pub mod refusal {
    pub const NOT_FOUND: &str = "not_found";
    pub const ORDER_NOT_OPEN: &str = "order_not_open";
    pub const POST_ONLY_WOULD_CROSS: &str = "post_only_would_cross";
    pub const TOO_MANY_OPEN_ORDERS: &str = "too_many_open_orders";
    pub const LEVEL_FULL: &str = "level_full";
    pub const MARKET_FULL: &str = "market_full";
    pub const INSUFFICIENT_FUNDS: &str = "insufficient_funds";
    /// An amend to a quantity not above what the order has filled.
    pub const INVALID_QUANTITY: &str = "invalid_quantity";
    /// A stop whose stop price a trade has reached already.
    pub const WOULD_TRIGGER_IMMEDIATELY: &str = "would_trigger_immediately";
    pub const ALL: [&str; 9] = [
        NOT_FOUND,
        ORDER_NOT_OPEN,
        POST_ONLY_WOULD_CROSS,
        TOO_MANY_OPEN_ORDERS,
        LEVEL_FULL,
        MARKET_FULL,
        INSUFFICIENT_FUNDS,
        INVALID_QUANTITY,
        WOULD_TRIGGER_IMMEDIATELY,
    ];
}

/// This side's formats and codes by name, as the library's `engine_format` function reports its own.
pub fn description() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = [
        ("ID", &ID),
        ("RECORD", &RECORD),
        ("ENTRY", &ENTRY),
        ("ORDER_ARG", &ORDER_ARG),
        ("TRADE", &TRADE),
        ("FILL_HEAD", &FILL_HEAD),
        ("TRADE_GROUP", &TRADE_GROUP),
        ("LEVEL", &LEVEL),
        ("EVENT", &EVENT),
        ("CANDLE", &CANDLE),
        ("ACCOUNT", &ACCOUNT),
        ("FEES", &FEES),
        ("STOP_TAIL", &STOP_TAIL),
    ]
    .into_iter()
    .map(|(name, layout)| (name, layout.format().to_string()))
    .collect();
    let codes = [
        ("BUY", code_of(&SIDES, Side::Buy)),
        ("SELL", code_of(&SIDES, Side::Sell)),
        ("LIMIT", code_of(&ORDER_TYPES, OrderType::Limit)),
        ("MARKET", code_of(&ORDER_TYPES, OrderType::Market)),
        ("GTC", code_of(&TIMES_IN_FORCE, TimeInForce::Gtc)),
        ("IOC", code_of(&TIMES_IN_FORCE, TimeInForce::Ioc)),
        ("FOK", code_of(&TIMES_IN_FORCE, TimeInForce::Fok)),
        ("OPEN", code_of(&STATUSES, OrderStatus::Open)),
        ("PARTIALLY_FILLED", code_of(&STATUSES, OrderStatus::PartiallyFilled)),
        ("FILLED", code_of(&STATUSES, OrderStatus::Filled)),
        ("CANCELLED", code_of(&STATUSES, OrderStatus::Cancelled)),
        ("PENDING", code_of(&STATUSES, OrderStatus::Pending)),
        ("TYPE_UNIT", TYPE_UNIT),
        ("TIF_UNIT", TIF_UNIT),
        ("POST_ONLY_UNIT", POST_ONLY_UNIT),
        ("STATUS_UNIT", STATUS_UNIT),
    ];
    out.extend(codes.into_iter().map(|(name, code)| (name, code.to_string())));
    out.push(("BUCKET_IDS", BUCKET_IDS.to_string()));
    out.push(("TRADES_PER_ORDER", TRADES_PER_ORDER.to_string()));
    out.push(("REPLY_OK", REPLY_OK.into()));
    out.push(("REPLY_DUP", REPLY_DUP.into()));
    out.push(("REPLY_REFUSED", REPLY_REFUSED.into()));
    out.push(("REFUSALS", refusal::ALL.join(",")));
    out
}

/// One order as the library stores and sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawOrder {
    pub id: u64,
    pub user_id: u64,
    /// Side, type, time in force, post_only and status (see `TYPE_UNIT` and the others).
    pub flags: u8,
    pub price: u64,
    pub qty: u64,
    pub filled: u64,
    pub notional_lo: u64,
    pub notional_hi: u64,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub cid: String,
    /// A stop order's stop price in ticks; 0: not a stop order.
    pub stop: u64,
    /// A stop order's tail says a trade placed it.
    pub triggered: bool,
}

impl RawOrder {
    pub fn id(&self) -> u64 {
        self.id
    }
    pub fn user_id(&self) -> u64 {
        self.user_id
    }
    // The flags were checked when the order was read (`Reader::order_entry`), so each field has a code.
    pub fn side(&self) -> Side {
        value_of(&SIDES, self.flags % TYPE_UNIT).expect("checked flags")
    }
    pub fn order_type(&self) -> OrderType {
        let becomes = value_of(&ORDER_TYPES, self.flags / TYPE_UNIT % (TIF_UNIT / TYPE_UNIT)).expect("checked flags");
        match (becomes, self.stop > 0) {
            (OrderType::Limit, true) => OrderType::StopLimit,
            (OrderType::Market, true) => OrderType::StopMarket,
            (other, _) => other,
        }
    }
    /// A stop order's stop price in ticks.
    pub fn stop_ticks(&self) -> Option<u64> {
        (self.stop > 0).then_some(self.stop)
    }
    /// Whether a trade placed this stop order: from then on it is an order like any other. (A stop
    /// open, partly filled or filled has been placed whatever its tail says: engines before the
    /// triggered tag left the pending one.)
    pub fn stop_triggered(&self) -> bool {
        self.triggered
            || matches!(self.status(), OrderStatus::Open | OrderStatus::PartiallyFilled | OrderStatus::Filled)
    }
    pub fn time_in_force(&self) -> TimeInForce {
        value_of(&TIMES_IN_FORCE, self.flags / TIF_UNIT % (POST_ONLY_UNIT / TIF_UNIT)).expect("checked flags")
    }
    pub fn post_only(&self) -> bool {
        !(self.flags / POST_ONLY_UNIT).is_multiple_of(STATUS_UNIT / POST_ONLY_UNIT)
    }
    pub fn status(&self) -> OrderStatus {
        value_of(&STATUSES, self.flags / STATUS_UNIT).expect("checked flags")
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

    /// Whether every field of the flags has a code.
    fn flags_are_known(&self) -> bool {
        value_of(&TIMES_IN_FORCE, self.flags / TIF_UNIT % (POST_ONLY_UNIT / TIF_UNIT)).is_ok()
            && value_of(&STATUSES, self.flags / STATUS_UNIT).is_ok()
    }
}

/// One trade (`TRADE`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawTrade {
    pub id: u64,
    pub price: u64,
    pub qty: u64,
    pub maker_order_id: u64,
    pub taker_order_id: u64,
    pub maker_user_id: u64,
    pub taker_user_id: u64,
    /// The taker's fee, in units of the asset it receives.
    pub taker_fee: u128,
    /// The maker's fee in units of the asset it receives; negative: a rebate.
    pub maker_fee: i128,
}

/// A fill as a party keeps it: the trade, its taker's side, sequence and time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawFill {
    pub taker_side: Side,
    pub seq: u64,
    pub ts: u64,
    pub trade: RawTrade,
}

/// A level after the command (`LEVEL`): `(side (0 bids, 1 asks), price ticks, total lots)`.
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

/// The trades of one taker order in a trades-stream entry.
pub struct TradeGroup {
    pub taker_side: Side,
    pub seq: u64,
    pub ts: u64,
    pub trades: Vec<RawTrade>,
}

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

    /// One value of `layout`, field by field (`N` is its number of fields).
    fn fields<const N: usize>(&mut self, layout: &Layout) -> Result<[u64; N], WireError> {
        debug_assert_eq!(N, layout.count, "{}", layout.format);
        let bytes = self.take(layout.size())?;
        let mut out = [0u64; N];
        let mut at = 0;
        for (value, &width) in out.iter_mut().zip(layout.widths()) {
            let width = usize::from(width);
            *value = bytes[at..at + width].iter().rev().fold(0, |acc, &b| (acc << 8) | u64::from(b));
            at += width;
        }
        Ok(out)
    }

    fn order_entry(&mut self) -> Result<RawOrder, WireError> {
        let [id, user_id, flags, price, qty, filled, notional_lo, notional_hi, created_ms, updated_ms, cid_len] =
            self.fields(&ENTRY)?;
        let mut cid = self.take(cid_len as usize)?;
        let (mut stop, mut triggered) = (0, false);
        if let Some(&tag @ (STOP_TAG | TRIGGERED_TAG)) = cid.first() {
            triggered = tag == TRIGGERED_TAG;
            let mut tail = Reader { bytes: cid };
            [_, stop] = tail.fields(&STOP_TAIL)?;
            cid = tail.bytes;
        }
        let order = RawOrder {
            id,
            user_id,
            flags: flags as u8,
            price,
            qty,
            filled,
            notional_lo,
            notional_hi,
            created_ms,
            updated_ms,
            cid: String::from_utf8(cid.to_vec()).map_err(|_| WireError("client_order_id"))?,
            stop,
            triggered,
        };
        if !order.flags_are_known() {
            return Err(WireError("unknown flags"));
        }
        Ok(order)
    }

    fn trade(&mut self) -> Result<RawTrade, WireError> {
        let [id, price, qty, maker, taker, maker_user, taker_user, tfl, tfh, mfl, mfh, rebate] = self.fields(&TRADE)?;
        let maker_fee = i128::try_from(amount(mfl, mfh)).map_err(|_| WireError("fee"))?;
        Ok(RawTrade {
            id,
            price,
            qty,
            maker_order_id: maker,
            taker_order_id: taker,
            maker_user_id: maker_user,
            taker_user_id: taker_user,
            taker_fee: amount(tfl, tfh),
            maker_fee: if rebate == 0 { maker_fee } else { -maker_fee },
        })
    }

    fn event(&mut self) -> Result<Event, WireError> {
        let [seq, book_changed, ts, n_orders, n_trades, n_levels] = self.fields(&EVENT)?;
        let levels = (0..n_levels)
            .map(|_| {
                let [side, price, total] = self.fields(&LEVEL)?;
                Ok(RawLevel(side as u8, price, total))
            })
            .collect::<Result<_, _>>()?;
        let orders = (0..n_orders).map(|_| self.order_entry()).collect::<Result<_, _>>()?;
        let trades = (0..n_trades).map(|_| self.trade()).collect::<Result<_, _>>()?;
        Ok(Event { seq, book_changed: book_changed != 0, ts, orders, trades, levels })
    }

    fn trade_group(&mut self) -> Result<TradeGroup, WireError> {
        let [side, seq, ts, count] = self.fields(&TRADE_GROUP)?;
        let taker_side = value_of(&SIDES, side as u8)?;
        let trades = (0..count).map(|_| self.trade()).collect::<Result<_, _>>()?;
        Ok(TradeGroup { taker_side, seq, ts, trades })
    }

    fn done(&self) -> Result<(), WireError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(WireError("trailing bytes"))
        }
    }
}

/// A candle as the library keeps it: prices in ticks, volume in lots, quote volume in ticks × lots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawCandle {
    pub open_ms: u64,
    pub open: u64,
    pub high: u64,
    pub low: u64,
    pub close: u64,
    pub volume_lots: u128,
    pub notional: u128,
    pub trades: u64,
}

pub fn decode_candle(bytes: &[u8]) -> Result<RawCandle, WireError> {
    let mut r = Reader { bytes };
    let [open_ms, open, high, low, close, vl, vh, nl, nh, trades] = r.fields(&CANDLE)?;
    r.done()?;
    Ok(RawCandle { open_ms, open, high, low, close, volume_lots: amount(vl, vh), notional: amount(nl, nh), trades })
}

/// A candle packed as the library keeps it (what `decode_candle` reads back): for tools that write
/// candles the engine did not fold, such as the benchmark's history.
pub fn encode_candle(c: &RawCandle) -> Vec<u8> {
    let halves = |a: u128| [(a & 0xffff_ffff) as u64, (a >> 32) as u64];
    let ([vl, vh], [nl, nh]) = (halves(c.volume_lots), halves(c.notional));
    let mut out = Vec::with_capacity(CANDLE.size());
    CANDLE.pack(&[c.open_ms, c.open, c.high, c.low, c.close, vl, vh, nl, nh, c.trades], &mut out);
    out
}

/// An amount from its low 32 bits and its high bits.
fn amount(lo: u64, hi: u64) -> u128 {
    (u128::from(hi) << 32) | u128::from(lo)
}

/// A member of a user's fills set: `FILL_HEAD`, then the trade.
pub fn decode_fill(bytes: &[u8]) -> Result<RawFill, WireError> {
    let mut r = Reader { bytes };
    let [side, seq, ts] = r.fields(&FILL_HEAD)?;
    let taker_side = value_of(&SIDES, side as u8)?;
    let trade = r.trade()?;
    r.done()?;
    Ok(RawFill { taker_side, seq, ts, trade })
}

/// A user's funds in one market.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubAccount {
    pub base_free: u128,
    pub base_locked: u128,
    pub quote_free: u128,
    pub quote_locked: u128,
    /// The last transfer applied to it, and the units it moved.
    pub last_transfer: u64,
    pub last_moved: u128,
}

/// A packed `ACCOUNT`.
pub fn decode_account(bytes: &[u8]) -> Result<SubAccount, WireError> {
    let mut r = Reader { bytes };
    let [bfl, bfh, bll, blh, qfl, qfh, qll, qlh, last, ml, mh, _fills_held] = r.fields(&ACCOUNT)?;
    r.done()?;
    Ok(SubAccount {
        base_free: amount(bfl, bfh),
        base_locked: amount(bll, blh),
        quote_free: amount(qfl, qfh),
        quote_locked: amount(qll, qlh),
        last_transfer: last,
        last_moved: amount(ml, mh),
    })
}

/// A market's fee account: per asset, the fees collected and the rebates paid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeeAccount {
    pub base_collected: u128,
    pub base_rebated: u128,
    pub quote_collected: u128,
    pub quote_rebated: u128,
}

/// A packed `FEES`.
pub fn decode_fees(bytes: &[u8]) -> Result<FeeAccount, WireError> {
    let mut r = Reader { bytes };
    let [bcl, bch, brl, brh, qcl, qch, qrl, qrh] = r.fields(&FEES)?;
    r.done()?;
    Ok(FeeAccount {
        base_collected: amount(bcl, bch),
        base_rebated: amount(brl, brh),
        quote_collected: amount(qcl, qch),
        quote_rebated: amount(qrl, qrh),
    })
}

/// A placement argument (`ORDER_ARG`, then the client order id).
pub fn encode_order_arg(id: u64, user_id: u64, o: &CheckedOrder) -> Vec<u8> {
    let mut out = Vec::with_capacity(ORDER_ARG.size() + STOP_TAIL.size() + o.client_order_id.len());
    let codes = [
        code_of(&SIDES, o.side),
        code_of(&ORDER_TYPES, o.order_type.when_triggered()),
        code_of(&TIMES_IN_FORCE, o.time_in_force),
        u8::from(o.post_only),
    ]
    .map(u64::from);
    let (budget_lo, budget_hi) = (o.quote_budget & 0xffff_ffff, o.quote_budget >> 32);
    ORDER_ARG.pack(
        &[id, user_id, codes[0], codes[1], codes[2], codes[3], o.price_ticks, o.quantity_lots, budget_lo, budget_hi],
        &mut out,
    );
    if o.stop_ticks > 0 {
        STOP_TAIL.pack(&[u64::from(STOP_TAG), o.stop_ticks], &mut out);
    }
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

/// A command's event: head, levels, order entries, trades.
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

/// A trades-stream entry: the trades of one script call, grouped by taker order, in order.
pub fn decode_stream_trades(bytes: &[u8]) -> Result<Vec<TradeGroup>, WireError> {
    let mut r = Reader { bytes };
    let mut groups = Vec::new();
    while !r.bytes.is_empty() {
        groups.push(r.trade_group()?);
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_read_their_widths_from_the_format() {
        assert_eq!(RECORD.size(), 47);
        assert_eq!(ENTRY.size(), ID.size() + RECORD.size() + 1);
        assert_eq!((ORDER_ARG.size(), TRADE.size(), LEVEL.size(), EVENT.size()), (36, 59, 15, 20));
        let mut out = Vec::new();
        Layout::new("<BHI3").pack(&[1, 0x0302, 0x060504], &mut out);
        assert_eq!(out, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn candles_read_back_as_packed() {
        let c = RawCandle {
            open_ms: 1_765_000_000_000,
            open: 5_000_000,
            high: 5_010_000,
            low: 4_990_000,
            close: 5_005_000,
            volume_lots: (1 << 40) + 7,
            notional: (1 << 60) + 3,
            trades: 12,
        };
        assert_eq!(decode_candle(&encode_candle(&c)).unwrap(), c);
    }

    #[test]
    fn integers_are_little_endian_of_any_width() {
        let mut r = Reader { bytes: &[0x01, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f] };
        assert_eq!(r.fields::<2>(&Layout::new("<BB")).unwrap(), [1, 2]);
        assert_eq!(r.fields::<1>(&Layout::new("<I7")).unwrap(), [(1 << 53) - 1]);
        assert!(r.fields::<1>(&Layout::new("<B")).is_err());
    }

    #[test]
    fn a_truncated_event_is_refused() {
        assert!(decode_event(&[0; 19]).is_err());
        let mut head = vec![0u8; EVENT.size()];
        assert!(decode_event(&head).is_ok());
        head.push(0);
        assert_eq!(decode_event(&head), Err(WireError("trailing bytes")));
    }

    #[test]
    fn an_order_with_unknown_flags_is_refused() {
        let mut entry = Vec::new();
        let status_beyond_pending = u64::from(5 * STATUS_UNIT);
        ENTRY.pack(&[1, 1, status_beyond_pending, 1, 1, 0, 0, 0, 0, 0, 0], &mut entry);
        assert_eq!(decode_order(&entry), Err(WireError("unknown flags")));
    }

    #[test]
    fn a_stop_orders_tail_holds_its_stop_price_before_its_client_order_id() {
        let mut entry = Vec::new();
        let pending_limit = u64::from(4 * STATUS_UNIT);
        ENTRY.pack(&[1, 1, pending_limit, 1, 1, 0, 0, 0, 0, 0, STOP_TAIL.size() as u64 + 3], &mut entry);
        STOP_TAIL.pack(&[u64::from(STOP_TAG), 4200], &mut entry);
        entry.extend_from_slice(b"c-1");
        let o = decode_order(&entry).unwrap();
        assert_eq!(
            (o.stop_ticks(), o.client_order_id(), o.status(), o.order_type()),
            (Some(4200), Some("c-1"), OrderStatus::Pending, OrderType::StopLimit)
        );
        // Without a client order id, and a stop-market's.
        let mut entry = Vec::new();
        let pending_market = pending_limit + u64::from(TYPE_UNIT);
        ENTRY.pack(&[1, 1, pending_market, 0, 1, 0, 0, 0, 0, 0, STOP_TAIL.size() as u64], &mut entry);
        STOP_TAIL.pack(&[u64::from(STOP_TAG), 7], &mut entry);
        let o = decode_order(&entry).unwrap();
        assert_eq!((o.stop_ticks(), o.client_order_id(), o.order_type()), (Some(7), None, OrderType::StopMarket));
        assert!(!o.stop_triggered());
        // Once triggered, and then cancelled: the tag alone says it was placed.
        let mut entry = Vec::new();
        let cancelled_limit = u64::from(3 * STATUS_UNIT);
        ENTRY.pack(&[1, 1, cancelled_limit, 1, 1, 0, 0, 0, 0, 0, STOP_TAIL.size() as u64], &mut entry);
        STOP_TAIL.pack(&[u64::from(TRIGGERED_TAG), 7], &mut entry);
        let o = decode_order(&entry).unwrap();
        assert_eq!((o.stop_ticks(), o.stop_triggered(), o.status()), (Some(7), true, OrderStatus::Cancelled));
    }

    #[test]
    fn a_fill_carries_both_fees_and_a_rebate_is_negative() {
        let mut fill = Vec::new();
        FILL_HEAD.pack(&[1, 42, 7], &mut fill);
        TRADE.pack(&[5, 100, 3, 11, 12, 1, 2, 9, 1, 4, 0, 1], &mut fill);
        let f = decode_fill(&fill).unwrap();
        assert_eq!((f.taker_side, f.seq, f.ts), (Side::Sell, 42, 7));
        assert_eq!((f.trade.id, f.trade.taker_fee, f.trade.maker_fee), (5, (1 << 32) + 9, -4));
        fill.push(0);
        assert!(decode_fill(&fill).is_err());
    }

    #[test]
    fn a_stream_entry_holds_groups_of_trades() {
        let group = |side: u64, seq: u64, trades: u64| {
            let mut out = Vec::new();
            TRADE_GROUP.pack(&[side, seq, 9, trades], &mut out);
            for i in 0..trades {
                TRADE.pack(&[i + 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], &mut out);
            }
            out
        };
        let mut entry = group(0, 7, 2);
        entry.extend(group(1, 8, 1));
        let groups = decode_stream_trades(&entry).unwrap();
        assert_eq!(groups.len(), 2);
        let g = &groups[0];
        assert_eq!((g.taker_side, g.seq, g.ts, g.trades.len()), (Side::Buy, 7, 9, 2));
        let g = &groups[1];
        assert_eq!((g.taker_side, g.seq, g.trades[0].id), (Side::Sell, 8, 1));
        entry.pop();
        assert!(decode_stream_trades(&entry).is_err());
    }
}
