//! Public market data: markets, order book snapshots, recent trades and health.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use common::{Asset, BookSnapshot, Health, Market, Trade};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::book_reads;
use super::client_address::ClientAddress;
use super::error::ApiError;
use super::query::QueryMap;
use super::state::AppState;
use crate::metrics::METRICS;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(markets))
        .routes(routes!(assets))
        .routes(routes!(book))
        .routes(routes!(trades))
        .routes(routes!(health))
        // With a trailing slash too (the contract takes both; documented once).
        .route("/markets/", get(markets))
}

/// The listed markets with their tick and lot sizes, bounds and fee rates.
#[utoipa::path(get, path = "/markets", tag = "market data", responses((status = 200, body = Vec<Market>)))]
pub async fn markets(State(state): State<AppState>) -> Json<Vec<Market>> {
    Json(state.engine.markets().all().to_vec())
}

/// The assets the markets trade, each with its scale: the decimal places its amounts carry.
#[utoipa::path(get, path = "/assets", tag = "market data", responses((status = 200, body = Vec<Asset>)))]
pub async fn assets(State(state): State<AppState>) -> Json<Vec<Asset>> {
    Json(state.engine.markets().assets().to_vec())
}

/// The order book: bids best (highest) first, asks best (lowest) first, and the sequence it reflects.
#[utoipa::path(get, path = "/orders/book/{symbol}", tag = "market data", params(
    ("symbol" = String, Path, description = "BTC%2FUSD or BTC-USD"),
    ("depth" = Option<u32>, Query, description = "levels per side, 1-1000, default 10"),
), responses(
    (status = 200, body = BookSnapshot),
    (status = 404, description = "unknown_symbol", body = common::ErrorBody),
    (status = 422, description = "validation_error", body = common::ErrorBody),
    (status = 429, description = "rate_limited: too many public reads from this address", body = common::ErrorBody),
))]
pub async fn book(
    State(state): State<AppState>,
    Path(text): Path<String>,
    client: ClientAddress,
    q: QueryMap,
) -> Result<Response, ApiError> {
    let symbol = state.listed_symbol(&text)?;
    let depth = q.bounded("depth", 10, 1000)?;
    client.take(&state.limits.public_reads)?;
    let taken = book_reads::snapshot(&state, &symbol, depth, 0).await?;
    Ok(json_response(taken.body(depth).map_err(|e| ApiError::Internal(e.to_string()))?))
}

fn json_response(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The market's recent trades, newest first.
#[utoipa::path(get, path = "/orders/trades/{symbol}", tag = "market data", params(
    ("symbol" = String, Path, description = "BTC%2FUSD or BTC-USD"),
    ("limit" = Option<u32>, Query, description = "1-1000, default 50"),
), responses(
    (status = 200, body = Vec<Trade>),
    (status = 404, description = "unknown_symbol", body = common::ErrorBody),
    (status = 422, description = "validation_error", body = common::ErrorBody),
    (status = 429, description = "rate_limited: too many public reads from this address", body = common::ErrorBody),
))]
pub async fn trades(
    State(state): State<AppState>,
    Path(text): Path<String>,
    client: ClientAddress,
    q: QueryMap,
) -> Result<Json<Vec<Trade>>, ApiError> {
    let symbol = state.listed_symbol(&text)?;
    let limit = q.bounded("limit", 50, 1000)?;
    client.take(&state.limits.public_reads)?;
    Ok(Json(state.engine.recent_trades(&symbol, limit).await?))
}

/// 200 while Redis answers, 503 while it does not.
#[utoipa::path(get, path = "/health", tag = "market data", responses(
    (status = 200, description = "Redis answers", body = Health),
    (status = 503, description = "Redis does not answer", body = Health),
))]
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let started = std::time::Instant::now();
    if state.engine.ping().await {
        METRICS.redis_roundtrip.with_label_values(&["health"]).observe(started.elapsed().as_secs_f64());
        (StatusCode::OK, Json(Health { status: "healthy".into(), redis: "connected".into() }))
    } else {
        METRICS.redis_errors.with_label_values(&["health"]).inc();
        (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "unhealthy".into(), redis: "disconnected".into() }))
    }
}
