//! One event → the WebSocket messages it makes, each serialised once: the public feed's book update,
//! trades and order updates, and each user's own order updates and fills. Only what somebody on this
//! instance will receive is made.

use axum::extract::ws::Utf8Bytes;
use common::{Market, OrderUpdateData, ServerMessage};

use crate::engine::Event;

pub fn text(message: &ServerMessage) -> Utf8Bytes {
    Utf8Bytes::from(serde_json::to_string(message).expect("server messages always serialise"))
}

/// For every client of the market's public feed, in order.
pub fn public(market: &Market, event: &Event) -> Vec<Utf8Bytes> {
    let mut public = Vec::new();
    if let Some(update) = event.book_update(market) {
        public.push(text(&ServerMessage::BookUpdate { data: update }));
    }
    for trade in event.trades(market) {
        public.push(text(&ServerMessage::Trade { data: trade }));
    }
    for order in &event.orders {
        let update = order.to_public_update(market, event.seq);
        public.push(text(&ServerMessage::OrderUpdate { data: OrderUpdateData::Public(update) }));
    }
    public
}

/// (user id, message) for the private feeds of the users `connected` says are listening.
pub fn private(market: &Market, event: &Event, connected: impl Fn(u64) -> bool) -> Vec<(u64, Utf8Bytes)> {
    let mut private = Vec::new();
    let traders = event.trades.iter().map(|raw| (raw.maker_user_id(), raw.taker_user_id()));
    if traders.clone().any(|(maker, taker)| connected(maker) || connected(taker)) {
        for ((maker, taker), trade) in traders.zip(event.trades(market)) {
            if connected(maker) || connected(taker) {
                let fill = text(&ServerMessage::Fill { data: trade });
                for user in [maker, taker].into_iter().filter(|u| connected(*u)) {
                    private.push((user, fill.clone()));
                }
            }
        }
    }
    for order in event.orders.iter().filter(|o| connected(o.user_id())) {
        let full = order.to_order(market);
        private.push((order.user_id(), text(&ServerMessage::OrderUpdate { data: OrderUpdateData::Private(full) })));
    }
    private
}
