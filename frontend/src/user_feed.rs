//! The private feed hook: while signed in, listens on `/api/v1/ws/user`, counts the changes to the
//! user's orders (so that the views showing them reload) and keeps the user's latest fills; reconnects
//! by itself.

use common::{ClientMessage, ServerMessage, Trade};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::market_feed::ws_url;

/// Fills kept for the list.
const FILLS: usize = 20;

#[derive(Clone, Copy)]
pub struct UserFeed {
    /// Moves on every order update or fill of the signed-in user.
    pub changes: ReadSignal<u64>,
    /// The user's fills since signing in, newest first.
    pub fills: ReadSignal<Vec<Trade>>,
}

pub fn use_user_feed(token: ReadSignal<Option<String>>) -> UserFeed {
    let (changes, set_changes) = signal(0u64);
    let (fills, set_fills) = signal(Vec::<Trade>::new());
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let current = generation.get_value() + 1;
        generation.set_value(current);
        let Some(token) = token.get() else {
            set_fills.set(Vec::new());
            return;
        };
        spawn_local(async move {
            while generation.get_value() == current {
                if let Ok(socket) = WebSocket::open(&ws_url("/api/v1/ws/user")) {
                    let (mut write, mut read) = socket.split();
                    let auth = serde_json::to_string(&ClientMessage::Auth { token: token.clone() }).unwrap_or_default();
                    let _ = write.send(Message::Text(auth)).await;
                    while let Some(Ok(Message::Text(text))) = read.next().await {
                        if generation.get_value() != current {
                            return;
                        }
                        match serde_json::from_str::<ServerMessage>(&text) {
                            // Reload on (re)connect too: changes while disconnected are not replayed.
                            Ok(ServerMessage::Authenticated { .. } | ServerMessage::OrderUpdate { .. }) => {
                                set_changes.update(|n| *n += 1)
                            }
                            Ok(ServerMessage::Fill { data }) => {
                                set_fills.update(|list| {
                                    list.insert(0, data);
                                    list.truncate(FILLS);
                                });
                                set_changes.update(|n| *n += 1);
                            }
                            Ok(ServerMessage::Error { .. }) => return,
                            _ => {}
                        }
                    }
                }
                TimeoutFuture::new(1_000).await;
            }
        });
    });
    UserFeed { changes, fills }
}
