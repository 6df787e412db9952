//! Settings of the services the backend runs: the engine's limits and retention, the HTTP server's
//! connection limits and the WebSocket feeds' limits.

use std::time::Duration;

use super::addresses::AddressSet;

/// Request bodies are at most this large (16 KiB).
pub const BODY_LIMIT: usize = 16 * 1024;

/// Limits and retention the scripts apply.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    /// How long a closed order stays readable, in milliseconds.
    pub retention_ms: u64,
    /// Resting orders one incoming order may touch (fills and self-trade cancels) in one call.
    pub max_fills_per_call: u32,
    /// Stop orders one call may place when trades reach them (`lua/stops.lua`, "Bounded work"): what is
    /// left waits for the market's next call, at most `STOP_TICK` away.
    pub stops_per_call: u32,
    /// Approximate length the per-market trades stream is capped at.
    pub trades_stream_len: u64,
    /// Open orders a user may have in one market.
    pub max_open_orders_per_user: u32,
    /// Closed orders kept in a user's history per market (older ones drop out of listings).
    pub history_per_user: u32,
    /// Fills kept in a user's fills per market (older ones drop out of `GET /api/v1/account/fills` and
    /// the ledger): twice the closed orders kept, so the fills of the orders kept stay readable unless
    /// those orders average more than two fills each.
    pub fills_per_user: u32,
    /// Candles kept per interval and market (the oldest go as new ones open): at least a day of
    /// one-minute candles, which the 24 h ticker is made of.
    pub candles_kept: u32,
    /// Resting orders one market may hold: past it, an order that would rest is refused (409
    /// `market_full`), so that one market cannot fill Redis's memory.
    pub max_resting_orders_per_market: u64,
    /// The sweep's step (`lua/engine_lib.lua`, "Level queues"): cancelled orders a price level holds as
    /// tombstones before a sweep starts, and list entries swept per cancel (1–1000).
    pub level_sweep: u32,
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
            stops_per_call: 25,
            trades_stream_len: 10_000,
            max_open_orders_per_user: 500,
            history_per_user: 1000,
            fills_per_user: 2000,
            candles_kept: 1500,
            max_resting_orders_per_market: 1_000_000,
            level_sweep: 64,
            replicas_to_wait: 0,
            replica_wait_ms: 200,
        }
    }
}

/// Limits on the connections the server holds and the time a request may take.
#[derive(Clone, Debug)]
pub struct HttpLimits {
    /// Open HTTP connections at most.
    pub max_connections: usize,
    /// Open HTTP connections of one client address at most (addresses in `exempt` have none).
    pub max_connections_per_address: usize,
    /// How long a client may take to send a request's headers, from its connection or from the last
    /// answer (a connection that sends nothing is closed after as long).
    pub header_read_timeout: Duration,
    /// How long a request may take as a whole, its body included (WebSocket sessions, once upgraded,
    /// are not requests any more).
    pub request_timeout: Duration,
    /// Client addresses the per-address limits skip (`RATE_LIMIT_EXEMPT`): load tests, trusted gateways.
    pub exempt: AddressSet,
    /// Proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`); their own connections are
    /// not capped per address either, as they carry many clients'.
    pub trusted_proxies: AddressSet,
    /// Logins one client address may attempt per minute (0: no limit).
    pub logins_per_minute: u32,
    /// Accounts one client address may register per hour (0: no limit).
    pub registrations_per_hour: u32,
    /// Book and trades reads (REST, and WebSocket requests) of one client address per second (0: no
    /// limit).
    pub public_reads_per_sec: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_connections: 25_000,
            max_connections_per_address: 200,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            exempt: AddressSet::default(),
            trusted_proxies: AddressSet::default(),
            logins_per_minute: 30,
            registrations_per_hour: 20,
            public_reads_per_sec: 20,
        }
    }
}

/// Limits of the WebSocket feeds.
#[derive(Clone, Debug)]
pub struct WsConfig {
    /// Open book-feed (public) connections at most.
    pub max_connections: usize,
    /// Open private-feed connections at most: a pool of their own, so that a crowd on the public feed
    /// cannot keep traders from their orders.
    pub max_private_connections: usize,
    /// Open connections of one client address, both feeds together (exempt addresses have none).
    pub max_per_address: usize,
    /// Open private connections of one user on this instance.
    pub max_private_per_user: usize,
    /// A connection the client has sent nothing on for this long is sent a ping; one silent for
    /// `PING_MISSES` times as long is closed (a half-open connection holds a slot otherwise).
    pub ping_interval: Duration,
    pub max_message_bytes: usize,
    pub messages_per_sec: u32,
    /// Browser origins allowed besides the UI's own (same host); `*` allows any.
    pub allowed_origins: Vec<String>,
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            max_connections: 20_000,
            max_private_connections: 10_000,
            max_per_address: 100,
            max_private_per_user: 10,
            ping_interval: Duration::from_secs(30),
            max_message_bytes: 4096,
            messages_per_sec: 20,
            allowed_origins: Vec::new(),
        }
    }
}

/// Limits of the accounts: password hashing, failed logins, sessions.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// How long a login token lasts, in seconds.
    pub token_ttl_secs: u64,
    /// Password hashes (argon2, 19 MiB each) computed at once; a few times as many requests wait for
    /// one, and past that a login or registration is refused at once with 503.
    pub max_concurrent_hashes: usize,
    /// Live sessions of one user; a login past it revokes the oldest.
    pub max_sessions_per_user: u32,
    /// Failed logins of one username (on one instance) before each further one costs a wait (1 s,
    /// doubling, at most `max_login_backoff`).
    pub free_failed_logins: u32,
    pub max_login_backoff: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            token_ttl_secs: 24 * 3600,
            max_concurrent_hashes: std::thread::available_parallelism().map_or(2, usize::from),
            max_sessions_per_user: 20,
            free_failed_logins: 5,
            max_login_backoff: Duration::from_secs(60),
        }
    }
}
