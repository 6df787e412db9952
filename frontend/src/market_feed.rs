//! The market feed hook: turns the book WebSocket of the selected market into signals (the book, the
//! recent trades, the 24 h ticker, the connection state), with sequence checking, resync on a gap and
//! reconnection.

use common::{ServerMessage, Symbol, Ticker, Trade};
use futures::{SinkExt, StreamExt};
use gloo_net::http::Request;
use gloo_net::websocket::{futures::WebSocket, Message};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::book::Book;

/// Trades kept for the tape.
const TAPE: usize = 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Live,
    Resyncing,
    Down,
}

/// A trade on the tape; `live` ones arrived over the feed (and flash), the others came with the page.
#[derive(Clone, Debug, PartialEq)]
pub struct TapeTrade {
    pub trade: Trade,
    pub live: bool,
}

#[derive(Clone, Copy)]
pub struct MarketFeed {
    pub book: ReadSignal<Book>,
    pub trades: ReadSignal<Vec<TapeTrade>>,
    /// The market's 24 h figures: read over REST on a switch, then from the feed's `ticker` messages.
    pub ticker: ReadSignal<Option<Ticker>>,
    pub connection: ReadSignal<Connection>,
}

/// `ws://` or `wss://` URL of a path on the page's own host.
pub fn ws_url(path: &str) -> String {
    let location = web_sys::window().expect("a browser window").location();
    let scheme = if location.protocol().unwrap_or_default() == "https:" { "wss" } else { "ws" };
    format!("{scheme}://{}{path}", location.host().unwrap_or_default())
}

/// Follows the selected market; switching markets drops the old connection.
pub fn use_market_feed(symbol: ReadSignal<Option<Symbol>>) -> MarketFeed {
    let (book, set_book) = signal(Book::default());
    let (trades, set_trades) = signal(Vec::<TapeTrade>::new());
    let (connection, set_connection) = signal(Connection::Connecting);
    let (ticker, set_ticker) = signal(None::<Ticker>);
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let Some(symbol) = symbol.get() else { return };
        let current = generation.get_value() + 1;
        generation.set_value(current);
        set_book.set(Book::default());
        set_trades.set(Vec::new());
        set_ticker.set(None);
        let path = format!("/api/v1/markets/{}/ticker", symbol.as_str().replace('/', "-"));
        spawn_local(async move {
            if let Ok(response) = Request::get(&path).send().await {
                // (Unless the feed has sent a newer one, or the market changed meanwhile.)
                if let (Ok(t), true) = (response.json::<Ticker>().await, generation.get_value() == current) {
                    set_ticker.update(|old| {
                        if old.is_none() {
                            *old = Some(t)
                        }
                    });
                }
            }
        });
        spawn_local(async move {
            while generation.get_value() == current {
                set_connection.set(Connection::Connecting);
                let sinks =
                    Sinks { book: set_book, trades: set_trades, ticker: set_ticker, connection: set_connection };
                follow(&symbol, current, generation, sinks).await;
                if generation.get_value() != current {
                    return;
                }
                set_connection.set(Connection::Down);
                TimeoutFuture::new(1_000).await;
            }
        });
    });
    MarketFeed { book, trades, ticker, connection }
}

/// What a connection writes to.
#[derive(Clone, Copy)]
struct Sinks {
    book: WriteSignal<Book>,
    trades: WriteSignal<Vec<TapeTrade>>,
    ticker: WriteSignal<Option<Ticker>>,
    connection: WriteSignal<Connection>,
}

/// One connection's life: snapshot, updates in sequence, a new snapshot on any gap.
async fn follow(symbol: &Symbol, current: u64, generation: StoredValue<u64>, sinks: Sinks) {
    let Sinks { book: set_book, trades: set_trades, ticker: set_ticker, connection: set_connection } = sinks;
    let path = format!("/api/v1/ws/orderbook/{}", symbol.as_str().replace('/', "-"));
    let Ok(socket) = WebSocket::open(&ws_url(&path)) else { return };
    let (mut write, mut read) = socket.split();
    let _ = write.send(Message::Text(r#"{"type":"get_recent_trades","limit":40}"#.into())).await;
    let mut resyncing = false;
    while let Some(Ok(Message::Text(text))) = read.next().await {
        if generation.get_value() != current {
            return;
        }
        let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else { continue };
        match message {
            ServerMessage::OrderBookSnapshot { data } => {
                set_book.set(Book::from_snapshot(&data));
                set_connection.set(Connection::Live);
                resyncing = false;
            }
            ServerMessage::BookUpdate { data } if !resyncing => {
                let mut gap = false;
                set_book.update(|book| gap = book.apply(&data).is_err());
                if gap {
                    resyncing = true;
                    set_connection.set(Connection::Resyncing);
                    let _ = write.send(Message::Text(r#"{"type":"get_order_book","depth":50}"#.into())).await;
                }
            }
            ServerMessage::Trade { data } => set_trades.update(|tape| {
                tape.insert(0, TapeTrade { trade: data, live: true });
                tape.truncate(TAPE);
            }),
            ServerMessage::Ticker { data } => set_ticker.set(Some(data)),
            ServerMessage::RecentTrades { data } => {
                set_trades.set(data.into_iter().map(|trade| TapeTrade { trade, live: false }).collect())
            }
            _ => {}
        }
    }
}
