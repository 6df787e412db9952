//! The matching engine's tests, each against a `redis-server` it starts itself.

mod bounds;
mod helpers;
mod model;
mod no_partial_writes;
mod properties;
mod rules;
mod upgrade;
