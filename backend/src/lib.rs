//! The exchange's backend: the matching engine's Rust face (`engine`), the HTTP layer (`http`), the
//! configured markets, configuration and start-up, and the plumbing to run Redis for tests,
//! benchmarks and `make run`.

pub mod auth;
pub mod bench;
pub mod config;
pub mod engine;
pub mod feed;
pub mod http;
pub mod markets;
pub mod metrics;
pub mod redis_deployments;
pub mod redis_pool;
pub mod redis_process;
pub mod redis_pubsub;
pub mod redis_sentinel;
pub mod startup;
