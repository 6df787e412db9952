//! The market feed hook: turns the book WebSocket of the selected market into signals (the book, the
//! recent trades, the 24 h ticker, the connection state), with sequence checking, resync on a gap, a
//! heartbeat and reconnection with back-off (`connection`).

use common::{CandleInterval, CandleMessage, ServerMessage, Symbol, Ticker, Trade};
use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::StreamExt;
use gloo_net::http::Request;
use gloo_net::websocket::futures::WebSocket;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::book::Book;
use crate::connection::{next_message, now_ms, send, Backoff, Connection, Heartbeat};

/// Trades kept for the tape.
const TAPE: usize = 40;

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
    /// The interval whose candles the feed follows (the chart sets it).
    pub candle_interval: RwSignal<CandleInterval>,
    /// The newest `candle` message of that interval.
    pub candle: ReadSignal<Option<CandleMessage>>,
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
    let candle_interval = RwSignal::new(CandleInterval::M1);
    let (candle, set_candle) = signal(None::<CandleMessage>);
    // The open connection's outbox, for the subscriptions asked for while it is open.
    let outbox = StoredValue::new(None::<UnboundedSender<String>>);
    Effect::new(move |_| {
        let interval = candle_interval.get();
        set_candle.set(None);
        outbox.with_value(|o| {
            if let Some(o) = o {
                let _ = o.unbounded_send(subscribe(interval));
            }
        });
    });
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
            let mut backoff = Backoff::default();
            while generation.get_value() == current {
                // (After a failure the status says so until a connection is live again.)
                if connection.get_untracked() == Connection::Live {
                    set_connection.set(Connection::Connecting);
                }
                let sinks = Sinks {
                    book: set_book,
                    trades: set_trades,
                    ticker: set_ticker,
                    candle: set_candle,
                    connection: set_connection,
                };
                let (to_send, outgoing) = unbounded();
                let _ = to_send.unbounded_send(r#"{"type":"get_recent_trades","limit":40}"#.into());
                let _ = to_send.unbounded_send(subscribe(candle_interval.get_untracked()));
                outbox.set_value(Some(to_send));
                let (went_live, why) = follow(&symbol, current, generation, sinks, outgoing).await;
                // (A newer market's loop owns the outbox now: leave it be.)
                if generation.get_value() != current {
                    return;
                }
                outbox.set_value(None);
                if went_live {
                    backoff.reset();
                }
                set_connection.set(why);
                TimeoutFuture::new(backoff.next_ms(js_sys::Math::random())).await;
            }
        });
    });
    MarketFeed { book, trades, ticker, candle_interval, candle, connection }
}

fn subscribe(interval: CandleInterval) -> String {
    format!(r#"{{"type":"subscribe_candles","interval":"{}"}}"#, interval.name())
}

/// What a connection writes to.
#[derive(Clone, Copy)]
struct Sinks {
    book: WriteSignal<Book>,
    trades: WriteSignal<Vec<TapeTrade>>,
    ticker: WriteSignal<Option<Ticker>>,
    candle: WriteSignal<Option<CandleMessage>>,
    connection: WriteSignal<Connection>,
}

/// How long a snapshot asked for after a gap may take before the connection is started afresh.
const RESYNC_WITHIN_MS: f64 = 5_000.0;

fn resync_overdue(asked_at_ms: f64, now_ms: f64) -> bool {
    now_ms - asked_at_ms > RESYNC_WITHIN_MS
}

/// One connection's life: snapshot, updates in sequence, a new snapshot on any gap, pings while quiet.
/// Returns whether it went live, and what the screen shows now that it is over.
async fn follow(
    symbol: &Symbol,
    current: u64,
    generation: StoredValue<u64>,
    sinks: Sinks,
    mut outgoing: UnboundedReceiver<String>,
) -> (bool, Connection) {
    let Sinks {
        book: set_book,
        trades: set_trades,
        ticker: set_ticker,
        candle: set_candle,
        connection: set_connection,
    } = sinks;
    let path = format!("/api/v1/ws/orderbook/{}", symbol.as_str().replace('/', "-"));
    let Ok(socket) = WebSocket::open(&ws_url(&path)) else { return (false, Connection::Down) };
    let (mut write, mut read) = socket.split();
    // Since when a snapshot has been asked for after a gap (None: the book is in sequence).
    let (mut resyncing, mut went_live) = (None::<f64>, false);
    let mut heart = Heartbeat::new(now_ms());
    loop {
        let text = match next_message(&mut read, &mut write, &mut outgoing, &mut heart).await {
            Ok(text) => text,
            Err(why) => return (went_live, why),
        };
        if generation.get_value() != current {
            return (went_live, Connection::Down);
        }
        // A snapshot that does not come (the read refused, say) would leave the book frozen: a new
        // connection starts with one.
        if resyncing.is_some_and(|since| resync_overdue(since, now_ms())) {
            return (went_live, Connection::Stale);
        }
        let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else { continue };
        match message {
            ServerMessage::OrderBookSnapshot { data } => {
                set_book.set(Book::from_snapshot(&data));
                set_connection.set(Connection::Live);
                (resyncing, went_live) = (None, true);
            }
            // The snapshot asked for was refused (too many reads, Redis unavailable): start afresh.
            ServerMessage::Error { .. } if resyncing.is_some() => return (went_live, Connection::Stale),
            ServerMessage::BookUpdate { data } if resyncing.is_none() => {
                let mut gap = false;
                set_book.update(|book| gap = book.apply(&data).is_err());
                if gap {
                    resyncing = Some(now_ms());
                    set_connection.set(Connection::Resyncing);
                    if !send(&mut write, r#"{"type":"get_order_book","depth":50}"#.into(), &heart).await {
                        return (went_live, Connection::Stale);
                    }
                }
            }
            ServerMessage::Trade { data } => set_trades.update(|tape| {
                tape.insert(0, TapeTrade { trade: data, live: true });
                tape.truncate(TAPE);
            }),
            ServerMessage::Ticker { data } => set_ticker.set(Some(data)),
            ServerMessage::Candle { data } => set_candle.set(Some(data)),
            ServerMessage::RecentTrades { data } => {
                set_trades.set(data.into_iter().map(|trade| TapeTrade { trade, live: false }).collect())
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_asked_for_after_a_gap_is_given_five_seconds() {
        assert!(!resync_overdue(1_000.0, 6_000.0));
        assert!(resync_overdue(1_000.0, 6_001.0));
    }
}
