//! Fan-out of every market's events to this instance's WebSocket clients. One task subscribes to each
//! market's `{SYMBOL}:events` channel in Redis (so every instance sees every command, whoever ran it),
//! decodes each message once, serialises each WebSocket message once and shares the same bytes with all
//! connections: the public feed through a bounded broadcast channel per market, the private feeds
//! through a bounded queue per connection.
//!
//! Pub/Sub is at-most-once. When the subscription drops (Redis restarted, `CLIENT KILL TYPE pubsub`, a
//! network fault) the task resubscribes and tells every public connection to resync from a fresh
//! snapshot; a connection that sees a gap in the sequence or falls behind resyncs by itself as well.
//!
//! A market's sequence can also go back: after a failover that lost the last writes (asynchronous
//! replication), the promoted replica numbers its next change with a sequence already sent. The task
//! notices (a book change whose sequence is not above the last one) and resyncs that market's clients
//! and closes the private connections, as for a lost subscription. `epoch` counts these events, so that
//! anything cached by sequence (the REST book cache) is not served across them.

pub mod messages;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use common::{Asset, CandleInterval, Symbol};
use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc, watch, Notify};

use crate::config::Markets;
use crate::engine::keys::{MarketKeys, BALANCES_CHANNEL};
use crate::engine::{wire, Event};
use crate::redis::PubSubSource;

/// Messages a public connection may fall behind by before it is resynced.
const PUBLIC_BUFFER: usize = 4096;

/// What a public connection receives.
#[derive(Clone, Debug)]
pub enum FeedItem {
    /// The messages of one command. `book_changed` says whether `seq` is a new sequence number.
    Update { seq: u64, book_changed: bool, messages: Arc<[Utf8Bytes]> },
    /// Updates may have been lost: take a fresh snapshot.
    Resync,
    /// Made from the trades after they happened, outside the sequence (`crate::market_data`).
    MarketData(MarketDataItem),
}

/// A market data message for the market's public connections.
#[derive(Clone, Debug)]
pub enum MarketDataItem {
    /// For every connection.
    Ticker(Utf8Bytes),
    /// For the connections subscribed to the interval's candles.
    Candle(CandleInterval, Utf8Bytes),
}

/// A message for a private connection, with the event it comes from: the market's place in the list
/// of markets and the event's sequence (a connection sends the messages of the events its balances show
/// before them, and those of later events after).
#[derive(Clone, Debug)]
pub struct PrivateMessage {
    pub market: usize,
    pub seq: u64,
    pub text: Utf8Bytes,
}

/// A private connection as the hub holds it: its id, its queue, and what it is told when its user's
/// balances may have changed (it reads them then, and sends what changed).
struct UserSink {
    id: u64,
    queue: mpsc::Sender<PrivateMessage>,
    balances: Arc<Notify>,
}

type UserSinks = HashMap<u64, Vec<UserSink>>;

/// The hub: per-market broadcast channels and the private connections of each user.
pub struct Feed {
    markets: HashMap<Symbol, broadcast::Sender<FeedItem>>,
    /// Per market, notified after each event with trades (market data folds them).
    traded: HashMap<Symbol, Arc<Notify>>,
    /// Per market (in the order of the list of markets), the sequence of the last event handed to the
    /// connections (`wait_routed`).
    routed: Vec<watch::Sender<u64>>,
    users: Mutex<UserSinks>,
    next_sink: std::sync::atomic::AtomicU64,
    /// Bumped each time the private connections are dropped because events may have been missed.
    losses: std::sync::atomic::AtomicU64,
    /// Bumped each time events may have been missed or a sequence went back.
    epoch: std::sync::atomic::AtomicU64,
}

/// A private connection's registration; dropping it unregisters the connection.
pub struct UserSubscription {
    feed: Arc<Feed>,
    user_id: u64,
    sink_id: u64,
    losses_at_start: u64,
    pub messages: mpsc::Receiver<PrivateMessage>,
    /// Notified when the user's balances may have changed.
    pub balances: Arc<Notify>,
}

impl UserSubscription {
    /// Whether the hub dropped this connection because events may have been missed (its Redis
    /// subscription was lost), rather than because the connection fell behind.
    pub fn events_were_missed(&self) -> bool {
        self.feed.losses.load(std::sync::atomic::Ordering::Acquire) != self.losses_at_start
    }
}

impl Drop for UserSubscription {
    fn drop(&mut self) {
        let mut users = self.feed.users.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sinks) = users.get_mut(&self.user_id) {
            sinks.retain(|sink| sink.id != self.sink_id);
            if sinks.is_empty() {
                users.remove(&self.user_id);
            }
        }
    }
}

impl Feed {
    /// Creates the hub and starts its Redis subscriber; returns once it is subscribed (or after a few
    /// seconds without Redis, when it goes on trying in the background), so that the first clients are
    /// not resynced for nothing.
    pub async fn start(redis: PubSubSource, markets: &Markets) -> Arc<Feed> {
        let feed = Arc::new(Feed {
            markets: markets.all().iter().map(|m| (m.symbol.clone(), broadcast::channel(PUBLIC_BUFFER).0)).collect(),
            traded: markets.all().iter().map(|m| (m.symbol.clone(), Arc::new(Notify::new()))).collect(),
            routed: markets.all().iter().map(|_| watch::channel(0).0).collect(),
            users: Mutex::new(HashMap::new()),
            next_sink: 0.into(),
            losses: 0.into(),
            epoch: 0.into(),
        });
        let (ready, subscribed) = tokio::sync::oneshot::channel();
        tokio::spawn(subscriber(feed.clone(), redis, markets.clone(), ready));
        let _ = tokio::time::timeout(Duration::from_secs(3), subscribed).await;
        feed
    }

    /// A receiver of the market's public feed (subscribe before taking the snapshot).
    pub fn subscribe(&self, symbol: &Symbol) -> Option<broadcast::Receiver<FeedItem>> {
        self.markets.get(symbol).map(broadcast::Sender::subscribe)
    }

    /// Registers a private connection of `user_id` with a queue of `capacity` messages.
    pub fn subscribe_user(self: &Arc<Feed>, user_id: u64, capacity: usize) -> UserSubscription {
        let (queue, messages) = mpsc::channel(capacity);
        let id = self.next_sink.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let balances = Arc::new(Notify::new());
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let losses_at_start = self.losses.load(std::sync::atomic::Ordering::Acquire);
        users.entry(user_id).or_default().push(UserSink { id, queue, balances: balances.clone() });
        UserSubscription { feed: self.clone(), user_id, sink_id: id, losses_at_start, messages, balances }
    }

    /// Changes each time events may have been missed or a market's sequence went back: a sequence
    /// only names one book within one epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Waits, at most `patience` in all, until this instance has handed its connections every event of
    /// each market up to its sequence in `seqs` (in the order of the list of markets): a private
    /// connection that has read its balances at those sequences then holds the messages of every event
    /// they show.
    pub async fn wait_routed(&self, seqs: &[u64], patience: Duration) {
        let all = async {
            for (routed, &seq) in self.routed.iter().zip(seqs) {
                let _ = routed.subscribe().wait_for(|last| *last >= seq).await;
            }
        };
        let _ = tokio::time::timeout(patience, all).await;
    }

    /// Records that the events of the `market`th market up to `seq` have been handed on (`seq` may go
    /// back, after a failover that lost writes: the next events are numbered from there).
    fn routed_to(&self, market: usize, seq: u64) {
        if let Some(routed) = self.routed.get(market) {
            routed.send_if_modified(|last| std::mem::replace(last, seq) != seq);
        }
    }

    /// Notified after each event of the market that has trades (a permit is kept while nobody waits).
    pub fn trades_signal(&self, symbol: &Symbol) -> Option<Arc<Notify>> {
        self.traded.get(symbol).cloned()
    }

    /// Hands a market data message to the market's public connections.
    pub fn publish_market_data(&self, symbol: &Symbol, item: MarketDataItem) {
        self.publish(symbol, FeedItem::MarketData(item));
    }

    fn publish(&self, symbol: &Symbol, item: FeedItem) {
        if let Some(tx) = self.markets.get(symbol) {
            // No receiver is fine: nobody watches this market on this instance.
            let _ = tx.send(item);
        }
    }

    /// Whether any public connection on this instance watches the market.
    pub fn watched(&self, symbol: &Symbol) -> bool {
        self.markets.get(symbol).is_some_and(|tx| tx.receiver_count() > 0)
    }

    /// Hands an event's private messages to each connection of the users concerned. A connection whose
    /// queue is full is dropped from the hub (its socket task then closes it with a reason): memory
    /// stays bounded.
    fn route_private(&self, (index, market): (usize, &common::Market), assets: (&Asset, &Asset), event: &Event) {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if users.is_empty() {
            return;
        }
        for (user_id, text) in messages::private(market, assets, event, |u| users.contains_key(&u)) {
            if let Some(sinks) = users.get_mut(&user_id) {
                let message = PrivateMessage { market: index, seq: event.seq, text };
                sinks.retain(|sink| sink.queue.try_send(message.clone()).is_ok());
            }
        }
        for user_id in messages::balance_changes(event) {
            notify_balances(&users, user_id);
        }
    }

    /// Tells `user_id`'s connections on this instance that their balances may have changed.
    fn balances_changed(&self, user_id: u64) {
        notify_balances(&self.users.lock().unwrap_or_else(|e| e.into_inner()), user_id);
    }

    /// Events may have been lost: every public connection resyncs from a snapshot, and every private
    /// one is closed with the reason (its client reloads its orders over REST when it reconnects).
    fn resync_all(&self) {
        let symbols: Vec<&Symbol> = self.markets.keys().collect();
        self.resync(&symbols);
    }

    /// `resync_all` for some markets: their public connections resync, every private one is closed.
    fn resync(&self, symbols: &[&Symbol]) {
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        for symbol in symbols {
            self.publish(symbol, FeedItem::Resync);
        }
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if !users.is_empty() {
            self.losses.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            users.clear();
        }
    }
}

fn notify_balances(users: &UserSinks, user_id: u64) {
    for sink in users.get(&user_id).into_iter().flatten() {
        // (A permit is stored when the connection is busy: it reads the balances once for many changes.)
        sink.balances.notify_one();
    }
}

/// Subscribes to every market's events and fans them out; resubscribes after any loss.
async fn subscriber(feed: Arc<Feed>, redis: PubSubSource, markets: Markets, ready: tokio::sync::oneshot::Sender<()>) {
    let mut ready = Some(ready);
    let channels: HashMap<String, (usize, &common::Market)> =
        markets.all().iter().enumerate().map(|(i, m)| (MarketKeys::new(&m.symbol).events_channel(), (i, m))).collect();
    let mut first = true;
    loop {
        match subscribe(&redis, channels.keys().map(String::as_str).chain([BALANCES_CHANNEL])).await {
            Ok(mut pubsub) => {
                if !first {
                    tracing::warn!("event subscription restored; resyncing WebSocket clients");
                }
                // Whatever was published while unsubscribed is lost: every client takes a snapshot.
                feed.resync_all();
                first = false;
                if let Some(ready) = ready.take() {
                    let _ = ready.send(());
                }
                let mut stream = pubsub.on_message();
                let mut last_seq: HashMap<Symbol, u64> = HashMap::new();
                while let Some(msg) = stream.next().await {
                    if msg.get_channel_name() == BALANCES_CHANNEL {
                        if let Ok(user_id) = msg.get_payload::<u64>() {
                            feed.balances_changed(user_id);
                        }
                        continue;
                    }
                    let Some(&(index, market)) = channels.get(msg.get_channel_name()) else { continue };
                    match wire::decode_events(msg.get_payload_bytes()) {
                        Ok(events) => {
                            for event in events {
                                if event.book_changed {
                                    let last = last_seq.insert(market.symbol.clone(), event.seq);
                                    if last.is_some_and(|last| event.seq <= last) {
                                        tracing::error!(
                                            symbol = %market.symbol, seq = event.seq, last = ?last,
                                            "the sequence went back (writes lost in a failover?); resyncing"
                                        );
                                        feed.resync(&[&market.symbol]);
                                        feed.routed_to(index, event.seq);
                                        continue;
                                    }
                                }
                                if !event.trades.is_empty() {
                                    if let Some(signal) = feed.traded.get(&market.symbol) {
                                        signal.notify_one();
                                    }
                                }
                                feed.route_private((index, market), markets.assets_of(market), &event);
                                if event.book_changed {
                                    feed.routed_to(index, event.seq);
                                }
                                // Nobody watching: nothing to make. A client that subscribes after this
                                // check takes its snapshot after it too, and the snapshot holds this event.
                                if feed.watched(&market.symbol) {
                                    let item = FeedItem::Update {
                                        seq: event.seq,
                                        book_changed: event.book_changed,
                                        messages: messages::public(market, &event).into(),
                                    };
                                    feed.publish(&market.symbol, item);
                                }
                            }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "undecodable event; resyncing the market");
                            feed.publish(&market.symbol, FeedItem::Resync);
                        }
                    }
                }
                tracing::warn!("event subscription lost");
                // Tell the clients now rather than at the next attempt.
                feed.resync_all();
                crate::metrics::METRICS.redis_errors.with_label_values(&["pubsub"]).inc();
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot subscribe to events; retrying");
                feed.resync_all();
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn subscribe<'a>(
    client: &PubSubSource,
    channels: impl Iterator<Item = &'a str>,
) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = tokio::time::timeout(Duration::from_secs(3), client.connect())
        .await
        .map_err(|_| redis::RedisError::from(std::io::Error::other("pubsub connect timed out")))??;
    for channel in channels {
        pubsub.subscribe(channel).await?;
    }
    Ok(pubsub)
}
