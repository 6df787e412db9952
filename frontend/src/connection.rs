//! A feed connection's health as the screen shows it: its state, the heartbeat that tells a silent
//! (half-open) connection from a quiet market, and the back-off between reconnections. The decisions
//! are plain functions of the time (tested natively); `next_event` is the one place that waits.

use futures::channel::mpsc::UnboundedReceiver;
use futures::future::{select, Either};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use gloo_timers::future::TimeoutFuture;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Live,
    Resyncing,
    /// Nothing heard, not even a pong, for `SILENT_MS`: given up, a new connection is being made.
    Stale,
    Down,
    /// The server refused the connection's requests (a private feed whose session has ended): no retry.
    Refused,
}

impl Connection {
    /// What the status bar says.
    pub fn label(self) -> &'static str {
        match self {
            Connection::Live => "live",
            Connection::Connecting => "connecting",
            Connection::Resyncing => "resyncing",
            Connection::Stale => "no data: reconnecting",
            Connection::Down => "reconnecting",
            Connection::Refused => "refused: log in again",
        }
    }
}

/// How often a connection is pinged (the server answers `pong`; any message counts as heard).
pub const PING_EVERY_MS: f64 = 5_000.0;
/// Silence after which a connection is given up: two pings unanswered and then some.
pub const SILENT_MS: f64 = 12_000.0;

/// When to ping and when to give up, from when the connection was last heard from.
pub struct Heartbeat {
    last_heard: f64,
    last_ping: f64,
}

/// What the heartbeat's timer says.
#[derive(Debug, PartialEq, Eq)]
pub enum Beat {
    Ping,
    Dead,
}

impl Heartbeat {
    pub fn new(now: f64) -> Heartbeat {
        Heartbeat { last_heard: now, last_ping: now }
    }

    pub fn heard(&mut self, now: f64) {
        self.last_heard = now;
    }

    /// Milliseconds until the next ping is due or the silence is too long, whichever comes first.
    pub fn wait_ms(&self, now: f64) -> f64 {
        ((self.last_ping + PING_EVERY_MS).min(self.last_heard + SILENT_MS) - now).max(0.0)
    }

    /// Milliseconds of silence left before the connection is given up.
    pub fn silence_left_ms(&self, now: f64) -> f64 {
        (self.last_heard + SILENT_MS - now).max(0.0)
    }

    /// What is due at `now`: dead after `SILENT_MS` of silence, else a ping every `PING_EVERY_MS` (the
    /// ping counts as sent), else nothing yet.
    pub fn beat(&mut self, now: f64) -> Option<Beat> {
        if now - self.last_heard >= SILENT_MS {
            return Some(Beat::Dead);
        }
        if now - self.last_ping >= PING_EVERY_MS {
            self.last_ping = now;
            return Some(Beat::Ping);
        }
        None
    }
}

/// The waits between attempts to reconnect: from half a second, doubling per failure up to 15 s, each
/// drawn between half and all of that (so that screens cut off together do not all come back at once).
#[derive(Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// After a connection that went live: the next failure waits the least again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The wait before the next attempt; `random` is uniform in [0, 1).
    pub fn next_ms(&mut self, random: f64) -> u32 {
        let ceiling = (500.0 * 2f64.powi(self.failures.min(10) as i32)).min(15_000.0);
        self.failures += 1;
        (ceiling * (0.5 + 0.5 * random.clamp(0.0, 1.0))) as u32
    }
}

/// What happened next on a connection.
pub enum Event {
    /// A text message from the server.
    Text(String),
    /// Something the screen asked to send.
    Send(String),
    /// Time to send a ping.
    Ping,
    /// Silent too long, closed, or replaced: this connection is over.
    Over(Connection),
}

/// Milliseconds on the page's monotonic clock (the wall clock may jump back, which would put off the
/// heartbeat by as much).
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or_else(js_sys::Date::now, |p| p.now())
}

/// Waits for the next thing to do on a connection: a message, something to send, or the heartbeat.
pub async fn next_event(
    read: &mut SplitStream<WebSocket>,
    outgoing: &mut UnboundedReceiver<String>,
    heart: &mut Heartbeat,
) -> Event {
    loop {
        let timer = TimeoutFuture::new(heart.wait_ms(now_ms()).ceil() as u32);
        return match select(select(read.next(), outgoing.next()), timer).await {
            Either::Left((Either::Left((Some(Ok(Message::Text(text))), _)), _)) => {
                heart.heard(now_ms());
                Event::Text(text)
            }
            Either::Left((Either::Left(_), _)) => Event::Over(Connection::Down),
            Either::Left((Either::Right((Some(out), _)), _)) => Event::Send(out),
            // The outbox was dropped: a newer connection follows the market now. (Waiting on it again
            // would spin: a closed channel is always ready.)
            Either::Left((Either::Right((None, _)), _)) => Event::Over(Connection::Down),
            Either::Right(_) => match heart.beat(now_ms()) {
                Some(Beat::Ping) => Event::Ping,
                Some(Beat::Dead) => Event::Over(Connection::Stale),
                None => continue,
            },
        };
    }
}

/// The next message from the server, having sent meanwhile what the screen asked to send and the pings
/// due; or, once the connection is over (silent, closed, replaced, or unable to take a send), why.
pub async fn next_message(
    read: &mut SplitStream<WebSocket>,
    write: &mut SplitSink<WebSocket, Message>,
    outgoing: &mut UnboundedReceiver<String>,
    heart: &mut Heartbeat,
) -> Result<String, Connection> {
    loop {
        let out = match next_event(read, outgoing, heart).await {
            Event::Text(text) => return Ok(text),
            Event::Send(out) => out,
            Event::Ping => PING.to_string(),
            Event::Over(why) => return Err(why),
        };
        if !send(write, out, heart).await {
            return Err(Connection::Stale);
        }
    }
}

/// Sends `text`, unless the socket cannot take it (a socket still opening takes nothing) before the
/// connection's silence runs out: then false, and the connection is to be given up.
pub async fn send(write: &mut SplitSink<WebSocket, Message>, text: String, heart: &Heartbeat) -> bool {
    let deadline = TimeoutFuture::new(heart.silence_left_ms(now_ms()).ceil() as u32);
    matches!(select(write.send(Message::Text(text)), deadline).await, Either::Left((Ok(()), _)))
}

/// The ping message.
pub const PING: &str = r#"{"type":"ping"}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_connection_is_pinged_and_a_silent_one_given_up() {
        let mut h = Heartbeat::new(0.0);
        assert_eq!(h.wait_ms(0.0), PING_EVERY_MS);
        assert_eq!(h.beat(4_999.0), None, "woken early: nothing due");
        assert_eq!(h.beat(5_000.0), Some(Beat::Ping));
        h.heard(5_100.0); // the pong
        assert_eq!(h.wait_ms(6_000.0), 4_000.0);
        assert_eq!(h.beat(10_000.0), Some(Beat::Ping));
        assert_eq!(h.beat(15_000.0), Some(Beat::Ping), "10 s of silence: not yet");
        assert_eq!(h.wait_ms(15_000.0), 2_100.0, "woken when the silence runs out, before the next ping");
        assert_eq!(h.silence_left_ms(15_000.0), 2_100.0);
        assert_eq!(h.beat(17_100.0), Some(Beat::Dead), "12 s: no answer to two pings");
    }

    #[test]
    fn reconnections_back_off_with_jitter_and_start_again_after_success() {
        let mut b = Backoff::default();
        let most: Vec<u32> = (0..7).map(|_| b.next_ms(1.0)).collect();
        assert_eq!(most, [500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
        assert_eq!(b.next_ms(0.0), 7_500, "at least half");
        b.reset();
        assert_eq!(b.next_ms(0.5), 375);
    }
}
