//! A user's fills: one side of one trade, with its fee (`GET /api/v1/account/fills` and the private
//! feed's `fill` message).

use serde::{Deserialize, Serialize};

use crate::{Dec, Side, Symbol, Trade};

/// Whose order a trade met: the resting one (maker) or the incoming one (taker).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Liquidity {
    Maker,
    Taker,
}

/// One of the caller's fills.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    pub trade_id: u64,
    /// The caller's order in the trade.
    pub order_id: u64,
    /// That order's client order id, when it has one (and is still kept).
    pub client_order_id: Option<String>,
    pub symbol: Symbol,
    /// The caller's side.
    pub side: Side,
    pub price: Dec,
    pub quantity: Dec,
    /// Charged in the asset the caller received (a buyer's in base, a seller's in quote); negative for
    /// a maker rebate.
    pub fee: Dec,
    pub fee_asset: String,
    pub liquidity: Liquidity,
    pub sequence: u64,
    pub timestamp: String,
}

/// The private feed's `fill`: the trade as the public feed sends it, and the caller's side of it (the
/// fields of a `Fill` the trade has not).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FillMessage {
    #[serde(flatten)]
    pub trade: Trade,
    pub trade_id: u64,
    pub order_id: u64,
    pub client_order_id: Option<String>,
    pub side: Side,
    pub fee: Dec,
    pub fee_asset: String,
    pub liquidity: Liquidity,
}

impl FillMessage {
    /// The message telling of `fill`, a side of `trade`.
    pub fn new(trade: Trade, fill: Fill) -> FillMessage {
        FillMessage {
            trade,
            trade_id: fill.trade_id,
            order_id: fill.order_id,
            client_order_id: fill.client_order_id,
            side: fill.side,
            fee: fill.fee,
            fee_asset: fill.fee_asset,
            liquidity: fill.liquidity,
        }
    }

    /// The fill it tells of.
    pub fn fill(&self) -> Fill {
        Fill {
            trade_id: self.trade_id,
            order_id: self.order_id,
            client_order_id: self.client_order_id.clone(),
            symbol: self.trade.symbol.clone(),
            side: self.side,
            price: self.trade.price,
            quantity: self.trade.quantity,
            fee: self.fee,
            fee_asset: self.fee_asset.clone(),
            liquidity: self.liquidity,
            sequence: self.trade.sequence,
            timestamp: self.trade.timestamp.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fill_message_has_the_trade_fields_and_the_fill_fields() {
        let trade = Trade {
            id: 7,
            symbol: Symbol::parse("BTC/USD").unwrap(),
            price: "50000".parse().unwrap(),
            quantity: "0.5".parse().unwrap(),
            taker_side: Side::Buy,
            maker_order_id: 3,
            taker_order_id: 4,
            sequence: 9,
            timestamp: "2026-01-01T00:00:00.000Z".into(),
        };
        let m = FillMessage {
            trade,
            trade_id: 7,
            order_id: 3,
            client_order_id: None,
            side: Side::Sell,
            fee: "-2.5".parse().unwrap(),
            fee_asset: "USD".into(),
            liquidity: Liquidity::Maker,
        };
        let json = serde_json::to_value(&m).unwrap();
        for field in ["id", "taker_side", "maker_order_id", "trade_id", "order_id", "fee", "fee_asset", "liquidity"] {
            assert!(json.get(field).is_some(), "{field} in {json}");
        }
        assert_eq!(json["liquidity"], "maker");
        // Read back as the browser reads the private feed: the message's text.
        let text = serde_json::to_string(&crate::ServerMessage::Fill { data: m.clone() }).unwrap();
        assert_eq!(
            serde_json::from_str::<crate::ServerMessage>(&text).unwrap(),
            crate::ServerMessage::Fill { data: m.clone() }
        );
        assert_eq!(m.fill().fee.to_string(), "-2.5");
    }
}
