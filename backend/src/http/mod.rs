//! The HTTP face of the exchange: routes split by resource, merged here, over one shared state.

pub mod error;
mod market_data;

use std::path::Path;

use axum::Router;
use redis::aio::ConnectionManager;
use tower_http::services::{ServeDir, ServeFile};

use crate::engine::Engine;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine<ConnectionManager>,
}

/// The whole app: API routes, then the browser UI from `static_dir` for every other path.
pub fn app(state: AppState, static_dir: &Path) -> Router {
    let ui = ServeDir::new(static_dir).fallback(ServeFile::new(static_dir.join("index.html")));
    Router::new().merge(market_data::router()).with_state(state).fallback_service(ui)
}
