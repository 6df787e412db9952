//! The HTTP face of the exchange: routes split by resource, merged here, over one shared state.

mod accounts;
pub mod error;
pub mod json;
mod market_data;
mod orders;
mod query;

use std::path::Path;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use redis::aio::ConnectionManager;
use tower_http::services::{ServeDir, ServeFile};

use crate::auth::Accounts;
use crate::engine::Engine;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine<ConnectionManager>,
    pub accounts: Accounts<ConnectionManager>,
}

/// The whole app: API routes, then the browser UI from `static_dir` for every other path.
pub fn app(state: AppState, static_dir: &Path) -> Router {
    let ui = ServeDir::new(static_dir).fallback(ServeFile::new(static_dir.join("index.html")));
    Router::new()
        .merge(market_data::router())
        .merge(accounts::router())
        .merge(orders::router())
        .layer(DefaultBodyLimit::max(json::BODY_LIMIT))
        .with_state(state)
        .fallback_service(ui)
}
