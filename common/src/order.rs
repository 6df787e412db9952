//! Orders and trades: the requests that create them and the objects the API returns.

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};

use crate::decimal::Dec;
use crate::symbol::{ClientOrderId, Symbol};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

impl std::str::FromStr for Side {
    type Err = RequestError;

    /// `buy` or `sell`.
    fn from_str(text: &str) -> Result<Side, RequestError> {
        match text {
            "buy" => Ok(Side::Buy),
            "sell" => Ok(Side::Sell),
            _ => Err(RequestError::new("validation_error", "side must be one of buy, sell")),
        }
    }
}

impl Side {
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderType {
    Limit,
    Market,
    /// Waits, `pending`, until a trade reaches its `stop_price`, then becomes a limit order.
    StopLimit,
    /// Waits, `pending`, until a trade reaches its `stop_price`, then becomes a market order.
    StopMarket,
}

impl OrderType {
    /// The order a stop becomes when it triggers; a limit or market order is its own.
    pub fn when_triggered(self) -> OrderType {
        match self {
            OrderType::Limit | OrderType::StopLimit => OrderType::Limit,
            OrderType::Market | OrderType::StopMarket => OrderType::Market,
        }
    }

    pub fn is_stop(self) -> bool {
        matches!(self, OrderType::StopLimit | OrderType::StopMarket)
    }

    /// Whether an order of this type names a limit price.
    pub fn has_price(self) -> bool {
        self.when_triggered() == OrderType::Limit
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeInForce {
    #[default]
    Gtc,
    Ioc,
    Fok,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Open,
    PartiallyFilled,
    Filled,
    Cancelled,
    /// A stop order not triggered yet: off the book.
    Pending,
}

impl OrderStatus {
    /// Open and partially filled orders rest on the book, pending stops wait off it: all can still
    /// trade or be cancelled. The others are closed for good.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::Open | OrderStatus::PartiallyFilled | OrderStatus::Pending)
    }

    /// The contract's name: `open`, `partially_filled`, `filled`, `cancelled`, `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Open => "open",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

/// `POST /api/v1/orders/` body. Unknown fields (a `user_id`, say) are ignored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewOrder {
    pub symbol: Symbol,
    pub side: Side,
    pub order_type: OrderType,
    /// In base. Zero (and left out of the JSON) for a market buy by `quote_quantity`.
    #[serde(default, skip_serializing_if = "Dec::is_zero")]
    pub quantity: Dec,
    /// A market buy's budget in quote: it buys while the budget lasts (instead of a `quantity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_quantity: Option<Dec>,
    #[serde(default)]
    pub price: Option<Dec>,
    #[serde(default)]
    pub time_in_force: TimeInForce,
    #[serde(default)]
    pub post_only: bool,
    #[serde(default)]
    pub client_order_id: Option<ClientOrderId>,
    /// A stop order's trigger: a buy stop triggers on a trade at or above it, a sell stop at or below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<Dec>,
}

impl NewOrder {
    /// A gtc limit order, not post-only, without a client order id.
    pub fn limit(symbol: Symbol, side: Side, quantity: Dec, price: Dec) -> NewOrder {
        NewOrder {
            symbol,
            side,
            order_type: OrderType::Limit,
            quantity,
            quote_quantity: None,
            price: Some(price),
            time_in_force: TimeInForce::Gtc,
            post_only: false,
            client_order_id: None,
            stop_price: None,
        }
    }

    /// A stop-limit order: pending until a trade reaches `stop`, then a gtc limit order at `price`.
    pub fn stop_limit(symbol: Symbol, side: Side, quantity: Dec, price: Dec, stop: Dec) -> NewOrder {
        NewOrder {
            order_type: OrderType::StopLimit,
            stop_price: Some(stop),
            ..NewOrder::limit(symbol, side, quantity, price)
        }
    }

    /// A stop-market order: pending until a trade reaches `stop`, then a market order.
    pub fn stop_market(symbol: Symbol, side: Side, quantity: Dec, stop: Dec) -> NewOrder {
        NewOrder {
            order_type: OrderType::StopMarket,
            stop_price: Some(stop),
            ..NewOrder::market(symbol, side, quantity)
        }
    }

    /// A market order (it behaves as ioc), without a client order id.
    pub fn market(symbol: Symbol, side: Side, quantity: Dec) -> NewOrder {
        NewOrder { order_type: OrderType::Market, price: None, ..NewOrder::limit(symbol, side, quantity, Dec::ZERO) }
    }

    /// A market buy spending at most `budget` of quote, without a client order id.
    pub fn market_buy_for(symbol: Symbol, budget: Dec) -> NewOrder {
        NewOrder { quantity: Dec::ZERO, quote_quantity: Some(budget), ..NewOrder::market(symbol, Side::Buy, Dec::ZERO) }
    }
}

/// A field of a request body as it arrived: absent (or null), a value of its type, or anything else
/// with why it is not one. A request read into such fields cannot fail as a whole, so that each bad
/// field gets its own error code when the request is checked (`NewOrder::try_from`).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Field<T> {
    #[default]
    Absent,
    Given(T),
    Invalid(String),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Any JSON value is a field, taken as its text; whether it is a T is decided from that text,
        // where a number keeps its digits.
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        if raw.get() == "null" {
            return Ok(Field::Absent);
        }
        Ok(serde_json::from_str::<T>(raw.get()).map_or_else(|e| Field::Invalid(reason(&e)), Field::Given))
    }
}

/// What is wrong with a field's value (or a body), without the parser's position in the text.
pub fn reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.rfind(" at line ").map_or(text.clone(), |at| text[..at].to_string())
}

/// `POST /api/v1/orders/` body as it arrives: the fields of `NewOrder`, each as given. Unknown fields
/// (a `user_id`, say) are ignored.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct OrderRequest {
    pub symbol: Field<String>,
    pub side: Field<Side>,
    pub order_type: Field<OrderType>,
    pub quantity: Field<Dec>,
    pub quote_quantity: Field<Dec>,
    pub price: Field<Dec>,
    pub time_in_force: Field<TimeInForce>,
    pub post_only: Field<bool>,
    pub client_order_id: Field<String>,
    pub stop_price: Field<Dec>,
}

/// Why a request is refused: the contract's code (`validation_error`, `invalid_quantity`,
/// `unknown_symbol`, ...) and a sentence saying what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct RequestError {
    pub code: &'static str,
    pub detail: String,
}

impl RequestError {
    pub fn new(code: &'static str, detail: impl Into<String>) -> RequestError {
        RequestError { code, detail: detail.into() }
    }
}

/// A required field: `code` and a sentence when it is absent or not a `T` (`what` says what it must be).
fn required<T>(field: Field<T>, name: &str, code: &'static str, what: &str) -> Result<T, RequestError> {
    match field {
        Field::Given(v) => Ok(v),
        Field::Absent => Err(RequestError::new(code, format!("{name} is required"))),
        Field::Invalid(_) => Err(RequestError::new(code, format!("{name} must be {what}"))),
    }
}

/// An optional field: None when absent.
fn optional<T>(field: Field<T>, name: &str, code: &'static str, what: &str) -> Result<Option<T>, RequestError> {
    match field {
        Field::Absent => Ok(None),
        other => required(other, name, code, what).map(Some),
    }
}

/// A decimal field: a JSON number or a string holding one; its error says what is wrong with the text.
fn decimal(field: Field<Dec>, name: &str, code: &'static str) -> Result<Option<Dec>, RequestError> {
    match field {
        Field::Invalid(why) => Err(RequestError::new(code, format!("{name}: {why}"))),
        other => optional(other, name, code, "a number or a string holding one"),
    }
}

impl TryFrom<OrderRequest> for NewOrder {
    type Error = RequestError;

    /// Checks each field in the order of the contract; the first bad one is the answer.
    fn try_from(r: OrderRequest) -> Result<NewOrder, RequestError> {
        let symbol = required(r.symbol, "symbol", "validation_error", "a string like BTC/USD")?;
        let symbol = Symbol::parse(&symbol).map_err(|_| RequestError::new("unknown_symbol", "unknown symbol"))?;
        let side = required(r.side, "side", "validation_error", "one of buy, sell")?;
        let order_type =
            required(r.order_type, "order_type", "validation_error", "one of limit, market, stop_limit, stop_market")?;
        let quantity = decimal(r.quantity, "quantity", "invalid_quantity")?;
        let quote_quantity = decimal(r.quote_quantity, "quote_quantity", "invalid_quantity")?;
        let quantity = match (quantity, quote_quantity) {
            (Some(q), None) => q,
            (None, None) => return Err(RequestError::new("invalid_quantity", "quantity is required")),
            (Some(_), Some(_)) => {
                return Err(RequestError::new("validation_error", "give quantity or quote_quantity, not both"))
            }
            (None, Some(_)) if (order_type, side) != (OrderType::Market, Side::Buy) => {
                return Err(RequestError::new("validation_error", "quote_quantity is for market buys only"))
            }
            (None, Some(_)) => Dec::ZERO,
        };
        let price = decimal(r.price, "price", "invalid_price")?;
        let time_in_force =
            optional(r.time_in_force, "time_in_force", "validation_error", "one of gtc, ioc, fok")?.unwrap_or_default();
        let post_only = optional(r.post_only, "post_only", "validation_error", "true or false")?.unwrap_or(false);
        let client_order_id = optional(r.client_order_id, "client_order_id", "validation_error", "a string")?
            .map(|text| ClientOrderId::parse(&text).map_err(|e| RequestError::new("validation_error", e.to_string())))
            .transpose()?;
        // (Whether the order's type takes one is checked with its price, against the market: check_order.)
        let stop_price = decimal(r.stop_price, "stop_price", "invalid_price")?;
        Ok(NewOrder {
            symbol,
            side,
            order_type,
            quantity,
            quote_quantity,
            price,
            time_in_force,
            post_only,
            client_order_id,
            stop_price,
        })
    }
}

/// `PATCH /api/v1/orders/{order_id}` body: the order's new total quantity, its new limit price, or both.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Dec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Dec>,
}

/// `PATCH /api/v1/orders/{order_id}` body as it arrives (see `OrderRequest`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct OrderChangeRequest {
    pub quantity: Field<Dec>,
    pub price: Field<Dec>,
}

impl TryFrom<OrderChangeRequest> for OrderChange {
    type Error = RequestError;

    fn try_from(r: OrderChangeRequest) -> Result<OrderChange, RequestError> {
        let quantity = decimal(r.quantity, "quantity", "invalid_quantity")?;
        let price = decimal(r.price, "price", "invalid_price")?;
        if quantity.is_none() && price.is_none() {
            return Err(RequestError::new("validation_error", "give a new quantity, a new price or both"));
        }
        Ok(OrderChange { quantity, price })
    }
}

/// A trade between a resting (maker) and an incoming (taker) order, at the maker's price.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    pub id: u64,
    pub symbol: Symbol,
    pub price: Dec,
    pub quantity: Dec,
    pub taker_side: Side,
    pub maker_order_id: u64,
    pub taker_order_id: u64,
    pub sequence: u64,
    pub timestamp: String,
}

/// The Order object of the contract.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: u64,
    pub client_order_id: Option<String>,
    pub symbol: Symbol,
    pub side: Side,
    pub order_type: OrderType,
    pub time_in_force: TimeInForce,
    pub post_only: bool,
    pub price: Option<Dec>,
    pub quantity: Dec,
    pub filled_quantity: Dec,
    pub remaining_quantity: Dec,
    pub average_price: Option<Dec>,
    pub status: OrderStatus,
    pub created_at: String,
    pub updated_at: String,
    /// A stop order's trigger price (absent for other orders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<Dec>,
    /// Fills made on arrival; present in the answer to a create, absent elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trades: Option<Vec<Trade>>,
}

/// `DELETE /api/v1/orders/` answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CancelAll {
    pub cancelled: Vec<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> Result<NewOrder, RequestError> {
        NewOrder::try_from(serde_json::from_str::<OrderRequest>(body).expect("any object is a request"))
    }

    #[test]
    fn a_market_buy_gives_a_quantity_or_a_quote_quantity_never_both() {
        let order =
            read(r#"{"symbol": "BTC/USD", "side": "buy", "order_type": "market", "quote_quantity": "250.5"}"#).unwrap();
        assert_eq!((order.quantity, order.quote_quantity), (Dec::ZERO, Some(Dec::parse("250.5").unwrap())));
        assert_eq!(read(&serde_json::to_string(&order).unwrap()).unwrap(), order, "sent without a quantity");
        let code = |body: &str| read(body).unwrap_err().code;
        let both =
            r#"{"symbol": "BTC/USD", "side": "buy", "order_type": "market", "quantity": 1, "quote_quantity": 5}"#;
        assert_eq!(code(both), "validation_error");
        let sell = r#"{"symbol": "BTC/USD", "side": "sell", "order_type": "market", "quote_quantity": 5}"#;
        assert_eq!(code(sell), "validation_error");
        let limit = r#"{"symbol": "BTC/USD", "side": "buy", "order_type": "limit", "price": 1, "quote_quantity": 5}"#;
        assert_eq!(code(limit), "validation_error");
        let neither = r#"{"symbol": "BTC/USD", "side": "buy", "order_type": "market"}"#;
        assert_eq!(code(neither), "invalid_quantity");
        let bad = r#"{"symbol": "BTC/USD", "side": "buy", "order_type": "market", "quote_quantity": "lots"}"#;
        assert_eq!(code(bad), "invalid_quantity");
    }

    #[test]
    fn a_request_reads_into_the_order_it_asks_for() {
        let order = read(
            r#"{"symbol": "BTC/USD", "side": "buy", "order_type": "limit", "quantity": 1.5,
                             "price": "50000.10", "user_id": 7}"#,
        )
        .unwrap();
        assert_eq!(order.quantity, Dec::parse("1.5").unwrap());
        assert_eq!(order.price, Some(Dec::parse("50000.1").unwrap()));
        assert_eq!((order.time_in_force, order.post_only, &order.client_order_id), (TimeInForce::Gtc, false, &None));
        // What is sent is read back the same.
        assert_eq!(read(&serde_json::to_string(&order).unwrap()).unwrap(), order);
    }

    #[test]
    fn each_bad_field_gets_its_own_code() {
        let base = r#""symbol": "BTC/USD", "side": "buy", "order_type": "limit""#;
        for (body, code) in [
            (format!(r#"{{{base}, "quantity": "1e5"}}"#), "invalid_quantity"),
            (format!(r#"{{{base}, "quantity": true}}"#), "invalid_quantity"),
            (format!(r#"{{{base}}}"#), "invalid_quantity"),
            (format!(r#"{{{base}, "quantity": 1, "price": "x"}}"#), "invalid_price"),
            (format!(r#"{{{base}, "quantity": 1, "post_only": "yes"}}"#), "validation_error"),
            (format!(r#"{{{base}, "quantity": 1, "client_order_id": "a b"}}"#), "validation_error"),
            (r#"{"side": "buy", "order_type": "limit", "quantity": 1}"#.to_string(), "validation_error"),
            (r#"{"symbol": 5, "side": "buy", "order_type": "limit", "quantity": 1}"#.to_string(), "validation_error"),
            (r#"{"symbol": "}{", "side": "buy", "order_type": "limit", "quantity": 1}"#.to_string(), "unknown_symbol"),
            (
                r#"{"symbol": "BTC/USD", "side": "hold", "order_type": "limit", "quantity": 1}"#.to_string(),
                "validation_error",
            ),
        ] {
            assert_eq!(read(&body).unwrap_err().code, code, "{body}");
        }
    }
}
