//! The one error type of the HTTP layer: each variant knows its status code, and renders the contract's
//! `{"detail", "code"}` body. Details of 5xx errors are logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use common::{ErrorBody, RequestError};

use crate::auth::AuthError;
use crate::config::BODY_LIMIT;
use crate::engine::EngineError;
use crate::funds::FundsError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("missing or invalid token")]
    Unauthorized,
    /// A login whose username and password do not match an account (401 like a bad token, but saying so).
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("the request took too long")]
    RequestTimeout,
    #[error("rate limited")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// 503 for a limit of this instance (too many connections), not for Redis.
    #[error("{0}")]
    Busy(String),
    #[error("{detail}")]
    NotFound { code: &'static str, detail: String },
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: String },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("redis unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(detail: impl Into<String>) -> ApiError {
        ApiError::Unprocessable { code: "validation_error", detail: detail.into() }
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        match e.code {
            "unknown_symbol" => ApiError::NotFound { code: e.code, detail: e.detail },
            code => ApiError::Unprocessable { code, detail: e.detail },
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::UsernameTaken => {
                ApiError::Conflict { code: "username_taken", detail: "that username is taken".into() }
            }
            AuthError::WrongCredentials => ApiError::WrongCredentials,
            AuthError::LoginLocked(wait) => {
                ApiError::TooManyRequests { retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64 }
            }
            AuthError::Busy => ApiError::Busy("too many logins and registrations at once; retry in a moment".into()),
            AuthError::Redis(e) => ApiError::Unavailable(e.to_string()),
            AuthError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::UnknownSymbol(s) => {
                ApiError::NotFound { code: "unknown_symbol", detail: format!("unknown symbol {s}") }
            }
            EngineError::NotFound => ApiError::NotFound { code: "not_found", detail: "order not found".into() },
            EngineError::Invalid { code, detail } => ApiError::Unprocessable { code, detail },
            EngineError::Conflict { code, detail } => ApiError::Conflict { code, detail },
            EngineError::Redis(e) => ApiError::Unavailable(e.to_string()),
            e @ EngineError::NotReplicated { .. } => {
                tracing::warn!(error = %e, "a write was not confirmed by the replicas in time");
                ApiError::Busy(
                    "done on the primary store but not yet confirmed by its replicas; it may be lost if the \
                     primary fails now: read it back (or repeat it with the same client_order_id) to learn \
                     its state"
                        .into(),
                )
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<FundsError> for ApiError {
    fn from(e: FundsError) -> Self {
        match e {
            FundsError::Refused { code, detail } => ApiError::Unprocessable { code, detail },
            FundsError::FaucetResting(ms) => ApiError::TooManyRequests { retry_after_secs: ms.div_ceil(1000).max(1) },
            FundsError::Engine(e) => e.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, detail) = match &self {
            ApiError::BadRequest(detail) => (StatusCode::BAD_REQUEST, "bad_request", detail.clone()),
            ApiError::Unauthorized => {
                (StatusCode::UNAUTHORIZED, "unauthorized", "missing, invalid or expired token".into())
            }
            ApiError::WrongCredentials => {
                (StatusCode::UNAUTHORIZED, "unauthorized", "wrong username or password".into())
            }
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is over the limit of {BODY_LIMIT} bytes"),
            ),
            ApiError::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the request was not received in time; send it again".into(),
            ),
            ApiError::TooManyRequests { retry_after_secs } => {
                let body =
                    Json(ErrorBody { detail: "too many requests, slow down".into(), code: "rate_limited".into() });
                let retry = [(axum::http::header::RETRY_AFTER, retry_after_secs.to_string())];
                return (StatusCode::TOO_MANY_REQUESTS, retry, body).into_response();
            }
            ApiError::Forbidden { code, detail } => (StatusCode::FORBIDDEN, *code, detail.clone()),
            ApiError::Busy(detail) => {
                let body = Json(ErrorBody { detail: detail.clone(), code: "unavailable".into() });
                let retry = [(axum::http::header::RETRY_AFTER, "1")];
                return (StatusCode::SERVICE_UNAVAILABLE, retry, body).into_response();
            }
            ApiError::NotFound { code, detail } => (StatusCode::NOT_FOUND, *code, detail.clone()),
            ApiError::Unprocessable { code, detail } => (StatusCode::UNPROCESSABLE_ENTITY, *code, detail.clone()),
            ApiError::Conflict { code, detail } => (StatusCode::CONFLICT, *code, detail.clone()),
            ApiError::Unavailable(why) => {
                tracing::warn!(error = %why, "redis unavailable");
                crate::metrics::METRICS.redis_errors.with_label_values(&["request"]).inc();
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the order book store is unavailable, retry shortly".into(),
                )
            }
            ApiError::Internal(why) => {
                tracing::error!(error = %why, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "internal error".into())
            }
        };
        (status, Json(ErrorBody { detail, code: code.to_string() })).into_response()
    }
}
