//! The shape of the scripts' replies: `kind, payload` pairs, and the codes a script refuses a command
//! with, turned into the engine's errors.

use redis::Value;

use super::error::{invalid, EngineError};
use super::wire::{refusal, REPLY_OK, REPLY_REFUSED};

/// Splits one `kind, payload` pair of a script's reply.
pub(super) fn reply_pair(pair: &[Value]) -> Result<(&str, &[u8]), EngineError> {
    match pair {
        [Value::BulkString(kind), Value::BulkString(payload)] => {
            let kind = std::str::from_utf8(kind).map_err(|_| EngineError::Protocol("reply kind".into()))?;
            Ok((kind, payload))
        }
        other => Err(EngineError::Protocol(format!("unexpected reply shape {other:?}"))),
    }
}

/// The payload of an `ok` reply; the refusal's error for a refused one.
pub(super) fn ok_payload(pair: &[Value]) -> Result<&[u8], EngineError> {
    match reply_pair(pair)? {
        (REPLY_OK, payload) => Ok(payload),
        (REPLY_REFUSED, code) => Err(refusal(code)),
        (kind, _) => Err(unknown_kind(kind)),
    }
}

/// A reply kind this code does not know.
pub(super) fn unknown_kind(kind: &str) -> EngineError {
    EngineError::Protocol(format!("unknown reply kind {kind}"))
}

pub(super) fn refusal(code: &[u8]) -> EngineError {
    match std::str::from_utf8(code).unwrap_or("") {
        refusal::NOT_FOUND => EngineError::NotFound,
        refusal::POST_ONLY_WOULD_CROSS => EngineError::Conflict {
            code: "post_only_would_cross",
            detail: "the post-only order would match on arrival".into(),
        },
        refusal::ORDER_NOT_OPEN => EngineError::Conflict {
            code: "order_not_open",
            detail: "the order is filled or cancelled (or, for a change, a stop order that has not triggered)".into(),
        },
        refusal::TOO_MANY_OPEN_ORDERS => EngineError::Conflict {
            code: "too_many_open_orders",
            detail: "you have reached the maximum number of open orders in this market".into(),
        },
        refusal::MARKET_FULL => EngineError::Conflict {
            code: "market_full",
            detail: "this market holds the most resting orders it may; an order that would rest is refused until \
                     others leave the book"
                .into(),
        },
        refusal::LEVEL_FULL => invalid("invalid_quantity", "the price level cannot hold more quantity"),
        refusal::INSUFFICIENT_FUNDS => invalid("insufficient_funds", "your free balance does not cover this order"),
        refusal::INVALID_QUANTITY => {
            invalid("invalid_quantity", "the new quantity must be above what the order has already filled")
        }
        refusal::WOULD_TRIGGER_IMMEDIATELY => invalid(
            "would_trigger_immediately",
            "a trade has already reached this stop price: the stop would trigger at once",
        ),
        other => EngineError::Protocol(format!("unknown refusal {other}")),
    }
}
