//! The contract's tests, REST and WebSocket: the whole app on port 0 over a Redis of its own, each test
//! on one server and on a Redis Cluster (`on_every_deployment!`).

mod accounts;
mod bad_input;
mod connections;
mod fuzz;
mod helpers;
mod market_data;
mod orders;
mod ws;
