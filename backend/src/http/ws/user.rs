//! `WS /api/v1/ws/user`: after `{"type": "auth", "token": ...}`, the caller's own order updates (the full
//! Order), fills and balances, in every market, and nothing of anybody else's, for as long as the
//! session lasts:
//! a logout (on any instance), the session's expiry or its replacement past the per-user cap closes the
//! socket within a second.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use common::{Balance, ClientMessage, ServerMessage};
use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;

use super::socket::{self as ws, check_origin, FeedKind, Sink, Slot};
use crate::feed::messages::text;
use crate::http::client_address::ClientAddress;
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// Messages a private connection may have queued before it counts as too slow and is closed.
const PRIVATE_BUFFER: usize = 4096;
/// How long a new connection may take to authenticate.
const AUTH_DEADLINE: Duration = Duration::from_secs(10);
/// How long balances just read may wait for the events they show to come through Pub/Sub (longer only
/// when the subscription is failing, and then the connection is closed anyway).
const EVENTS_WAIT: Duration = Duration::from_secs(1);

/// A deadline that never comes (a session without an expiry).
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

pub async fn user_ws(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_origin(&headers, &state.ws)?;
    let slot = state.ws_limits.admit(FeedKind::Private, &client)?;
    let max = state.ws.max_message_bytes;
    Ok(ws::limit(ws, max).on_upgrade(move |socket| session(socket, state, slot)))
}

/// Waits for the `auth` message; returns the user id and the token, or None after telling the client
/// why.
async fn authenticate(sink: &mut Sink, state: &AppState) -> Option<(u64, String)> {
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
        Ok(Some(user_id)) => Some((user_id, token)),
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

/// Why a session's socket is closed when the session ends.
const SESSION_ENDED: &str = "session ended (logged out, expired or replaced): log in again";

/// Whether the session stored under `key` has ended, by Redis's word (an unreachable Redis is not an
/// end: the feed's own checks deal with it).
async fn has_ended(state: &AppState, key: &str) -> bool {
    matches!(state.accounts.session_left(key).await, Ok(None))
}

async fn session(socket: WebSocket, state: AppState, _slot: Slot) {
    let mut sink = socket;
    let Some((user_id, token)) = authenticate(&mut sink, &state).await else { return };
    let Some(_user_slot) = state.ws_limits.admit_user(user_id) else {
        let max = state.ws_limits.max_private_per_user();
        let _ = ws::send_error(&mut sink, &format!("you have {max} private connections open already")).await;
        ws::close(&mut sink, "too many private connections for this user").await;
        return;
    };
    // The session's end, by revocation (logout, the cap on sessions) on any instance or by expiry,
    // closes the socket: watched before its expiry is read, so that no revocation falls in between.
    let key = crate::auth::session_key(&token);
    let mut revocations = state.accounts.sessions().watch_revocations();
    let expiry = match state.accounts.session_left(&key).await {
        Ok(Some(left)) => tokio::time::Instant::now().checked_add(left).unwrap_or_else(far_future),
        Ok(None) => return ws::close(&mut sink, SESSION_ENDED).await,
        Err(_) => far_future(),
    };
    let expired = tokio::time::sleep_until(expiry);
    tokio::pin!(expired);
    // While revocations are not being received (the subscription is down), Redis is asked each second.
    let mut recheck = tokio::time::interval(Duration::from_secs(1));
    // Registered before answering, so that nothing placed after `authenticated` is missed.
    let mut subscription = state.feed.subscribe_user(user_id, PRIVATE_BUFFER);
    if ws::send(&mut sink, text(&ServerMessage::Authenticated { user_id })).await.is_err() {
        return;
    }
    // The balances as last read: a change is sent as the assets whose balance differs.
    let mut balances = Balances::default();
    if let Ok(now) = state.funds.balances(user_id).await {
        balances.changes(now);
    }
    let mut inbox = ws::Inbox::new(&state.ws);
    let mut pinger = inbox.pinger();
    loop {
        tokio::select! {
            _ = pinger.tick() => if inbox.keepalive(&mut sink).await.is_err() { return },
            revoked = revocations.recv() => {
                let ended = match revoked {
                    Ok(revoked) => *revoked == *key,
                    Err(RecvError::Lagged(_)) => has_ended(&state, &key).await,
                    Err(RecvError::Closed) => false,
                };
                if ended {
                    return ws::close(&mut sink, SESSION_ENDED).await;
                }
            }
            _ = &mut expired => {
                if has_ended(&state, &key).await {
                    return ws::close(&mut sink, SESSION_ENDED).await;
                }
                expired.as_mut().reset(tokio::time::Instant::now() + Duration::from_secs(1));
            }
            _ = recheck.tick(), if !state.accounts.sessions().is_live() => {
                if has_ended(&state, &key).await {
                    return ws::close(&mut sink, SESSION_ENDED).await;
                }
            }
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
            _ = subscription.balances.notified() => {
                // The messages of the events the balances show go before them (a fill's message always
                // comes before the balance that shows it), those of later events after.
                let read = Balances::read(&state, user_id).await;
                let (mut out, mut later) = (Vec::new(), Vec::new());
                while let Ok(m) = subscription.messages.try_recv() {
                    match &read {
                        Some((_, seqs)) if seqs.get(m.market).is_some_and(|&seq| m.seq > seq) => later.push(m.text),
                        _ => out.push(m.text),
                    }
                }
                out.extend(read.map(|(now, _)| balances.changes(now)).unwrap_or_default());
                out.extend(later);
                if !out.is_empty() && ws::send_all(&mut sink, out).await.is_err() { return }
            }
            message = subscription.messages.recv() => match message {
                Some(m) => {
                    let mut out = vec![m.text];
                    while out.len() < 64 {
                        match subscription.messages.try_recv() {
                            Ok(next) => out.push(next.text),
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

/// A connection's view of its user's balances.
#[derive(Default)]
struct Balances(HashMap<String, Balance>);

impl Balances {
    /// Reads the user's balances with each market's sequence when its part was read, then waits until
    /// this instance's feed has handed on every event up to those sequences: events land in Redis before
    /// their Pub/Sub messages reach the feed, so balances read after a fill's event may already show the
    /// next fills, whose messages are then in the connection's queue once this returns. (An event that
    /// leaves the book as it was, a pending stop placed or cancelled, keeps the sequence: its lock may
    /// show before its `order_update`.) None when Redis cannot be read: the next change reads again.
    async fn read(state: &AppState, user_id: u64) -> Option<(Vec<Balance>, Vec<u64>)> {
        let (now, seqs) = state.funds.balances_at(user_id).await.ok()?;
        state.feed.wait_routed(&seqs, EVENTS_WAIT).await;
        Some((now, seqs))
    }

    /// A `balance` message for each asset whose balance differs from the last read (none on the first).
    fn changes(&mut self, now: Vec<Balance>) -> Vec<Utf8Bytes> {
        let first = self.0.is_empty();
        let mut out = Vec::new();
        for balance in now {
            if self.0.get(&balance.asset) != Some(&balance) {
                if !first {
                    out.push(text(&ServerMessage::Balance { data: balance.clone() }));
                }
                self.0.insert(balance.asset.clone(), balance);
            }
        }
        out
    }
}
