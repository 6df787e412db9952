//! `AuthUser`: the caller's identity, from `Authorization: Bearer <token>`. Handlers that take it are
//! private; a missing, malformed, unknown or expired token is a 401 in the contract's shape. And
//! `ClientAddress`, the client's address for the per-address limits.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::client_address::{forwarded_https, resolve, ClientAddress};
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

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // The server loop puts the peer on every request; a router driven without it (a unit test) is
        // one local client.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |ConnectInfo(addr)| addr.ip());
        let ip = resolve(peer, &parts.headers, &state.limits.trusted_proxies);
        let https = forwarded_https(peer, &parts.headers, &state.limits.trusted_proxies);
        Ok(ClientAddress { ip, exempt: state.limits.exempt.contains(ip), https })
    }
}
