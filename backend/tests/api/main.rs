//! The REST API's integration tests: the whole app on port 0, each test with its own `redis-server`.

mod accounts;
mod helpers;
mod market_data;
mod orders;
