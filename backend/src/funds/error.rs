//! Why a change of funds did not happen, and the refusals every part of funds makes.

use crate::engine::EngineError;

/// Why a change of funds did not happen.
#[derive(Debug, thiserror::Error)]
pub enum FundsError {
    /// 422 with the contract's code (`insufficient_funds`, `amount_too_large`).
    #[error("{detail}")]
    Refused { code: &'static str, detail: String },
    /// 429: the faucet rests for this long (ms).
    #[error("the faucet gives once a minute; try again in {0} ms")]
    FaucetResting(u64),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<redis::RedisError> for FundsError {
    fn from(e: redis::RedisError) -> Self {
        FundsError::Engine(EngineError::Redis(e))
    }
}

pub fn insufficient() -> FundsError {
    FundsError::Refused { code: "insufficient_funds", detail: "the amount is more than the free balance".into() }
}

pub fn too_large() -> FundsError {
    FundsError::Refused {
        code: "amount_too_large",
        detail: "the balance would pass the largest supported amount".into(),
    }
}

pub fn protocol(what: &str) -> FundsError {
    FundsError::Engine(EngineError::Protocol(what.to_string()))
}
