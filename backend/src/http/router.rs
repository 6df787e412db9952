//! The whole app: every route merged in one place over one state, then the browser UI.

use std::path::Path;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{middleware, Router};
use tower_http::services::{ServeDir, ServeFile};

use super::error::ApiError;
use super::state::AppState;
use super::{accounts, market_data, observe, openapi, orders, ws};
use crate::config::BODY_LIMIT;

async fn no_such_endpoint() -> ApiError {
    ApiError::NotFound { code: "not_found", detail: "no such endpoint".into() }
}

/// The whole app: API routes, then the browser UI from `static_dir` for every other path.
pub fn app(state: AppState, static_dir: &Path) -> Router {
    let ui = ServeDir::new(static_dir).fallback(ServeFile::new(static_dir.join("index.html")));
    Router::new()
        .merge(market_data::router())
        .merge(accounts::router())
        .merge(orders::router())
        .merge(openapi::router())
        .route("/api/v1/ws/orderbook/{symbol}", get(ws::public::orderbook_ws))
        .route("/api/v1/ws/user", get(ws::user::user_ws))
        .route("/metrics", get(|| async { crate::metrics::METRICS.render() }))
        // An API path that names no endpoint gets the contract's error, not the UI's page.
        .route("/api/{*rest}", axum::routing::any(no_such_endpoint))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(observe::observe))
        .with_state(state)
        .fallback_service(ui)
}
