//! The WebSocket feeds: the public order book feed and the private feed of a user's orders and fills,
//! over what both share (`socket`: limits, origin check, sending with a deadline).

pub mod public;
pub mod socket;
pub mod user;
