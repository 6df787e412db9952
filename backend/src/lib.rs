//! The exchange's backend: the matching engine's Rust face (`engine`), the configured markets and the
//! plumbing to run Redis for tests, benchmarks and `make run`.

pub mod engine;
pub mod markets;
pub mod redis_process;
