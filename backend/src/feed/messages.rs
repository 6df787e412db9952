//! One event → the WebSocket messages it makes, each serialised once: the public feed's book update,
//! trades and order updates, and each user's own order updates and fills. Only what somebody on this
//! instance will receive is made.

use axum::extract::ws::Utf8Bytes;
use common::{Asset, FillMessage, Market, OrderUpdateData, ServerMessage};

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
    for order in event.public_orders() {
        let update = order.to_public_update(market, event.seq);
        public.push(text(&ServerMessage::OrderUpdate { data: OrderUpdateData::Public(update) }));
    }
    public
}

/// (user id, message) for the private feeds of the users `connected` says are listening: each party's
/// own side of every trade (`fill`) and its orders' updates. `assets`: the market's base and quote.
pub fn private(
    market: &Market,
    assets: (&Asset, &Asset),
    event: &Event,
    connected: impl Fn(u64) -> bool,
) -> Vec<(u64, Utf8Bytes)> {
    let mut private = Vec::new();
    if event.trades.iter().any(|t| connected(t.maker_user_id) || connected(t.taker_user_id)) {
        for (fill, trade) in event.fills().into_iter().zip(event.trades(market)) {
            let t = &fill.trade;
            for (user, order) in [(t.maker_user_id, t.maker_order_id), (t.taker_user_id, t.taker_order_id)] {
                if connected(user) {
                    let own = fill.to_fill(market, assets, user, event.client_order_id(order));
                    let data = FillMessage::new(trade.clone(), own);
                    private.push((user, text(&ServerMessage::Fill { data })));
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

/// The users whose balances the event changed: every order's owner (a lock taken or given back) and
/// every party of a trade.
pub fn balance_changes(event: &Event) -> impl Iterator<Item = u64> + '_ {
    let traders = event.trades.iter().flat_map(|t| [t.maker_user_id, t.taker_user_id]);
    event.orders.iter().map(|o| o.user_id()).chain(traders)
}
