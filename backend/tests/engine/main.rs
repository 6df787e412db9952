//! The matching engine's tests, each against a `redis-server` it starts itself.

mod helpers;
mod model;
mod properties;
mod rules;
