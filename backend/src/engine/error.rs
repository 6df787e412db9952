//! Why the engine did not do what was asked. Each variant says which HTTP status it is.

/// Why the engine did not do what was asked. Each variant says which HTTP status it is.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// 404 `unknown_symbol`.
    #[error("unknown symbol {0}")]
    UnknownSymbol(String),
    /// 404 `not_found`: no such order, or not the caller's.
    #[error("order not found")]
    NotFound,
    /// 422: a well-formed request that breaks a rule; `code` is the contract's.
    #[error("{detail}")]
    Invalid { code: &'static str, detail: String },
    /// 409: refused because of the book's or the order's state.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// 503: Redis unreachable or failing.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// 503: done on the master, but not confirmed by enough replicas in time.
    #[error("done on the master but confirmed by {confirmed} of {wanted} replicas in time")]
    NotReplicated { confirmed: u32, wanted: u32 },
    /// 500: the scripts answered something this code does not understand.
    #[error("unexpected engine reply: {0}")]
    Protocol(String),
    #[error(transparent)]
    Wire(#[from] WireError),
}

pub(crate) fn invalid(code: &'static str, detail: impl Into<String>) -> EngineError {
    EngineError::Invalid { code, detail: detail.into() }
}

/// A price or quantity off the market's grid or bounds: 422 with the grid's own code.
impl From<common::GridError> for EngineError {
    fn from(e: common::GridError) -> EngineError {
        invalid(e.code(), e.to_string())
    }
}

/// A reply that does not follow the wire format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed engine reply: {0}")]
pub struct WireError(pub &'static str);
