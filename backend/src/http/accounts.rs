//! Register, log in, log out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use common::{Password, Username};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::json::ApiJson;
use super::AppState;
use crate::auth::AuthUser;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/register", post(register))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let username = Username::parse(&body.username).map_err(|e| ApiError::invalid(e.to_string()))?;
    let password = Password::parse(&body.password).map_err(|e| ApiError::invalid(e.to_string()))?;
    let user_id = state.accounts.register(&username, &password).await?;
    tracing::info!(user_id, "registered");
    Ok((StatusCode::CREATED, Json(json!({"user_id": user_id, "username": username.as_str()}))))
}

async fn login(State(state): State<AppState>, ApiJson(body): ApiJson<Credentials>) -> Result<Json<Value>, ApiError> {
    // Over-long input cannot be a valid account: refuse it before hashing anything.
    if body.username.len() > 32 || body.password.chars().count() > 128 {
        return Err(ApiError::Unauthorized);
    }
    let token = state.accounts.login(&body.username, &body.password).await?;
    Ok(Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": state.accounts.token_ttl_secs(),
    })))
}

async fn logout(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode, ApiError> {
    state.accounts.logout(&user.token).await?;
    Ok(StatusCode::NO_CONTENT)
}
