//! What the fault tests use: the test kit's app, Redis deployments and WebSocket client.

pub use testkit::ws_client::*;
pub use testkit::*;
