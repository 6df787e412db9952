//! The matching engine's tests: each rule of the contract, the reference model, bounds on one call's
//! work, and refusals that write nothing — against a Redis the test starts itself, each on one server
//! and on a Redis Cluster unless it says otherwise.

mod amends;
mod amounts;
mod bounds;
mod candles;
mod formats;
mod helpers;
mod lua_lint;
mod migration;
mod model;
mod no_partial_writes;
mod properties;
mod rules;
mod settlement;
mod stops;
mod transfers;
