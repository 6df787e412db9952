//! WebSocket messages of both feeds, tagged by `type` as the contract writes them.

use serde::{Deserialize, Serialize};

use crate::book::{BookSnapshot, BookUpdate};
use crate::candle::{CandleMessage, Ticker};
use crate::decimal::Dec;
use crate::fill::FillMessage;
use crate::funds::Balance;
use crate::order::{Order, OrderStatus, Side, Trade};
use crate::symbol::Symbol;

/// Messages a client sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    Ping,
    GetOrderBook {
        #[serde(default)]
        depth: Option<u32>,
    },
    GetRecentTrades {
        #[serde(default)]
        limit: Option<u32>,
    },
    Auth {
        token: String,
    },
    /// Candle messages of this interval from now on (one interval at a time: another replaces it).
    SubscribeCandles {
        interval: String,
    },
    UnsubscribeCandles,
}

/// The public feed's view of an order change: no user identity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicOrderUpdate {
    pub order_id: u64,
    pub symbol: Symbol,
    pub side: Side,
    pub status: OrderStatus,
    pub quantity: Dec,
    pub filled_quantity: Dec,
    pub price: Option<Dec>,
    pub sequence: u64,
    pub timestamp: String,
}

/// `order_update` carries the public view on the book feed and the full order on the private feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OrderUpdateData {
    Private(Order),
    Public(PublicOrderUpdate),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorData {
    pub message: String,
}

/// Messages the server sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Pong { timestamp: String },
    OrderBookSnapshot { data: BookSnapshot },
    BookUpdate { data: BookUpdate },
    Trade { data: Trade },
    OrderUpdate { data: OrderUpdateData },
    RecentTrades { data: Vec<Trade> },
    Authenticated { user_id: u64 },
    Fill { data: FillMessage },
    Balance { data: Balance },
    Ticker { data: Ticker },
    Candle { data: CandleMessage },
    Error { data: ErrorData },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_read_the_contract_shapes() {
        let m: ClientMessage = serde_json::from_str(r#"{"type":"get_order_book","depth":10}"#).unwrap();
        assert_eq!(m, ClientMessage::GetOrderBook { depth: Some(10) });
        let m: ClientMessage = serde_json::from_str(r#"{"type":"ping"}"#).unwrap();
        assert_eq!(m, ClientMessage::Ping);
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"shout"}"#).is_err());
    }

    #[test]
    fn server_messages_write_the_contract_shapes() {
        let m = ServerMessage::Error { data: ErrorData { message: "no".into() } };
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"type":"error","data":{"message":"no"}}"#);
        let m = ServerMessage::Pong { timestamp: "t".into() };
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"type":"pong","timestamp":"t"}"#);
    }
}
