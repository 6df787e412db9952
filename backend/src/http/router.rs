//! The whole app: every route merged in one place over one state, then the browser UI. The API lives
//! under one base path; each documented route is registered with its OpenAPI entry (`routes!`), so
//! the served document lists exactly the routes there are.

use std::path::Path;

use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get};
use axum::{middleware, Extension, Router};
use tower_http::services::{ServeDir, ServeFile};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use super::error::ApiError;
use super::openapi::ApiDoc;
use super::state::AppState;
use super::{accounts, market_data, observe, openapi, orders, ws};
use crate::config::BODY_LIMIT;

/// Where the API lives.
pub const API_BASE: &str = "/api/v1";

async fn no_such_endpoint() -> ApiError {
    ApiError::NotFound { code: "not_found", detail: "no such endpoint".into() }
}

/// The whole app: API routes, then the browser UI from `static_dir` for every other path.
pub fn app(state: AppState, static_dir: &Path) -> Router {
    let ui = ServeDir::new(static_dir).fallback(ServeFile::new(static_dir.join("index.html")));
    let documented =
        OpenApiRouter::new().merge(accounts::routes()).merge(orders::routes()).merge(market_data::routes());
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(API_BASE, documented).split_for_parts();
    let undocumented = Router::new()
        .merge(openapi::routes())
        .route("/ws/orderbook/{symbol}", get(ws::public::orderbook_ws))
        .route("/ws/user", get(ws::user::user_ws));
    api.nest(API_BASE, undocumented)
        .route("/metrics", get(|| async { crate::metrics::METRICS.render() }))
        // An API path that names no endpoint gets the contract's error, not the UI's page.
        .route("/api/{*rest}", any(no_such_endpoint))
        .layer(Extension(openapi::Document::new(&doc)))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(observe::observe))
        .with_state(state)
        .fallback_service(ui)
}
