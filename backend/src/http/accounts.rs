//! Register, log in, log out, and resume a browser's session.
//!
//! A login also sets a session cookie, so that a reloaded screen goes on signed in without keeping the
//! token in the page's storage: `HttpOnly` (scripts never see the cookie), `SameSite=Strict` (no other
//! site's page sends it: no request forged from elsewhere carries it), `Path=/api/v1/auth` (sent to
//! these endpoints only, not with every request), and `Secure` when a trusted proxy says the client came
//! over HTTPS (the browser then never sends it over plain HTTP). Its one use is `POST /auth/session`, which answers the
//! session's bearer token to the screen's own origin (another origin cannot read the answer; a script
//! in the screen's own page can, as it can read the token the screen holds). A logout clears it.

use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse};
use axum::Json;
use common::{Credentials, LoggedIn, Password, Registered, Resumed, Username};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::client_address::ClientAddress;
use super::error::ApiError;
use super::extract::AuthUser;
use super::json::ApiJson;
use super::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(session))
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
) -> Result<impl IntoResponse, ApiError> {
    client.take(&state.limits.logins)?;
    // Input that cannot be an account's is refused before anything is hashed.
    let Ok(username) = Username::parse(&body.username) else { return Err(ApiError::WrongCredentials) };
    if body.password.chars().count() > 128 {
        return Err(ApiError::WrongCredentials);
    }
    let token = state.accounts.login(&body.username, &body.password).await?;
    let ttl = state.accounts.token_ttl_secs();
    let cookie = session_cookie(&format!("{}:{token}", username.as_str()), ttl, client.https);
    Ok((
        AppendHeaders([(SET_COOKIE, cookie)]),
        Json(LoggedIn { access_token: token, token_type: "bearer".into(), expires_in: ttl }),
    ))
}

/// The session cookie's name.
const SESSION_COOKIE: &str = "exchange_session";

/// The session cookie with `value` (`username:token`), lasting `max_age` seconds (0: cleared); `Secure`
/// when the client came over HTTPS.
fn session_cookie(value: &str, max_age: u64, https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/api/v1/auth; Max-Age={max_age}{secure}")
}

/// The session cookie's value in a request's `Cookie` headers.
fn session_in(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))?;
    let (username, token) = value.split_once(':')?;
    Some((username.to_string(), token.to_string()))
}

/// The bearer token of the session this browser's session cookie holds (set by a login): how a reloaded
/// screen goes on signed in. 401 without a cookie, or when its session has ended (the cookie is cleared).
/// Each answer costs Redis a read, as a book read does, and draws on the same budget per address.
#[utoipa::path(post, path = "/auth/session", tag = "auth", responses(
    (status = 200, body = Resumed),
    (status = 401, description = "unauthorized: no session cookie, or its session has ended", body = common::ErrorBody),
    (status = 429, description = "rate_limited: too many reads from this address", body = common::ErrorBody),
))]
pub async fn session(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    client.take(&state.limits.public_reads)?;
    let clear = AppendHeaders([(SET_COOKIE, session_cookie("", 0, client.https))]);
    let Some((username, token)) = session_in(&headers) else { return Err(ApiError::Unauthorized) };
    let left = match state.accounts.user_of(&token).await? {
        Some(_) => state.accounts.session_left(&crate::auth::session_key(&token)).await?,
        None => None,
    };
    match left {
        Some(left) => {
            Ok(Json(Resumed { username, access_token: token, token_type: "bearer".into(), expires_in: left.as_secs() })
                .into_response())
        }
        None => Ok((clear, ApiError::Unauthorized).into_response()),
    }
}

/// Ends the session: the token stops working at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "logged out"),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
))]
pub async fn logout(
    State(state): State<AppState>,
    client: ClientAddress,
    user: AuthUser,
) -> Result<impl IntoResponse, ApiError> {
    state.accounts.logout(user.user_id, &user.token).await?;
    Ok((StatusCode::NO_CONTENT, AppendHeaders([(SET_COOKIE, session_cookie("", 0, client.https))])))
}
