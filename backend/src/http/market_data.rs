//! Public market data: markets, order book snapshots, recent trades and health.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use common::{BookSnapshot, Market, Symbol, Trade};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/markets", get(markets))
        .route("/api/v1/markets/", get(markets))
        .route("/api/v1/orders/book/{symbol}", get(book))
        .route("/api/v1/orders/trades/{symbol}", get(trades))
        .route("/api/v1/health", get(health))
}

async fn markets(State(state): State<AppState>) -> Json<Vec<Market>> {
    Json(state.engine.markets().all().to_vec())
}

/// A path symbol: `BTC%2FUSD` (decoded by the router) or `BTC-USD`; unknown ones are 404.
fn symbol(state: &AppState, text: &str) -> Result<Symbol, ApiError> {
    let unknown = || ApiError::NotFound { code: "unknown_symbol", detail: "unknown symbol".into() };
    let s = Symbol::parse(text).map_err(|_| unknown())?;
    state.engine.markets().get(&s).map(|_| s).ok_or_else(unknown)
}

fn bounded(name: &str, value: Option<i64>, default: u32, max: u32) -> Result<u32, ApiError> {
    match value {
        None => Ok(default),
        Some(v) if (1..=i64::from(max)).contains(&v) => Ok(v as u32),
        Some(_) => Err(ApiError::invalid(format!("{name} must be between 1 and {max}"))),
    }
}

#[derive(Deserialize)]
struct DepthQuery {
    depth: Option<i64>,
}

async fn book(
    State(state): State<AppState>,
    Path(text): Path<String>,
    Query(q): Query<DepthQuery>,
) -> Result<Json<BookSnapshot>, ApiError> {
    let symbol = symbol(&state, &text)?;
    let depth = bounded("depth", q.depth, 10, 1000)?;
    Ok(Json(state.engine.book(&symbol, depth).await?))
}

#[derive(Deserialize)]
struct LimitQuery {
    limit: Option<i64>,
}

async fn trades(
    State(state): State<AppState>,
    Path(text): Path<String>,
    Query(q): Query<LimitQuery>,
) -> Result<Json<Vec<Trade>>, ApiError> {
    let symbol = symbol(&state, &text)?;
    let limit = bounded("limit", q.limit, 50, 1000)?;
    Ok(Json(state.engine.recent_trades(&symbol, limit).await?))
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    if state.engine.ping().await {
        (StatusCode::OK, Json(json!({"status": "healthy", "redis": "connected"})))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unhealthy", "redis": "disconnected"})))
    }
}
