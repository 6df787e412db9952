//! Public market data: markets, order book snapshots, recent trades and health.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use common::{BookSnapshot, Market, Trade};
use serde_json::json;

use super::error::ApiError;
use super::orders::listed_symbol;
use super::query::QueryMap;
use super::AppState;
use crate::metrics::METRICS;

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

async fn book(State(state): State<AppState>, Path(text): Path<String>, q: QueryMap) -> Result<Json<BookSnapshot>, ApiError> {
    let symbol = listed_symbol(&state, &text)?;
    let depth = q.bounded("depth", 10, 1000)?;
    Ok(Json(state.engine.book(&symbol, depth).await?))
}

async fn trades(State(state): State<AppState>, Path(text): Path<String>, q: QueryMap) -> Result<Json<Vec<Trade>>, ApiError> {
    let symbol = listed_symbol(&state, &text)?;
    let limit = q.bounded("limit", 50, 1000)?;
    Ok(Json(state.engine.recent_trades(&symbol, limit).await?))
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let started = std::time::Instant::now();
    if state.engine.ping().await {
        METRICS.redis_roundtrip.with_label_values(&["health"]).observe(started.elapsed().as_secs_f64());
        (StatusCode::OK, Json(json!({"status": "healthy", "redis": "connected"})))
    } else {
        METRICS.redis_errors.with_label_values(&["health"]).inc();
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unhealthy", "redis": "disconnected"})))
    }
}
