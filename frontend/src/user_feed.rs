//! The private feed hook: while signed in, listens on `/api/v1/ws/user`, passes on each change of the
//! user's orders and balances (the views showing them apply it; they read everything again only when
//! the feed (re)connects, since changes meanwhile are not replayed) and keeps the user's latest fills
//! (read over REST on every (re)connection, then from the feed); pings while quiet and reconnects by
//! itself with back-off (`connection`), its state shown beside the market feed's.

use common::{Balance, ClientMessage, Fill, Order, OrderUpdateData, ServerMessage};
use futures::channel::mpsc::unbounded;
use futures::StreamExt;
use gloo_net::websocket::futures::WebSocket;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::toasts::Toaster;
use crate::connection::{next_message, now_ms, Backoff, Connection, Heartbeat};
use crate::market_feed::ws_url;
use crate::my_state::{merge_fill, replace_fills, PAGE};
use crate::notice::order_notice;
use crate::updates::Updates;

#[derive(Clone, Copy)]
pub struct UserFeed {
    /// Moves each time the feed is (re)connected: what it holds is to be read again over REST.
    pub resyncs: ReadSignal<u64>,
    /// The `order_update`s of the user's orders.
    pub orders: Updates<Order>,
    /// The `balance` messages (each an asset's whole balance).
    pub balances: Updates<Balance>,
    /// The user's latest fills, newest first (a page read on each (re)connection, then the feed's; older
    /// pages are added behind on request).
    pub fills: RwSignal<Vec<Fill>>,
    /// The private feed's state while signed in (None signed out).
    pub connection: ReadSignal<Option<Connection>>,
}

/// Follows the signed-in user's private feed; each change of one of their orders is also told to
/// `toaster`.
pub fn use_user_feed(token: ReadSignal<Option<String>>, toaster: Toaster) -> UserFeed {
    let (resyncs, set_resyncs) = signal(0u64);
    let (orders, balances) = (Updates::new(), Updates::new());
    let fills = RwSignal::new(Vec::<Fill>::new());
    let (connection, set_connection) = signal(None::<Connection>);
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let current = generation.get_value() + 1;
        generation.set_value(current);
        let Some(token) = token.get() else {
            fills.set(Vec::new());
            set_connection.set(None);
            return;
        };
        spawn_local(async move {
            let mut backoff = Backoff::default();
            set_connection.set(Some(Connection::Connecting));
            while generation.get_value() == current {
                let mut why = Connection::Down;
                if let Ok(socket) = WebSocket::open(&ws_url("/api/v1/ws/user")) {
                    let (mut write, mut read) = socket.split();
                    // The authentication first; then nothing but pings (the sender is kept, so that
                    // the channel stays open).
                    let (outbox, mut outgoing) = unbounded::<String>();
                    let auth = serde_json::to_string(&ClientMessage::Auth { token: token.clone() }).unwrap_or_default();
                    let _ = outbox.unbounded_send(auth);
                    let mut heart = Heartbeat::new(now_ms());
                    loop {
                        let text = match next_message(&mut read, &mut write, &mut outgoing, &mut heart).await {
                            Ok(text) => text,
                            Err(over) => {
                                why = over;
                                break;
                            }
                        };
                        if generation.get_value() != current {
                            return;
                        }
                        match serde_json::from_str::<ServerMessage>(&text) {
                            // Reload on (re)connect too: changes while disconnected are not replayed.
                            Ok(ServerMessage::Authenticated { .. }) => {
                                backoff.reset();
                                set_connection.set(Some(Connection::Live));
                                set_resyncs.update(|n| *n += 1);
                                if let Ok(list) = api::my_fills(&token, PAGE, None).await {
                                    fills.update(|held| replace_fills(held, list));
                                }
                            }
                            Ok(ServerMessage::OrderUpdate { data: OrderUpdateData::Private(o) }) => {
                                if let Some((tone, text)) = order_notice(&o) {
                                    toaster.show(tone, text);
                                }
                                orders.push(o);
                            }
                            Ok(ServerMessage::Balance { data }) => balances.push(data),
                            Ok(ServerMessage::Fill { data }) => {
                                fills.update(|list| merge_fill(list, data.fill()));
                            }
                            // Refused (the session ended, say): trying again would be refused again.
                            Ok(ServerMessage::Error { .. }) => {
                                set_connection.set(Some(Connection::Refused));
                                return;
                            }
                            _ => {}
                        }
                    }
                }
                if generation.get_value() != current {
                    return;
                }
                set_connection.set(Some(why));
                TimeoutFuture::new(backoff.next_ms(js_sys::Math::random())).await;
            }
        });
    });
    UserFeed { resyncs, orders, balances, fills, connection }
}
