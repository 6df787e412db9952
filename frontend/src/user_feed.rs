//! The private feed hook: while signed in, listens on `/api/v1/ws/user`, counts the changes to the
//! user's orders and balances (so that the views showing them reload) and keeps the user's latest fills
//! (read over REST on every (re)connection, then from the feed); reconnects by itself.

use common::{ClientMessage, Fill, ServerMessage};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::market_feed::ws_url;

/// Fills kept for the list.
const FILLS: usize = 20;

#[derive(Clone, Copy)]
pub struct UserFeed {
    /// Moves on every order update, fill or balance change of the signed-in user.
    pub changes: ReadSignal<u64>,
    /// The user's latest fills, newest first.
    pub fills: ReadSignal<Vec<Fill>>,
}

pub fn use_user_feed(token: ReadSignal<Option<String>>) -> UserFeed {
    let (changes, set_changes) = signal(0u64);
    let (fills, set_fills) = signal(Vec::<Fill>::new());
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
                            Ok(ServerMessage::Authenticated { .. }) => {
                                if let Ok(list) = api::my_fills(&token, FILLS as u32).await {
                                    set_fills.set(list);
                                }
                                set_changes.update(|n| *n += 1)
                            }
                            Ok(ServerMessage::OrderUpdate { .. } | ServerMessage::Balance { .. }) => {
                                set_changes.update(|n| *n += 1)
                            }
                            Ok(ServerMessage::Fill { data }) => {
                                let fill = data.fill();
                                set_fills.update(|list| {
                                    if !list.iter().any(|f| f.trade_id == fill.trade_id) {
                                        list.insert(0, fill);
                                        list.truncate(FILLS);
                                    }
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
