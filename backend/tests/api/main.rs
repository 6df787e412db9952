//! The contract's tests, REST and WebSocket: the whole app on port 0 over a Redis of its own, each test
//! on one server and on a Redis Cluster (`on_every_deployment!`).

mod account_limits;
mod accounts;
mod bad_input;
mod candles;
mod connections;
mod funds;
mod fuzz;
mod helpers;
mod market_data;
mod orders;
mod public_reads;
mod security;
mod ui_files;
mod ws;
mod ws_limits;
