//! The HTTP face of the exchange: routes split by resource (`accounts`, `orders`, `market_data`,
//! `market_stats` (candles, tickers, time),
//! `openapi`, the WebSocket feeds in `ws/`), merged in `router`, over one `AppState`; the contract's
//! error (`error`), the extractors (`json`, `query`, `extract`, `client_address`), the limits (`rate_limit`, `timeout`) and
//! the hardened server loop (`server`).

mod accounts;
pub mod book_cache;
mod book_reads;
pub mod client_address;
mod counted;
pub mod error;
pub mod extract;
mod funds;
pub mod json;
mod market_data;
mod market_stats;
mod observe;
pub mod openapi;
mod orders;
mod query;
pub mod rate_limit;
mod router;
mod security_headers;
pub mod server;
mod state;
mod timeout;
pub mod token_bucket;
mod ui;
pub mod ws;

pub use router::app;
pub use state::{AppState, Shared};
