//! The API's integration tests (REST and WebSocket): the whole app on port 0, each test with its own
//! `redis-server`.

mod accounts;
mod backend_crash;
mod bad_input;
mod connections;
mod durability;
mod failover;
mod fuzz;
mod helpers;
mod market_data;
mod orders;
mod redis_memory;
mod scale_out;
mod secrets;
mod slow_clients;
mod tls;
mod ws;
