//! The whole app: every route merged in one place over one state, then the browser UI. The API lives
//! under one base path; each documented route is registered with its OpenAPI entry (`routes!`), so
//! the served document lists exactly the routes there are.

use std::path::Path;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap};
use axum::routing::{any, get};
use axum::{middleware, Extension, Router};
use sha2::{Digest, Sha256};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use super::error::ApiError;
use super::openapi::ApiDoc;
use super::security_headers::{self, SecurityHeaders};
use super::state::AppState;
use super::{accounts, funds, market_data, market_stats, observe, openapi, orders, timeout, ui, ws};
use crate::config::BODY_LIMIT;

/// Where the API lives.
pub const API_BASE: &str = "/api/v1";

/// The Prometheus metrics; with `METRICS_TOKEN` set, only for a request that bears it.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Result<String, ApiError> {
    if let Some(expected) = &state.metrics_token {
        let given =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "));
        // Compared by digest, so the comparison's time says nothing of the token.
        let digest = |t: &str| Sha256::digest(t.as_bytes());
        if given.is_none_or(|g| digest(g) != digest(expected)) {
            return Err(ApiError::Unauthorized);
        }
    }
    Ok(crate::metrics::METRICS.render())
}

async fn no_such_endpoint() -> ApiError {
    ApiError::NotFound { code: "not_found", detail: "no such endpoint".into() }
}

/// The whole app: API routes, then the browser UI from `static_dir` for every other path. A request
/// takes at most `request_timeout`, its body included.
pub fn app(state: AppState, static_dir: &Path, request_timeout: Duration) -> Router {
    let index = static_dir.join("index.html");
    let security = SecurityHeaders::new(index.clone(), &[openapi::DOCS_PAGE]);
    let ui = ui::service(static_dir);
    let documented = OpenApiRouter::new()
        .merge(accounts::routes())
        .merge(orders::routes())
        .merge(market_data::routes())
        .merge(market_stats::routes())
        .merge(funds::routes());
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(API_BASE, documented).split_for_parts();
    let undocumented = Router::new()
        .merge(openapi::routes())
        .route("/ws/orderbook/{symbol}", get(ws::public::orderbook_ws))
        .route("/ws/user", get(ws::user::user_ws));
    api.nest(API_BASE, undocumented)
        .route("/metrics", get(metrics))
        // An API path that names no endpoint gets the contract's error, not the UI's page.
        .route("/api/{*rest}", any(no_such_endpoint))
        .layer(Extension(openapi::Document::new(&doc)))
        .layer(middleware::from_fn_with_state(request_timeout, timeout::request_timeout))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(observe::observe))
        .with_state(state)
        .fallback_service(ui)
        .layer(middleware::from_fn_with_state(security, security_headers::add))
}
