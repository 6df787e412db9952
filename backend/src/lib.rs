//! The exchange's server. Its modules form layers, and every import points down them:
//!
//! `config`, `metrics` → `redis` → `engine` → `auth`, `feed`, `funds` → `market_data` → `http` → `startup`
//!
//! - `config`: every setting, from the environment (imports nothing of the crate);
//! - `metrics`: the Prometheus metrics every layer counts into;
//! - `redis`: connections (one server, Cluster, Sentinel), Pub/Sub, the embedded `redis-server`;
//! - `engine`: the matching engine's Rust face over its Lua library (`lua/`);
//! - `auth`: accounts and sessions; `feed`: fan-out of the engine's events to WebSocket clients;
//!   `funds`: wallets, deposits, withdrawals, the faucet, balances and the ledger;
//! - `market_data`: candles and tickers folded from the trades, and their WebSocket messages;
//! - `http`: routes, WebSocket sessions, the contract's errors, the server loop;
//! - `startup`: builds the application from its configuration.
//!
//! `tests/layers.rs` checks the order.

pub mod auth;
pub mod config;
pub mod engine;
pub mod feed;
pub mod funds;
pub mod http;
pub mod market_data;
pub mod metrics;
pub mod redis;
pub mod startup;
