//! `AuthUser`: the caller's identity, from `Authorization: Bearer <token>`. Handlers that take it are
//! private; a missing, malformed, unknown or expired token is a 401 in the contract's shape.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use super::state::AppState;

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user_id: u64,
    pub token: String,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let token = header
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or(ApiError::Unauthorized)?;
        match state.accounts.user_of(token).await? {
            Some(user_id) => Ok(AuthUser { user_id, token: token.to_string() }),
            None => Err(ApiError::Unauthorized),
        }
    }
}
