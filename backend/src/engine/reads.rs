//! Reading: book snapshots, recent trades, a user's orders and fills.

use common::{time::format_millis, BookLevel, BookSnapshot, ClientOrderId, Market, Order, Symbol, Trade};
use redis::aio::ConnectionLike;

use super::error::EngineError;
use super::handle::Engine;
use super::keys::{MarketKeys, BUCKET_IDS};
use super::library;
use super::wire::{self, RawFill, RawOrder};
use common::time::now_ms;

/// Which of a user's orders to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    Open,
    Closed,
    All,
}

impl StatusFilter {
    fn as_arg(self) -> &'static str {
        match self {
            StatusFilter::Open => "open",
            StatusFilter::Closed => "closed",
            StatusFilter::All => "all",
        }
    }
}

/// A stream entry as XREVRANGE returns it: its id and its field-value pairs.
type StreamEntry = (String, Vec<(String, Vec<u8>)>);

impl<C: ConnectionLike + Clone + Send + Sync> Engine<C> {
    /// The top `depth` levels of each side and the sequence they reflect.
    pub async fn book(&self, symbol: &Symbol, depth: u32) -> Result<BookSnapshot, EngineError> {
        let market = self.market(symbol)?;
        let k = MarketKeys::new(symbol);
        let (seq, bids, asks): (u64, Vec<u64>, Vec<u64>) = library::BOOK_SNAPSHOT
            .key(k.seq())
            .key(k.bids())
            .key(k.asks())
            .arg(depth)
            .invoke_async(&mut self.conn())
            .await?;
        let levels = |flat: Vec<u64>| -> Vec<BookLevel> {
            flat.chunks_exact(3)
                .map(|c| BookLevel {
                    price: market.ticks_to_price(c[0]),
                    quantity: market.lots_to_quantity(c[1]),
                    order_count: c[2],
                })
                .collect()
        };
        Ok(BookSnapshot {
            symbol: symbol.clone(),
            bids: levels(bids),
            asks: levels(asks),
            sequence: seq,
            timestamp: format_millis(now_ms()),
        })
    }

    /// The market's current sequence: one cheap read, to tell whether a cached snapshot is still current.
    pub async fn sequence(&self, symbol: &Symbol) -> Result<u64, EngineError> {
        self.market(symbol)?;
        let seq: Option<u64> =
            redis::cmd("GET").arg(MarketKeys::new(symbol).seq()).query_async(&mut self.conn()).await?;
        Ok(seq.unwrap_or(0))
    }

    /// The market's most recent trades, newest first. Each stream entry holds the trades of one script
    /// call (one to thousands), so entries are read a few at a time, newest first, until there are
    /// `limit` trades: the first page is one entry, each next one up to four times larger but never
    /// more entries than trades still wanted. A read costs Redis about what it returns, not `limit`
    /// whole entries.
    pub async fn recent_trades(&self, symbol: &Symbol, limit: u32) -> Result<Vec<Trade>, EngineError> {
        let market = self.market(symbol)?;
        let k = MarketKeys::new(symbol);
        let limit = limit as usize;
        let mut trades = Vec::new();
        let (mut from, mut page) = ("+".to_string(), 1usize);
        while trades.len() < limit {
            let count = page.min(limit - trades.len());
            let entries: Vec<StreamEntry> = redis::cmd("XREVRANGE")
                .arg(k.trades())
                .arg(&from)
                .arg("-")
                .arg("COUNT")
                .arg(count)
                .query_async(&mut self.conn())
                .await?;
            for (_, fields) in &entries {
                let Some((_, bytes)) = fields.iter().find(|(f, _)| f == "t") else { continue };
                // Groups and each order's fills come in matching order; newest first means reversed.
                for g in wire::decode_stream_trades(bytes)?.iter().rev() {
                    let side = g.taker_side;
                    trades.extend(g.trades.iter().rev().map(|t| t.to_trade(market, side, g.seq, g.ts)));
                }
            }
            match entries.last() {
                // The next page starts just before the oldest entry read (an exclusive bound).
                Some((id, _)) if entries.len() == count => from = format!("({id}"),
                _ => break,
            }
            page *= 4;
        }
        trades.truncate(limit);
        Ok(trades)
    }

    /// The caller's order named by its client order id: in one market, or the newest of all markets.
    pub async fn order_by_client_id(
        &self,
        user_id: u64,
        client_order_id: &ClientOrderId,
        symbol: Option<&Symbol>,
    ) -> Result<Order, EngineError> {
        let mut found: Option<(u64, &Market)> = None;
        for market in self.markets_for(symbol)? {
            let key = MarketKeys::new(&market.symbol).client_order_id(user_id, client_order_id.as_str());
            let id: Option<u64> = redis::cmd("GET").arg(key).query_async(&mut self.conn()).await?;
            if let Some(id) = id.filter(|&id| found.is_none_or(|(newest, _)| id > newest)) {
                found = Some((id, market));
            }
        }
        let (id, market) = found.ok_or(EngineError::NotFound)?;
        let raw = self.fetch(market, user_id, &[id]).await?;
        raw.first().map(|o| o.to_order(market)).ok_or(EngineError::NotFound)
    }

    /// The user's order with this id; `NotFound` when it does not exist or is someone else's.
    pub async fn order(&self, user_id: u64, order_id: u64) -> Result<Order, EngineError> {
        let market = self.locate(user_id, order_id).await?.ok_or(EngineError::NotFound)?;
        let raw = self.fetch(market, user_id, &[order_id]).await?;
        raw.first().map(|o| o.to_order(market)).ok_or(EngineError::NotFound)
    }

    /// The user's orders, newest (by creation) first, in one market or all.
    pub async fn orders(
        &self,
        user_id: u64,
        symbol: Option<&Symbol>,
        filter: StatusFilter,
        limit: u32,
        before: Option<u64>,
    ) -> Result<Vec<Order>, EngineError> {
        let mut all = Vec::new();
        let markets = self.markets_for(symbol)?;
        // No id is below 0 (`list_orders` reads 0 as no bound at all).
        if before == Some(0) {
            return Ok(all);
        }
        for market in markets {
            let k = MarketKeys::new(&market.symbol);
            let raw: Vec<Vec<u8>> = library::LIST_ORDERS
                .key(k.seq())
                .key(k.user_open(user_id))
                .key(k.user_closed(user_id))
                .arg(filter.as_arg())
                .arg(limit)
                .arg(user_id)
                .arg(now_ms())
                .arg(self.settings().retention_ms)
                .arg(before.unwrap_or(0))
                .invoke_async(&mut self.conn())
                .await?;
            for entry in raw {
                all.push(wire::decode_order(&entry)?.to_order(market));
            }
        }
        all.sort_by_key(|o| std::cmp::Reverse(o.id));
        all.truncate(limit as usize);
        Ok(all)
    }

    /// Reads orders of one user in one market by id (open, or closed within the retention).
    pub async fn fetch(&self, market: &Market, user_id: u64, ids: &[u64]) -> Result<Vec<RawOrder>, EngineError> {
        let k = MarketKeys::new(&market.symbol);
        let mut inv = library::GET_ORDERS.prepare_invoke();
        inv.key(k.seq()).key(k.user_closed(user_id));
        inv.arg(user_id).arg(now_ms()).arg(self.settings().retention_ms);
        for id in ids {
            inv.arg(*id);
        }
        let raw: Vec<Vec<u8>> = inv.invoke_async(&mut self.conn()).await?;
        raw.iter().map(|entry| Ok(wire::decode_order(entry)?)).collect()
    }

    /// The user's fills in `market`, newest (by trade id) first: at most `count`, with trade ids at most
    /// `through` when given.
    pub async fn fills(
        &self,
        market: &Market,
        user_id: u64,
        through: Option<u64>,
        count: usize,
    ) -> Result<Vec<RawFill>, EngineError> {
        let raw: Vec<Vec<u8>> = redis::cmd("ZREVRANGEBYSCORE")
            .arg(MarketKeys::new(&market.symbol).user_fills(user_id))
            .arg(through.map_or("+inf".to_string(), |t| t.to_string()))
            .arg("-inf")
            .arg("LIMIT")
            .arg(0)
            .arg(count)
            .query_async(&mut self.conn())
            .await?;
        raw.iter().map(|f| Ok(wire::decode_fill(f)?)).collect()
    }

    /// Finds which market holds an order of this user: every market is asked at once (one pipeline per
    /// market, so each stays in its market's Redis Cluster slot).
    pub async fn locate(&self, user_id: u64, order_id: u64) -> Result<Option<&Market>, EngineError> {
        let asks = self.markets().all().iter().map(|m| {
            let k = MarketKeys::new(&m.symbol);
            let mut pipe = redis::pipe();
            pipe.cmd("HEXISTS").arg(k.open_bucket(order_id)).arg(order_id % BUCKET_IDS);
            pipe.cmd("HEXISTS").arg(k.user_closed(user_id)).arg(order_id);
            let mut conn = self.conn();
            async move { pipe.query_async::<(bool, bool)>(&mut conn).await }
        });
        let found = futures_util::future::try_join_all(asks).await?;
        Ok(found.iter().position(|&(open, closed)| open || closed).map(|i| &self.markets().all()[i]))
    }
}
