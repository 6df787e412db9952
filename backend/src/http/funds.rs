//! Funds: the caller's balances, ledger, withdrawals and demo faucet; the admin's deposits
//! (docs/api.md, "Funds").

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use common::funds::is_reference;
use common::{Asset, Balance, Dec, DepositRequest, FeeAmount, Field, Fill, LedgerEntry, WithdrawalRequest};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::extract::AuthUser;
use super::json::ApiJson;
use super::orders::symbol_param;
use super::query::QueryMap;
use super::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(balances))
        .routes(routes!(ledger))
        .routes(routes!(fills))
        .routes(routes!(withdraw))
        .routes(routes!(faucet))
        .routes(routes!(deposit))
        .routes(routes!(fees))
}

/// A 201 for a new entry, a 200 for the one the reference made before.
fn created_or_first<T>(created: bool, body: T) -> (StatusCode, Json<T>) {
    (if created { StatusCode::CREATED } else { StatusCode::OK }, Json(body))
}

/// A listed asset, or 422 `unknown_asset`.
fn listed_asset<'a>(state: &'a AppState, name: &str) -> Result<&'a Asset, ApiError> {
    state.funds.asset(name).ok_or_else(|| ApiError::Unprocessable {
        code: "unknown_asset",
        detail: format!("unknown asset {}", name.chars().take(32).collect::<String>()),
    })
}

/// A deposit's or a withdrawal's body (`DepositRequest`, `WithdrawalRequest`) as it arrived, each field
/// apart, so that a malformed amount is 422 `invalid_amount` as a zero or off-scale one is, rather than
/// a refusal of the whole body (as an order's malformed quantity is `invalid_quantity`).
#[derive(Default, serde::Deserialize)]
#[serde(default)]
pub struct MoveBody {
    username: Field<String>,
    asset: Field<String>,
    amount: Field<Dec>,
    reference: Field<String>,
    client_withdrawal_id: Field<String>,
}

/// A required text field: 422 `validation_error` when absent or not a string.
fn text<'a>(field: &'a Field<String>, name: &str) -> Result<&'a str, ApiError> {
    match field {
        Field::Given(text) => Ok(text),
        Field::Absent => Err(ApiError::invalid(format!("{name} is required"))),
        Field::Invalid(_) => Err(ApiError::invalid(format!("{name} must be a string"))),
    }
}

/// `amount` in whole units of `asset`: 422 `invalid_amount` (absent, malformed, zero, negative,
/// off-scale) or `amount_too_large` otherwise.
fn units(asset: &Asset, amount: &Field<Dec>) -> Result<u64, ApiError> {
    let invalid = |detail: String| ApiError::Unprocessable { code: "invalid_amount", detail };
    match amount {
        Field::Given(amount) => {
            asset.units_of(*amount).map_err(|e| ApiError::Unprocessable { code: e.code(), detail: e.to_string() })
        }
        Field::Absent => Err(invalid("amount is required".into())),
        Field::Invalid(why) => Err(invalid(format!("amount: {why}"))),
    }
}

/// A deposit's reference or a withdrawal's id: 422 `validation_error` unless 1-64 characters of the set.
fn reference<'a>(field: &'a Field<String>, name: &str) -> Result<&'a str, ApiError> {
    let text = text(field, name)?;
    if is_reference(text) {
        Ok(text)
    } else {
        Err(ApiError::invalid(format!("{name} must be 1-64 characters of A-Z a-z 0-9 _ - . :")))
    }
}

/// The caller's balance of every asset: free (usable), locked (held for open orders) and their total.
#[utoipa::path(get, path = "/account/balances", tag = "funds", security(("bearer" = [])), responses(
    (status = 200, body = Vec<Balance>),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
))]
pub async fn balances(State(state): State<AppState>, user: AuthUser) -> Result<Json<Vec<Balance>>, ApiError> {
    Ok(Json(state.funds.balances(user.user_id).await?))
}

/// The caller's balance changes, newest first.
#[utoipa::path(get, path = "/account/ledger", tag = "funds", security(("bearer" = [])), params(
    ("asset" = Option<String>, Query, description = "only this asset's entries"),
    ("limit" = Option<u32>, Query, description = "1-1000, default 100"),
    ("before" = Option<u64>, Query, description = "only entries with a smaller id (the next page)"),
), responses(
    (status = 200, body = Vec<LedgerEntry>),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
    (status = 422, description = "validation_error, unknown_asset", body = common::ErrorBody),
))]
pub async fn ledger(
    State(state): State<AppState>,
    user: AuthUser,
    query: QueryMap,
) -> Result<Json<Vec<LedgerEntry>>, ApiError> {
    let limit = query.bounded("limit", 100, 1000)?;
    let asset = query.0.get("asset").map(|a| listed_asset(&state, a)).transpose()?;
    let before = query.id("before", "a ledger entry id")?;
    let entries = state.funds.ledger(user.user_id, asset.map(|a| a.asset.as_str()), limit as usize, before).await?;
    Ok(Json(entries))
}

/// The caller's fills (its side of each trade, with its fee), newest first.
#[utoipa::path(get, path = "/account/fills", tag = "funds", security(("bearer" = [])), params(
    ("symbol" = Option<String>, Query, description = "BTC/USD or BTC-USD; all markets when absent"),
    ("order_id" = Option<u64>, Query, description = "only this order's fills"),
    ("limit" = Option<u32>, Query, description = "1-1000, default 100"),
    ("before" = Option<u64>, Query, description = "only fills with a smaller trade id (the next page)"),
), responses(
    (status = 200, body = Vec<Fill>),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
    (status = 404, description = "unknown_symbol", body = common::ErrorBody),
    (status = 422, description = "validation_error", body = common::ErrorBody),
))]
pub async fn fills(
    State(state): State<AppState>,
    user: AuthUser,
    query: QueryMap,
) -> Result<Json<Vec<Fill>>, ApiError> {
    let limit = query.bounded("limit", 100, 1000)?;
    let symbol = symbol_param(&state, &query)?;
    let order_id = query.id("order_id", "an order id")?;
    let before = query.id("before", "a trade id")?;
    let fills = state.funds.fills(user.user_id, symbol.as_ref(), order_id, limit as usize, before).await?;
    Ok(Json(fills))
}

/// Withdraws from the caller's free balance, once per `client_withdrawal_id`.
#[utoipa::path(post, path = "/account/withdrawals", tag = "funds", security(("bearer" = [])),
    request_body = WithdrawalRequest, responses(
    (status = 201, description = "withdrawn: the ledger entry", body = LedgerEntry),
    (status = 200, description = "the entry this client_withdrawal_id made before; nothing debited", body = LedgerEntry),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
    (status = 422, description = "insufficient_funds, invalid_amount, amount_too_large, unknown_asset, validation_error", body = common::ErrorBody),
))]
pub async fn withdraw(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<MoveBody>,
) -> Result<(StatusCode, Json<LedgerEntry>), ApiError> {
    let asset = listed_asset(&state, text(&body.asset, "asset")?)?;
    let units = units(asset, &body.amount)?;
    let id = reference(&body.client_withdrawal_id, "client_withdrawal_id")?;
    let (entry, created) = state.funds.withdraw(user.user_id, asset, units, id).await?;
    Ok(created_or_first(created, entry))
}

/// Credits the caller the demo amount of every asset, at most once a minute (only with `FAUCET=true`).
#[utoipa::path(post, path = "/account/faucet", tag = "funds", security(("bearer" = [])), responses(
    (status = 201, description = "credited: one ledger entry per asset", body = Vec<LedgerEntry>),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
    (status = 404, description = "not_found: the faucet is off", body = common::ErrorBody),
    (status = 429, description = "rate_limited: once a minute, with Retry-After", body = common::ErrorBody),
))]
pub async fn faucet(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<(StatusCode, Json<Vec<LedgerEntry>>), ApiError> {
    if !state.funds.settings().faucet {
        return Err(ApiError::NotFound {
            code: "not_found",
            detail: "the faucet is off (FAUCET=true turns it on)".into(),
        });
    }
    Ok((StatusCode::CREATED, Json(state.funds.faucet(user.user_id).await?)))
}

/// Checks the admin's bearer token: without `ADMIN_TOKEN` configured the admin endpoints do not exist
/// (404); a missing or wrong token is 401.
fn admin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &state.funds.settings().admin_token else {
        return Err(ApiError::NotFound { code: "not_found", detail: "no such endpoint".into() });
    };
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "));
    // Compared by digest, so the comparison's time says nothing of the token.
    let digest = |t: &str| Sha256::digest(t.as_bytes());
    match given {
        Some(g) if digest(g) == digest(expected) => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}

/// Credits a user (admin only), once per `reference` across the exchange.
#[utoipa::path(post, path = "/admin/deposits", tag = "admin", security(("admin" = [])),
    request_body = DepositRequest, responses(
    (status = 201, description = "credited: the ledger entry", body = LedgerEntry),
    (status = 200, description = "the entry this reference made before; nothing credited", body = LedgerEntry),
    (status = 401, description = "unauthorized: no or a wrong admin token", body = common::ErrorBody),
    (status = 404, description = "not_found: no such user, or no ADMIN_TOKEN configured", body = common::ErrorBody),
    (status = 422, description = "invalid_amount, amount_too_large, unknown_asset, validation_error", body = common::ErrorBody),
))]
pub async fn deposit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<MoveBody>,
) -> Result<(StatusCode, Json<LedgerEntry>), ApiError> {
    admin(&state, &headers)?;
    let asset = listed_asset(&state, text(&body.asset, "asset")?)?;
    let units = units(asset, &body.amount)?;
    let reference = reference(&body.reference, "reference")?;
    let username = text(&body.username, "username")?;
    let unknown = || ApiError::NotFound { code: "not_found", detail: "no such user".into() };
    if username.len() > 64 {
        return Err(unknown());
    }
    let user_id = state.accounts.user_id_of(username).await?.ok_or_else(unknown)?;
    let (entry, created) = state.funds.deposit(user_id, asset, units, reference).await?;
    tracing::info!(user_id, asset = %asset.asset, created, "deposit");
    Ok(created_or_first(created, entry))
}

/// The exchange's fee account (admin only): per asset, the fees the fills collected less the maker
/// rebates paid.
#[utoipa::path(get, path = "/admin/fees", tag = "admin", security(("admin" = [])), responses(
    (status = 200, description = "every asset, zeros included", body = Vec<FeeAmount>),
    (status = 401, description = "unauthorized: no or a wrong admin token", body = common::ErrorBody),
    (status = 404, description = "not_found: no ADMIN_TOKEN configured", body = common::ErrorBody),
))]
pub async fn fees(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Vec<FeeAmount>>, ApiError> {
    admin(&state, &headers)?;
    Ok(Json(state.funds.fees().await?))
}
