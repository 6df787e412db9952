//! `WS /api/v1/ws/user`: after `{"type": "auth", "token": ...}`, the caller's own order updates (the full
//! Order) and fills, in every market, and nothing of anybody else's.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use common::{ClientMessage, ServerMessage};
use futures_util::StreamExt;

use super::socket::{self as ws, check_origin, Sink, Slot};
use crate::feed::messages::text;
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// Messages a private connection may have queued before it counts as too slow and is closed.
const PRIVATE_BUFFER: usize = 4096;
/// How long a new connection may take to authenticate.
const AUTH_DEADLINE: Duration = Duration::from_secs(10);

pub async fn user_ws(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_origin(&headers, &state.ws)?;
    let slot = state.ws_slots.acquire(state.ws.max_connections)?;
    let max = state.ws.max_message_bytes;
    Ok(ws::limit(ws, max).on_upgrade(move |socket| session(socket, state, slot)))
}

/// Waits for the `auth` message; returns the user id, or None after telling the client why.
async fn authenticate(sink: &mut Sink, state: &AppState) -> Option<u64> {
    let first = tokio::time::timeout(AUTH_DEADLINE, sink.next()).await;
    let token = match first {
        Ok(Some(Ok(Message::Text(t)))) => match serde_json::from_str::<ClientMessage>(&t) {
            Ok(ClientMessage::Auth { token }) => token,
            _ => {
                let _ =
                    ws::send_error(sink, "the first message must be {\"type\": \"auth\", \"token\": \"...\"}").await;
                ws::close(sink, "authentication required").await;
                return None;
            }
        },
        Err(_) => {
            let _ = ws::send_error(sink, "no auth message in time").await;
            ws::close(sink, "authentication timed out").await;
            return None;
        }
        _ => return None,
    };
    match state.accounts.user_of(&token).await {
        Ok(Some(user_id)) => Some(user_id),
        Ok(None) => {
            let _ = ws::send_error(sink, "invalid or expired token").await;
            ws::close(sink, "invalid token").await;
            None
        }
        Err(_) => {
            let _ = ws::send_error(sink, "authentication is unavailable, reconnect shortly").await;
            ws::close(sink, "unavailable").await;
            None
        }
    }
}

async fn session(socket: WebSocket, state: AppState, _slot: Slot) {
    let mut sink = socket;
    let Some(user_id) = authenticate(&mut sink, &state).await else { return };
    // Registered before answering, so that nothing placed after `authenticated` is missed.
    let mut subscription = state.feed.subscribe_user(user_id, PRIVATE_BUFFER);
    if ws::send(&mut sink, text(&ServerMessage::Authenticated { user_id })).await.is_err() {
        return;
    }
    let mut inbox = ws::Inbox::new(state.ws.messages_per_sec);
    loop {
        tokio::select! {
            incoming = sink.next() => {
                let text_in = match inbox.check(incoming, &mut sink).await {
                    ws::Incoming::Text(t) => t,
                    ws::Incoming::Skip => continue,
                    ws::Incoming::Stop => return,
                };
                let answer = match serde_json::from_str::<ClientMessage>(&text_in) {
                    Ok(ClientMessage::Ping) => ws::pong(&mut sink).await,
                    Ok(ClientMessage::Auth { .. }) => ws::send_error(&mut sink, "already authenticated").await,
                    _ => ws::send_error(&mut sink, "unknown message: only ping is taken here").await,
                };
                if answer.is_err() { return }
            }
            message = subscription.messages.recv() => match message {
                Some(m) => {
                    let mut out = vec![m];
                    while out.len() < 64 {
                        match subscription.messages.try_recv() {
                            Ok(next) => out.push(next),
                            Err(_) => break,
                        }
                    }
                    if ws::send_all(&mut sink, out).await.is_err() { return }
                }
                None => {
                    let reason = if subscription.events_were_missed() {
                        "events may have been missed (the server lost Redis): reconnect and reload your orders over REST"
                    } else {
                        "too slow: reconnect and reload your orders over REST"
                    };
                    ws::close(&mut sink, reason).await;
                    return;
                }
            }
        }
    }
}
