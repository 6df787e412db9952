//! A WebSocket client for tests: connect, read the next JSON message (or the next of a kind), send, the
//! private feed signed in, and a client's copy of a book kept from a snapshot and its updates.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use common::ClientMessage;

use crate::app::TestApp;

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(url: &str) -> Socket {
    tokio_tungstenite::connect_async(url).await.expect("websocket connects").0
}

/// The next JSON text message other than a `ticker`, or None when the socket closes or 5 s pass.
/// (The book feed's tickers come on a clock of their own, once a second, between any two messages:
/// tests of what a command sends skip them; `next_of(ws, "ticker")` reads them.)
pub async fn next(ws: &mut Socket) -> Option<Value> {
    loop {
        match next_any(ws).await {
            Some(m) if m["type"] == "ticker" => continue,
            other => return other,
        }
    }
}

/// The next JSON text message, or None when the socket closes or 5 s pass.
pub async fn next_any(ws: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return Some(serde_json::from_str(&t).unwrap()),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

/// Reads every message until the socket closes or `idle` passes without one; how many there were.
pub async fn drain(ws: &mut Socket, idle: Duration) -> usize {
    let mut n = 0;
    while let Ok(Some(Ok(_))) = tokio::time::timeout(idle, ws.next()).await {
        n += 1;
    }
    n
}

/// The next message of a given type, skipping others.
pub async fn next_of(ws: &mut Socket, kind: &str) -> Value {
    loop {
        let m = next_any(ws).await.unwrap_or_else(|| panic!("no {kind} message"));
        if m["type"] == kind {
            return m;
        }
    }
}

pub async fn say(ws: &mut Socket, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// The private feed of `app`, authenticated with `token` (the `authenticated` answer read).
pub async fn private_feed(app: &TestApp, token: &str) -> Socket {
    let mut ws = connect(&app.ws_url("/api/v1/ws/user")).await;
    say(&mut ws, serde_json::to_value(ClientMessage::Auth { token: token.into() }).unwrap()).await;
    next_of(&mut ws, "authenticated").await;
    ws
}

/// Applies book updates to a snapshot the way a client must: in sequence, resyncing on snapshots.
/// A client's book: bids and asks (price → quantity, as text) and its sequence.
pub type Book = (BTreeMap<String, String>, BTreeMap<String, String>, u64);

pub fn apply(book: &mut Book, msg: &Value) {
    let levels = |v: &Value| -> BTreeMap<String, String> {
        v.as_array().unwrap().iter().map(|l| (l["price"].to_string(), l["quantity"].to_string())).collect()
    };
    match msg["type"].as_str().unwrap() {
        "order_book_snapshot" => {
            *book =
                (levels(&msg["data"]["bids"]), levels(&msg["data"]["asks"]), msg["data"]["sequence"].as_u64().unwrap())
        }
        "book_update" => {
            let seq = msg["data"]["sequence"].as_u64().unwrap();
            assert_eq!(seq, book.2 + 1, "a gap in the sequence without a resync");
            for (side, map) in [("bids", &mut book.0), ("asks", &mut book.1)] {
                for pair in msg["data"][side].as_array().unwrap() {
                    let (price, qty) = (pair[0].to_string(), pair[1].to_string());
                    if pair[1].as_f64().unwrap() == 0.0 {
                        map.remove(&price);
                    } else {
                        map.insert(price, qty);
                    }
                }
            }
            book.2 = seq;
        }
        _ => {}
    }
}

/// The reason of the close frame that ends the socket, skipping messages before it (None: no close
/// frame within 5 s).
pub async fn close_reason(ws: &mut Socket) -> Option<String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => {
                return Some(frame.map(|f| f.reason.to_string()).unwrap_or_default())
            }
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}
