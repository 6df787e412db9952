//! `WS /api/v1/ws/orderbook/{symbol}`: a snapshot on connect, then every book update, trade and order
//! update of the market, and its ticker once a second while it changes; `ping`, `get_order_book`,
//! `get_recent_trades` on request, and the candles of one interval after `subscribe_candles`.
//!
//! The connection subscribes to the market's fan-out before it takes its snapshot, then forwards only
//! updates past the snapshot's sequence. A gap in the sequence, a lost subscription or falling behind
//! leads to a fresh snapshot, so the client's book is never silently wrong.

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use common::{CandleInterval, ClientMessage, ServerMessage, Symbol};
use futures_util::StreamExt;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::socket::{self as ws, check_origin, FeedKind, Sink, Slot};
use crate::feed::messages::text;
use crate::feed::{FeedItem, MarketDataItem};
use crate::http::book_reads;
use crate::http::client_address::ClientAddress;
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// Levels per side of the snapshot sent on connect and on resync.
const SNAPSHOT_DEPTH: u32 = 50;

pub async fn orderbook_ws(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Path(symbol): Path<String>,
    client: ClientAddress,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let symbol = state.listed_symbol(&symbol)?;
    check_origin(&headers, &state.ws)?;
    let slot = state.ws_limits.admit(FeedKind::Public, &client)?;
    let max = state.ws.max_message_bytes;
    Ok(ws::limit(ws, max).on_upgrade(move |socket| session(socket, state, symbol, client, slot)))
}

/// Sends a snapshot of `depth` levels, at least at `min_seq`; returns its sequence.
async fn snapshot(sink: &mut Sink, state: &AppState, symbol: &Symbol, depth: u32, min_seq: u64) -> Result<u64, ()> {
    match book_reads::snapshot(state, symbol, depth, min_seq).await {
        Ok(taken) => {
            let book = taken.cut(depth);
            let seq = book.sequence;
            ws::send(sink, text(&ServerMessage::OrderBookSnapshot { data: book })).await?;
            Ok(seq)
        }
        Err(e) => {
            // Redis unreachable: say so and let the client reconnect later.
            tracing::warn!(error = %e, "snapshot failed");
            let _ = ws::send_error(sink, "the order book is unavailable, reconnect shortly").await;
            ws::close(sink, "order book unavailable").await;
            Err(())
        }
    }
}

async fn session(socket: WebSocket, state: AppState, symbol: Symbol, client: ClientAddress, _slot: Slot) {
    let mut sink = socket;
    let Some(mut feed) = state.feed.subscribe(&symbol) else { return };
    let Ok(mut last) = snapshot(&mut sink, &state, &symbol, SNAPSHOT_DEPTH, 0).await else { return };
    let mut inbox = ws::Inbox::new(&state.ws);
    let mut pinger = inbox.pinger();
    // The interval whose candles the client asked for, if any.
    let mut candles: Option<CandleInterval> = None;
    loop {
        tokio::select! {
            _ = pinger.tick() => if inbox.keepalive(&mut sink).await.is_err() { return },
            incoming = sink.next() => {
                let text = match inbox.check(incoming, &mut sink).await {
                    ws::Incoming::Text(t) => t,
                    ws::Incoming::Skip => continue,
                    ws::Incoming::Stop => return,
                };
                if reply(&mut sink, &state, &symbol, &client, &text, &mut last, &mut candles).await.is_err() {
                    return;
                }
            }
            item = feed.recv() => {
                // Everything already waiting goes out in one write.
                let mut items = vec![item];
                while items.len() < 64 {
                    match feed.try_recv() {
                        Ok(next) => items.push(Ok(next)),
                        Err(TryRecvError::Lagged(n)) => items.push(Err(RecvError::Lagged(n))),
                        Err(_) => break,
                    }
                }
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Ok(FeedItem::Update { seq, book_changed, messages }) => {
                            if book_changed {
                                if seq <= last {
                                    continue;
                                }
                                if seq != last + 1 {
                                    if ws::send_all(&mut sink, out.drain(..)).await.is_err() { return }
                                    let Ok(s) = snapshot(&mut sink, &state, &symbol, SNAPSHOT_DEPTH, 0).await else { return };
                                    last = s;
                                    continue;
                                }
                                last = seq;
                            } else if seq < last {
                                continue;
                            }
                            out.extend(messages.iter().cloned());
                        }
                        Ok(FeedItem::MarketData(MarketDataItem::Ticker(message))) => out.push(message),
                        Ok(FeedItem::MarketData(MarketDataItem::Candle(interval, message))) => {
                            if candles == Some(interval) {
                                out.push(message);
                            }
                        }
                        Ok(FeedItem::Resync) | Err(RecvError::Lagged(_)) => {
                            if ws::send_all(&mut sink, out.drain(..)).await.is_err() { return }
                            let Ok(s) = snapshot(&mut sink, &state, &symbol, SNAPSHOT_DEPTH, 0).await else { return };
                            last = s;
                        }
                        Err(RecvError::Closed) => return,
                    }
                }
                if !out.is_empty() && ws::send_all(&mut sink, out).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Answers one client message; Err when the client is gone.
async fn reply(
    sink: &mut Sink,
    state: &AppState,
    symbol: &Symbol,
    client: &ClientAddress,
    text_in: &str,
    last: &mut u64,
    candles: &mut Option<CandleInterval>,
) -> Result<(), ()> {
    let message = serde_json::from_str::<ClientMessage>(text_in);
    // Reads count against the client's public reads, as over REST.
    if let Ok(ClientMessage::GetOrderBook { .. } | ClientMessage::GetRecentTrades { .. }) = &message {
        if client.take(&state.limits.public_reads).is_err() {
            return ws::send_error(sink, "too many reads from your address: slow down").await;
        }
    }
    match message {
        Ok(ClientMessage::Ping) => ws::pong(sink).await,
        Ok(ClientMessage::GetOrderBook { depth }) => {
            let depth = depth.unwrap_or(10);
            if !(1..=1000).contains(&depth) {
                return ws::send_error(sink, "depth must be between 1 and 1000").await;
            }
            let seq = snapshot(sink, state, symbol, depth, *last).await?;
            *last = (*last).max(seq);
            Ok(())
        }
        Ok(ClientMessage::GetRecentTrades { limit }) => {
            let limit = limit.unwrap_or(50);
            if !(1..=1000).contains(&limit) {
                return ws::send_error(sink, "limit must be between 1 and 1000").await;
            }
            match state.engine.recent_trades(symbol, limit).await {
                Ok(trades) => ws::send(sink, text(&ServerMessage::RecentTrades { data: trades })).await,
                Err(_) => ws::send_error(sink, "recent trades are unavailable, retry shortly").await,
            }
        }
        Ok(ClientMessage::SubscribeCandles { interval }) => match CandleInterval::parse(&interval) {
            None => ws::send_error(sink, "interval must be one of 1m, 5m, 15m, 1h, 4h, 1d").await,
            Some(interval) => {
                *candles = Some(interval);
                match state.market_data.current_candle(symbol, interval) {
                    Some(message) => ws::send(sink, message).await,
                    None => Ok(()),
                }
            }
        },
        Ok(ClientMessage::UnsubscribeCandles) => {
            *candles = None;
            Ok(())
        }
        Ok(ClientMessage::Auth { .. }) => ws::send_error(sink, "auth belongs to /api/v1/ws/user").await,
        Err(_) => {
            let known = "ping, get_order_book, get_recent_trades, subscribe_candles or unsubscribe_candles";
            ws::send_error(sink, &format!("unknown message: send {known} as JSON")).await
        }
    }
}
