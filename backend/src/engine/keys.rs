//! Redis key names. Every key of a market starts with its `{SYMBOL}` hash tag, so one market lives in one
//! Redis Cluster slot. docs/architecture.md lists them all.

use common::{Side, Symbol};

/// The global order id counter (the only engine key outside a market).
pub const NEXT_ORDER_ID: &str = "next_order_id";

pub use super::wire::BUCKET_IDS;

/// The Pub/Sub channel naming users (their id, as text) whose wallet changed: a deposit, a withdrawal,
/// the faucet. The markets' events tell of every other change of a balance.
pub const BALANCES_CHANNEL: &str = "balances";

/// Key names of one market.
#[derive(Clone, Debug)]
pub struct MarketKeys {
    prefix: String,
}

impl MarketKeys {
    pub fn new(symbol: &Symbol) -> MarketKeys {
        MarketKeys { prefix: format!("{{{symbol}}}") }
    }

    fn key(&self, rest: &str) -> String {
        format!("{}:{rest}", self.prefix)
    }

    pub fn seq(&self) -> String {
        self.key("seq")
    }
    /// The bids' level buckets that hold a level (a sorted set; `lua/engine_lib.lua`, "Levels").
    pub fn bids(&self) -> String {
        self.key("levels:bids")
    }
    /// The asks' level buckets that hold a level.
    pub fn asks(&self) -> String {
        self.key("levels:asks")
    }
    /// The list a level keeps its queue of order ids in once it outgrew its bucket's field.
    pub fn level_list(&self, side: Side, price_ticks: u64) -> String {
        self.key(&format!("{}:{price_ticks}", side_name(side)))
    }
    pub fn trades(&self) -> String {
        self.key("trades")
    }
    pub fn open_bucket(&self, order_id: u64) -> String {
        self.key(&format!("open:{}", order_id / BUCKET_IDS))
    }
    pub fn user_open(&self, user_id: u64) -> String {
        self.key(&format!("user:{user_id}:open"))
    }
    pub fn user_closed(&self, user_id: u64) -> String {
        self.key(&format!("user:{user_id}:closed"))
    }
    /// The user's fills in the market (a sorted set: `wire::FILL_HEAD` and the trade, scored by trade id).
    pub fn user_fills(&self, user_id: u64) -> String {
        self.key(&format!("user:{user_id}:fills"))
    }
    /// The order id a user's client order id names (`lua/engine_lib.lua`, cid_key).
    pub fn client_order_id(&self, user_id: u64, client_order_id: &str) -> String {
        self.key(&format!("cid:{user_id}:{client_order_id}"))
    }
    /// Users' sub-accounts in the market (a hash: user id → `wire::ACCOUNT`).
    pub fn accounts(&self) -> String {
        self.key("accounts")
    }
    /// Present only while stops a trade reached wait for a later call (`lua/stops.lua`).
    pub fn stops_reached(&self) -> String {
        self.key("stops:reached")
    }
    /// The market's fee account (`wire::FEES`).
    pub fn fees(&self) -> String {
        self.key("fees")
    }
    /// The candles of one interval (a sorted set of `wire::CANDLE`, scored by open time), kept by
    /// `lua/fold_candles.lua` with `{S}:candles:mark` (a hash: the last trades-stream entry folded, how
    /// many were folded, how many lost).
    pub fn candles(&self, interval: &str) -> String {
        self.key(&format!("candles:{interval}"))
    }
    /// The Pub/Sub channel every accepted command of the market is published on.
    pub fn events_channel(&self) -> String {
        self.key("events")
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Buy => "bids",
        Side::Sell => "asks",
    }
}
