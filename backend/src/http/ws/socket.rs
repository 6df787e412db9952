//! What both WebSocket feeds share: the limits (message size, message rate, connection count, allowed
//! browser origins) and small helpers to send with a deadline.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{header, HeaderMap};
use common::time::{format_millis, now_ms};
use common::{ErrorData, ServerMessage};
use futures_util::SinkExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::WsConfig;
use crate::feed::messages::text;
use crate::http::client_address::ClientAddress;
use crate::http::counted::{Counted, CountedSlot};
use crate::http::error::ApiError;
use crate::http::token_bucket::{Rate, TokenBucket};
use crate::metrics::METRICS;

/// One connection's place in its feed's pool (a permit of the pool's semaphore), counted in the
/// `websocket_connections` gauge while it is held.
struct PoolSlot {
    _permit: OwnedSemaphorePermit,
}

impl PoolSlot {
    fn acquire(pool: &Arc<Semaphore>) -> Option<PoolSlot> {
        let permit = pool.clone().try_acquire_owned().ok()?;
        METRICS.ws_connections.inc();
        Some(PoolSlot { _permit: permit })
    }
}

impl Drop for PoolSlot {
    fn drop(&mut self) {
        METRICS.ws_connections.dec();
    }
}

/// Which feed a connection is for: each has a pool of its own.
#[derive(Clone, Copy)]
pub enum FeedKind {
    Public,
    Private,
}

/// The caps on open WebSockets: a pool per feed, a count per client address (both feeds), a count of
/// private connections per user.
pub struct WsLimits {
    public: Arc<Semaphore>,
    private: Arc<Semaphore>,
    per_address: Arc<Counted<IpAddr>>,
    per_user: Arc<Counted<u64>>,
}

/// What one open connection holds; every count is given back when it is dropped.
pub struct Slot {
    _pool: PoolSlot,
    _address: Option<CountedSlot<IpAddr>>,
}

impl WsLimits {
    pub fn new(config: &WsConfig) -> WsLimits {
        WsLimits {
            public: Arc::new(Semaphore::new(config.max_connections)),
            private: Arc::new(Semaphore::new(config.max_private_connections)),
            per_address: Counted::new(config.max_per_address),
            per_user: Counted::new(config.max_private_per_user),
        }
    }

    /// A slot for a new connection to `feed` from `client`: 503 when the feed's pool is full, 429 when
    /// the client's address has its share.
    pub fn admit(&self, feed: FeedKind, client: &ClientAddress) -> Result<Slot, ApiError> {
        let pool = match feed {
            FeedKind::Public => &self.public,
            FeedKind::Private => &self.private,
        };
        let address = match client.exempt {
            true => None,
            false => Some(self.per_address.acquire(client.ip).ok_or_else(|| {
                METRICS.limited.with_label_values(&["websockets_per_address"]).inc();
                ApiError::TooManyRequests { retry_after_secs: 1 }
            })?),
        };
        let pool = PoolSlot::acquire(pool).ok_or_else(|| {
            METRICS.limited.with_label_values(&["websockets"]).inc();
            ApiError::Busy("too many WebSocket connections; retry later".into())
        })?;
        Ok(Slot { _pool: pool, _address: address })
    }

    /// A slot for one more private connection of `user_id`; None when the user has their share.
    pub fn admit_user(&self, user_id: u64) -> Option<CountedSlot<u64>> {
        let slot = self.per_user.acquire(user_id);
        if slot.is_none() {
            METRICS.limited.with_label_values(&["private_websockets_per_user"]).inc();
        }
        slot
    }

    pub fn max_private_per_user(&self) -> usize {
        self.per_user.max()
    }
}

/// Clients without an `Origin` (bots, services) are let in; a browser must come from the UI's own host
/// or an allowed origin, so that another site cannot open the feeds with a visitor's browser.
pub fn check_origin(headers: &HeaderMap, config: &WsConfig) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return Ok(()) };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
    let allowed = origin_host.eq_ignore_ascii_case(host)
        || config.allowed_origins.iter().any(|o| o == "*" || o.eq_ignore_ascii_case(origin));
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            code: "origin_not_allowed",
            detail: format!("origin {origin} may not open this feed"),
        })
    }
}

/// Incoming messages per second of one connection.
pub struct MessageRate {
    rate: Rate,
    bucket: TokenBucket,
}

impl MessageRate {
    pub fn new(per_sec: u32) -> MessageRate {
        let rate = Rate::per_second(per_sec.max(1));
        MessageRate { rate, bucket: TokenBucket::full(rate, Instant::now()) }
    }

    pub fn allow(&mut self) -> bool {
        self.bucket.take(self.rate, Instant::now()).is_ok()
    }
}

/// The socket itself, not a split half: a split puts a lock between the two halves that every message
/// out and every look at the socket takes, a cost that grows with the clients (docs/performance.md).
pub type Sink = WebSocket;

/// Frame and message size limits, and small socket buffers: the defaults (128 KiB each way) would
/// cost over 100 KiB per idle connection, too much for tens of thousands of them.
pub fn limit(ws: WebSocketUpgrade, max_message_bytes: usize) -> WebSocketUpgrade {
    ws.max_message_size(max_message_bytes)
        .max_frame_size(max_message_bytes)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
}

/// A client that has not taken a message within this time is too slow: it is disconnected.
const SEND_DEADLINE: Duration = Duration::from_secs(10);

/// Sends one message; Err when the client is gone or too slow.
pub async fn send(sink: &mut Sink, message: Utf8Bytes) -> Result<(), ()> {
    match tokio::time::timeout(SEND_DEADLINE, sink.send(Message::Text(message))).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

/// Queues messages and writes them out in one flush: one system call per batch, not per message, which
/// is what lets one instance feed thousands of clients.
pub async fn send_all(sink: &mut Sink, messages: impl IntoIterator<Item = Utf8Bytes>) -> Result<(), ()> {
    let write = async {
        for m in messages {
            sink.feed(Message::Text(m)).await?;
        }
        sink.flush().await
    };
    match tokio::time::timeout(SEND_DEADLINE, write).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

pub async fn pong(sink: &mut Sink) -> Result<(), ()> {
    send(sink, text(&ServerMessage::Pong { timestamp: format_millis(now_ms()) })).await
}

pub async fn send_error(sink: &mut Sink, message: &str) -> Result<(), ()> {
    send(sink, text(&ServerMessage::Error { data: ErrorData { message: message.to_string() } })).await
}

/// Closes with a reason the client can read (policy violation).
pub async fn close(sink: &mut Sink, reason: &str) {
    let frame = CloseFrame { code: 1008, reason: Utf8Bytes::from(reason.to_string()) };
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(Some(frame)))).await;
}

/// A connection that keeps flooding goes after this many refused messages in a row.
const FLOOD_STRIKES: u32 = 100;

/// What a client sent, once checked.
pub enum Incoming {
    Text(Utf8Bytes),
    /// Nothing to answer (a control frame, or a message already refused with an error).
    Skip,
    /// The client is gone, or was closed for flooding.
    Stop,
}

/// A connection silent for this many ping intervals is closed.
pub const PING_MISSES: u32 = 3;

/// The incoming side's rules: JSON text only, at most the message rate; a client that keeps sending
/// over it is closed, and so is one that sends nothing, not even the answer to a ping, for
/// `PING_MISSES` ping intervals.
pub struct Inbox {
    rate: MessageRate,
    strikes: u32,
    last_heard: Instant,
    ping_interval: Duration,
}

impl Inbox {
    pub fn new(config: &WsConfig) -> Inbox {
        Inbox {
            rate: MessageRate::new(config.messages_per_sec),
            strikes: 0,
            last_heard: Instant::now(),
            ping_interval: config.ping_interval,
        }
    }

    /// Ticks once a ping interval (the first a whole interval from now): on each, call `keepalive`.
    pub fn pinger(&self) -> tokio::time::Interval {
        let mut pinger = tokio::time::interval_at(tokio::time::Instant::now() + self.ping_interval, self.ping_interval);
        pinger.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        pinger
    }

    /// Pings a client silent for a ping interval; closes one silent for `PING_MISSES` (Err then).
    pub async fn keepalive(&self, sink: &mut Sink) -> Result<(), ()> {
        let silent = self.last_heard.elapsed();
        if silent >= self.ping_interval * PING_MISSES {
            close(sink, "no answer to pings").await;
            return Err(());
        }
        if silent >= self.ping_interval {
            return match tokio::time::timeout(SEND_DEADLINE, sink.send(Message::Ping(Default::default()))).await {
                Ok(Ok(())) => Ok(()),
                _ => Err(()),
            };
        }
        Ok(())
    }

    pub async fn check(&mut self, item: Option<Result<Message, axum::Error>>, sink: &mut Sink) -> Incoming {
        if let Some(Ok(_)) = &item {
            self.last_heard = Instant::now();
        }
        let text = match item {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Binary(_))) => {
                return if send_error(sink, "messages must be JSON text").await.is_ok() {
                    Incoming::Skip
                } else {
                    Incoming::Stop
                };
            }
            Some(Ok(_)) => return Incoming::Skip,
            _ => return Incoming::Stop,
        };
        if self.rate.allow() {
            self.strikes = 0;
            return Incoming::Text(text);
        }
        self.strikes += 1;
        if self.strikes >= FLOOD_STRIKES {
            close(sink, "too many messages").await;
            return Incoming::Stop;
        }
        if send_error(sink, "too many messages: slow down").await.is_ok() {
            Incoming::Skip
        } else {
            Incoming::Stop
        }
    }
}
