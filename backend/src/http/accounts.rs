//! Register, log in, log out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use common::{Credentials, LoggedIn, Password, Registered, Username};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::client_address::ClientAddress;
use super::error::ApiError;
use super::extract::AuthUser;
use super::json::ApiJson;
use super::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(register)).routes(routes!(login)).routes(routes!(logout))
}

/// Creates an account.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = Credentials, responses(
    (status = 201, body = Registered),
    (status = 409, description = "username_taken (regardless of case)", body = common::ErrorBody),
    (status = 422, description = "validation_error", body = common::ErrorBody),
    (status = 429, description = "rate_limited: too many registrations from this address", body = common::ErrorBody),
    (status = 503, description = "unavailable: too many logins and registrations at once", body = common::ErrorBody),
))]
pub async fn register(
    State(state): State<AppState>,
    client: ClientAddress,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    client.take(&state.limits.registrations)?;
    let username = Username::parse(&body.username).map_err(|e| ApiError::invalid(e.to_string()))?;
    let password = Password::parse(&body.password).map_err(|e| ApiError::invalid(e.to_string()))?;
    let user_id = state.accounts.register(&username, &password).await?;
    tracing::info!(user_id, "registered");
    Ok((StatusCode::CREATED, Json(Registered { user_id, username: username.as_str().to_string() })))
}

/// Opens a session: its bearer token goes in `Authorization: Bearer <token>`.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = Credentials, responses(
    (status = 200, body = LoggedIn),
    (status = 401, description = "unauthorized: wrong username or password", body = common::ErrorBody),
    (status = 429, description = "rate_limited: too many logins from this address, or failed logins of this username", body = common::ErrorBody),
    (status = 503, description = "unavailable: too many logins and registrations at once", body = common::ErrorBody),
))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddress,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Json<LoggedIn>, ApiError> {
    client.take(&state.limits.logins)?;
    // Input that cannot be an account's is refused before anything is hashed.
    if Username::parse(&body.username).is_err() || body.password.chars().count() > 128 {
        return Err(ApiError::Unauthorized);
    }
    let token = state.accounts.login(&body.username, &body.password).await?;
    Ok(Json(LoggedIn { access_token: token, token_type: "bearer".into(), expires_in: state.accounts.token_ttl_secs() }))
}

/// Ends the session: the token stops working at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "logged out"),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
))]
pub async fn logout(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode, ApiError> {
    state.accounts.logout(user.user_id, &user.token).await?;
    Ok(StatusCode::NO_CONTENT)
}
