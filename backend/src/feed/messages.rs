//! One event → the WebSocket messages it makes, each serialised once: the public feed's book update,
//! trades and order updates, and each user's own order updates and fills.

use axum::extract::ws::Utf8Bytes;
use common::{Market, OrderUpdateData, ServerMessage};

use crate::engine::Event;

/// The messages of one event.
pub struct EventMessages {
    /// For every client of the market's public feed, in order.
    pub public: Vec<Utf8Bytes>,
    /// (user id, message) for the private feeds.
    pub private: Vec<(u64, Utf8Bytes)>,
}

pub fn text(message: &ServerMessage) -> Utf8Bytes {
    Utf8Bytes::from(serde_json::to_string(message).expect("server messages always serialise"))
}

pub fn messages(market: &Market, event: &Event) -> EventMessages {
    let mut public = Vec::new();
    let mut private = Vec::new();
    if let Some(update) = event.book_update(market) {
        public.push(text(&ServerMessage::BookUpdate { data: update }));
    }
    for (raw, trade) in event.trades.iter().zip(event.trades(market)) {
        let fill = text(&ServerMessage::Fill { data: trade.clone() });
        private.push((raw.maker_user_id(), fill.clone()));
        private.push((raw.taker_user_id(), fill));
        public.push(text(&ServerMessage::Trade { data: trade }));
    }
    for order in &event.orders {
        let update = order.to_public_update(market, event.seq);
        public.push(text(&ServerMessage::OrderUpdate { data: OrderUpdateData::Public(update) }));
        let full = order.to_order(market);
        private.push((order.user_id(), text(&ServerMessage::OrderUpdate { data: OrderUpdateData::Private(full) })));
    }
    EventMessages { public, private }
}
