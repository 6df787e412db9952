//! Order book views: REST snapshots and the incremental updates of the WebSocket feed.

use serde::{Deserialize, Serialize};

use crate::decimal::Dec;
use crate::symbol::Symbol;

/// One price level of a snapshot: the total resting quantity and how many orders make it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookLevel {
    pub price: Dec,
    pub quantity: Dec,
    pub order_count: u64,
}

/// The book at one sequence number; bids best (highest) first, asks best (lowest) first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookSnapshot {
    pub symbol: Symbol,
    pub bids: Vec<BookLevel>,
    pub asks: Vec<BookLevel>,
    pub sequence: u64,
    pub timestamp: String,
}

/// Level changes of one command: `[price, new total quantity]`, a zero total meaning the level is gone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookUpdate {
    pub symbol: Symbol,
    pub sequence: u64,
    pub bids: Vec<(Dec, Dec)>,
    pub asks: Vec<(Dec, Dec)>,
    pub timestamp: String,
}
