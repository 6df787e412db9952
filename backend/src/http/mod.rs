//! The HTTP face of the exchange: routes split by resource, merged here, over one shared state.

mod accounts;
pub mod book_cache;
pub mod error;
pub mod json;
mod market_data;
mod observe;
pub mod openapi;
mod orders;
mod query;
pub mod rate_limit;
pub mod server;
pub mod ws;
mod ws_public;
mod ws_user;

use std::path::Path;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{middleware, Router};
use tower_http::services::{ServeDir, ServeFile};

use crate::auth::Accounts;
use crate::engine::batcher::Batcher;
use crate::engine::Engine;
use crate::feed::Feed;
use crate::redis_pool::RedisPool;

/// What every handler can reach, behind one `Arc`: axum clones the state for every request (and every
/// extractor that takes it), and one reference count is far cheaper than one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub engine: Engine<RedisPool>,
    pub accounts: Accounts<RedisPool>,
    pub rate_limit: Arc<rate_limit::RateLimiter>,
    pub book_cache: Arc<book_cache::BookCache>,
    /// Placements go through here, batched per market.
    pub placer: Batcher<RedisPool>,
    /// Fan-out of every market's events to this instance's WebSocket clients.
    pub feed: Arc<Feed>,
    pub ws: Arc<ws::WsConfig>,
    pub ws_slots: Arc<ws::Slots>,
}

async fn no_such_endpoint() -> error::ApiError {
    error::ApiError::NotFound { code: "not_found", detail: "no such endpoint".into() }
}

/// The whole app: API routes, then the browser UI from `static_dir` for every other path.
pub fn app(state: AppState, static_dir: &Path) -> Router {
    let ui = ServeDir::new(static_dir).fallback(ServeFile::new(static_dir.join("index.html")));
    Router::new()
        .merge(market_data::router())
        .merge(accounts::router())
        .merge(orders::router())
        .merge(openapi::router())
        .route("/api/v1/ws/orderbook/{symbol}", get(ws_public::orderbook_ws))
        .route("/api/v1/ws/user", get(ws_user::user_ws))
        .route("/metrics", get(|| async { crate::metrics::METRICS.render() }))
        // An API path that names no endpoint gets the contract's error, not the UI's page.
        .route("/api/{*rest}", axum::routing::any(no_such_endpoint))
        .layer(DefaultBodyLimit::max(json::BODY_LIMIT))
        .layer(middleware::from_fn(observe::observe))
        .with_state(state)
        .fallback_service(ui)
}
