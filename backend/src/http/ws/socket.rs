//! What both WebSocket feeds share: the limits (message size, message rate, connection count, allowed
//! browser origins) and small helpers to send with a deadline.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{header, HeaderMap};
use common::time::{format_millis, now_ms};
use common::{ErrorData, ServerMessage};
use futures_util::SinkExt;

use crate::config::WsConfig;
use crate::feed::messages::text;
use crate::http::error::ApiError;
use crate::http::token_bucket::TokenBucket;
use crate::metrics::METRICS;

/// Counts open connections against the limit; a slot is given back when dropped.
#[derive(Default)]
pub struct Slots(AtomicUsize);

pub struct Slot(Arc<Slots>);

impl Slots {
    pub fn acquire(self: &Arc<Slots>, max: usize) -> Result<Slot, ApiError> {
        let taken = self.0.fetch_add(1, Ordering::AcqRel);
        if taken >= max {
            self.0.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::Busy("too many WebSocket connections; retry later".into()));
        }
        METRICS.ws_connections.inc();
        Ok(Slot(self.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::AcqRel);
        METRICS.ws_connections.dec();
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
    per_sec: f64,
    bucket: TokenBucket,
}

impl MessageRate {
    pub fn new(per_sec: u32) -> MessageRate {
        let per_sec = f64::from(per_sec.max(1));
        MessageRate { per_sec, bucket: TokenBucket::full(per_sec, Instant::now()) }
    }

    pub fn allow(&mut self) -> bool {
        self.bucket.take(self.per_sec, Instant::now()).is_ok()
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

/// The incoming side's rules: JSON text only, at most the message rate; a client that keeps sending
/// over it is closed.
pub struct Inbox {
    rate: MessageRate,
    strikes: u32,
}

impl Inbox {
    pub fn new(per_sec: u32) -> Inbox {
        Inbox { rate: MessageRate::new(per_sec), strikes: 0 }
    }

    pub async fn check(&mut self, item: Option<Result<Message, axum::Error>>, sink: &mut Sink) -> Incoming {
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
