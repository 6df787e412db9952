//! A user's history of funds: fills, read from the markets' fills sets (kept by the matching script,
//! `lua/settlement.lua`), and the ledger, which is the wallet's entries (deposits, withdrawals, the
//! faucet) merged with the entries each fill makes: what was given and received (`trade`) and the fee
//! (`fee`). A fill's entries are not stored twice: they follow from the fill, which the same atomic step
//! that settled it wrote.

use std::collections::{HashMap, HashSet};

use common::time::format_millis;
use common::{Asset, Fill, LedgerEntry, LedgerKind, Market, MarketUnits, Side, Symbol};
use redis::aio::ConnectionLike;

use super::error::{protocol, FundsError};
use super::wallet::Funds;
use crate::engine::wire::RawFill;

/// Ledger entry ids per trade: a trade's entries are `trade id × 4 + k`, k = 0 for the base, 1 for the
/// quote, 2 for the fee. Trade ids are order ids × 1,024 plus an index, and wallet entries' ids order
/// ids × 4,096 (`LEDGER_IDS_PER_COUNT`), so the two sort together by time.
const ENTRIES_PER_TRADE: u64 = 4;

/// Fills read at a time when they are filtered (by order).
const CHUNK: usize = 500;

impl<C: ConnectionLike + Clone + Send + Sync> Funds<C> {
    /// The user's fills, newest first: at most `limit`, of one market or all, of one order when given,
    /// with trade ids below `before`. An order that is not the user's has no fills.
    pub async fn fills(
        &self,
        user_id: u64,
        symbol: Option<&Symbol>,
        order_id: Option<u64>,
        limit: usize,
        before: Option<u64>,
    ) -> Result<Vec<Fill>, FundsError> {
        let markets = match order_id {
            Some(order) => match self.engine.locate(user_id, order).await? {
                Some(m) if symbol.is_none_or(|s| *s == m.symbol) => vec![m],
                _ => return Ok(Vec::new()),
            },
            None => self.engine.markets_for(symbol)?,
        };
        let mut out = Vec::new();
        for market in markets {
            // (The caller's own order in the fill: the other side's order id names somebody else's.)
            let wanted = |f: &RawFill| order_id.is_none_or(|o| f.part_of(user_id).order_id == o);
            let raw = self.raw_fills(market, user_id, before.map(|b| b.saturating_sub(1)), limit, wanted).await?;
            out.extend(self.own_fills(market, user_id, &raw).await?);
        }
        out.sort_by_key(|f| std::cmp::Reverse(f.trade_id));
        out.truncate(limit);
        Ok(out)
    }

    /// Up to `limit` of the user's fills in `market` that `wanted` keeps, trade ids at most `through`.
    async fn raw_fills(
        &self,
        market: &Market,
        user_id: u64,
        mut through: Option<u64>,
        limit: usize,
        wanted: impl Fn(&RawFill) -> bool,
    ) -> Result<Vec<RawFill>, FundsError> {
        let mut out = Vec::new();
        loop {
            let page = self.engine.fills(market, user_id, through, CHUNK.min(limit.max(1))).await?;
            let full = page.len() == CHUNK.min(limit.max(1));
            for fill in page {
                through = fill.trade.id.checked_sub(1);
                if wanted(&fill) {
                    out.push(fill);
                    if out.len() == limit {
                        return Ok(out);
                    }
                }
            }
            if !full || through.is_none() {
                return Ok(out);
            }
        }
    }

    /// The user's side of each fill, with the client order ids of the user's orders (read from the
    /// orders, when still kept).
    async fn own_fills(&self, market: &Market, user_id: u64, raw: &[RawFill]) -> Result<Vec<Fill>, FundsError> {
        let own_order = |f: &RawFill| f.part_of(user_id).order_id;
        let ids: Vec<u64> = raw.iter().map(own_order).collect::<HashSet<_>>().into_iter().collect();
        let mut client_ids = HashMap::new();
        if !ids.is_empty() {
            for order in self.engine.fetch(market, user_id, &ids).await? {
                if let Some(cid) = order.client_order_id() {
                    client_ids.insert(order.id(), cid.to_string());
                }
            }
        }
        let assets = self.engine.markets().assets_of(market);
        Ok(raw.iter().map(|f| f.to_fill(market, assets, user_id, client_ids.get(&own_order(f)).cloned())).collect())
    }

    /// The user's ledger, newest first: at most `limit` entries (of `asset` only, when given) with ids
    /// below `before`: the wallet's entries and those of the fills kept.
    pub async fn ledger(
        &self,
        user_id: u64,
        asset: Option<&str>,
        limit: usize,
        before: Option<u64>,
    ) -> Result<Vec<LedgerEntry>, FundsError> {
        let mut out = self.wallet_ledger(user_id, asset, limit, before).await?;
        // Each fill makes at least one entry of each of its market's assets, so `limit` fills of each
        // market are enough.
        let through = before.map(|b| b.saturating_sub(1) / ENTRIES_PER_TRADE);
        for market in self.engine.markets().all() {
            if asset.is_some_and(|a| a != market.base && a != market.quote) {
                continue;
            }
            let units = self.engine.markets().units(&market.symbol).ok_or_else(|| protocol("market units"))?;
            let assets = self.engine.markets().assets_of(market);
            for fill in self.raw_fills(market, user_id, through, limit, |_| true).await? {
                let entries = fill_entries(units, assets, user_id, &fill);
                out.extend(
                    entries
                        .into_iter()
                        .filter(|e| before.is_none_or(|b| e.id < b) && asset.is_none_or(|a| a == e.asset)),
                );
            }
        }
        out.sort_by_key(|e| std::cmp::Reverse(e.id));
        out.truncate(limit);
        Ok(out)
    }
}

/// The ledger entries a fill of a market (its `units` and its `base` and `quote` assets) makes for user
/// `user_id`: the base and quote given and received at the trade's price, and the fee (or rebate) in the
/// asset received, when there is one.
fn fill_entries(units: MarketUnits, (base, quote): (&Asset, &Asset), user_id: u64, fill: &RawFill) -> Vec<LedgerEntry> {
    let t = &fill.trade;
    let part = fill.part_of(user_id);
    let base_units = i128::from(t.qty) * i128::from(units.base_per_lot);
    let quote_units = i128::from(t.qty) * i128::from(t.price) * i128::from(units.quote_per_notional);
    let (base_change, quote_change, fee_asset) = match part.side {
        Side::Buy => (base_units, -quote_units, base),
        Side::Sell => (-base_units, quote_units, quote),
    };
    let entry = |k: u64, asset: &Asset, units: i128, kind: LedgerKind| LedgerEntry {
        id: t.id * ENTRIES_PER_TRADE + k,
        asset: asset.asset.clone(),
        amount: asset.amount_of(units),
        kind,
        reference: t.id.to_string(),
        timestamp: format_millis(fill.ts),
    };
    let mut entries =
        vec![entry(0, base, base_change, LedgerKind::Trade), entry(1, quote, quote_change, LedgerKind::Trade)];
    if part.fee != 0 {
        entries.push(entry(2, fee_asset, -part.fee, LedgerKind::Fee));
    }
    entries
}
