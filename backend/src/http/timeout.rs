//! A whole request, its body included, is done within the request timeout: a client that announces a
//! body and never sends it gets 408 `request_timeout` instead of holding a task forever. (A WebSocket's
//! upgrade is a request like any other; the session it opens is not.)

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

pub async fn request_timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::RequestTimeout.into_response(),
    }
}
