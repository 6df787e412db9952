//! Settings of the services the backend runs: the engine's limits and retention, the HTTP server's
//! connection limits and the WebSocket feeds' limits.

use std::time::Duration;

/// Request bodies are at most this large (16 KiB).
pub const BODY_LIMIT: usize = 16 * 1024;

/// Limits and retention the scripts apply.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    /// How long a closed order stays readable, in milliseconds.
    pub retention_ms: u64,
    /// Resting orders one incoming order may touch (fills and self-trade cancels) in one call.
    pub max_fills_per_call: u32,
    /// Approximate length the per-market trades stream is capped at.
    pub trades_stream_len: u64,
    /// Open orders a user may have in one market.
    pub max_open_orders_per_user: u32,
    /// Closed orders kept in a user's history per market (older ones drop out of listings).
    pub history_per_user: u32,
    /// Replicas that must have a write before it is acknowledged (Redis `WAIT`); 0 acknowledges on the
    /// master's word alone.
    pub replicas_to_wait: u32,
    /// How long to wait for them, in milliseconds.
    pub replica_wait_ms: u64,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            retention_ms: 24 * 3600 * 1000,
            max_fills_per_call: 250,
            trades_stream_len: 10_000,
            max_open_orders_per_user: 500,
            history_per_user: 1000,
            replicas_to_wait: 0,
            replica_wait_ms: 200,
        }
    }
}

/// Limits on the connections the server holds.
#[derive(Clone, Debug)]
pub struct HttpLimits {
    /// Open HTTP connections at most.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers (an idle keep-alive connection is closed
    /// after as long).
    pub header_read_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits { max_connections: 25_000, header_read_timeout: Duration::from_secs(30) }
    }
}

/// Limits of the WebSocket feeds.
#[derive(Clone, Debug)]
pub struct WsConfig {
    pub max_connections: usize,
    pub max_message_bytes: usize,
    pub messages_per_sec: u32,
    /// Browser origins allowed besides the UI's own (same host); `*` allows any.
    pub allowed_origins: Vec<String>,
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig { max_connections: 20_000, max_message_bytes: 4096, messages_per_sec: 20, allowed_origins: Vec::new() }
    }
}
