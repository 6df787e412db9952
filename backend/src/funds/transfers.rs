//! Transfers between a user's wallet and their sub-account in a market (docs/funds.md, "Transfers"):
//! three steps in two slots, each idempotent, a user's transfers one at a time. Whoever finds a
//! transfer under way finishes it: the next transfer of that user, or the reconciler, which every
//! instance runs and which may race another instance's without applying anything twice. And withdrawals,
//! which bring back from the markets what the wallet lacks.

use std::time::Duration;

use common::time::now_ms;
use common::{Asset, Market};
use redis::aio::ConnectionLike;
use redis::Value;

use super::error::{insufficient, protocol, FundsError};
use super::ledger::{UserKeys, TRANSFERS_PENDING};
use super::wallet::{Applied, Funds};
use crate::engine::library::{MOVE_FUNDS, TRANSFER_FINISH, TRANSFER_START, TRANSFER_UNMARK, WITHDRAW};
use crate::engine::wire::{REPLY_OK, REPLY_REFUSED};
use crate::engine::MarketKeys;

/// Which way a transfer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the wallet into a market.
    In,
    /// From a market back to the wallet.
    Out,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// How much a transfer moves.
#[derive(Clone, Copy, Debug)]
pub enum Units {
    Exactly(u64),
    /// Into a market: the wallet's whole free amount of the asset.
    All,
}

/// A transfer under way, as its user's slot holds it.
#[derive(Clone, Debug)]
struct Pending {
    id: u64,
    market: String,
    side: String,
    direction: String,
    units: String,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

impl<C: ConnectionLike + Clone + Send + Sync> Funds<C> {
    /// Debits `units` of `asset` from the wallet once per client withdrawal id. What the wallet lacks
    /// is first brought back from the user's sub-accounts (what is free there), when their free
    /// balance covers the whole.
    pub async fn withdraw(
        &self,
        user_id: u64,
        asset: &Asset,
        units: u64,
        withdrawal: &str,
    ) -> Result<Applied, FundsError> {
        let keys = UserKeys::new(user_id);
        if self.wallet_free(&keys, asset).await? < units && !self.done_before(&keys, 'w', withdrawal).await? {
            self.bring_back(user_id, asset, units).await?;
        }
        let id = self.next_entry_id().await?;
        let mut call = WITHDRAW.key(&keys.wallet);
        call.key(&keys.ledger).key(&keys.refs);
        call.arg(now_ms()).arg(id).arg(&asset.asset).arg(units).arg(withdrawal).arg(self.settings().ledger_kept);
        let (entry, created) = self.applied(&self.engine.write(&call).await?)?;
        if created {
            self.announce(user_id).await;
        }
        Ok((entry, created))
    }

    /// Moves free units of `asset` from the user's sub-accounts to the wallet until it holds `units`;
    /// refuses (moving nothing) when the user's free balance of it is short.
    async fn bring_back(&self, user_id: u64, asset: &Asset, units: u64) -> Result<(), FundsError> {
        let free = self.balances(user_id).await?.into_iter().find(|b| b.asset == asset.asset).map(|b| b.free);
        let free = free.map_or(Ok(0), |f| asset.units_of(f).or(Ok::<u64, FundsError>(0)))?;
        if free < units {
            return Err(insufficient());
        }
        let keys = UserKeys::new(user_id);
        for market in self.engine.markets().all() {
            let have = self.wallet_free(&keys, asset).await?;
            if have >= units {
                break;
            }
            if market.base == asset.asset || market.quote == asset.asset {
                self.transfer(user_id, market, asset, Direction::Out, Units::Exactly(units - have)).await?;
            }
        }
        Ok(())
    }

    /// Moves `units` of `asset` (the base or the quote of `market`) between the user's wallet and
    /// their sub-account there; returns the units moved (out of a market: at most what is free there).
    /// A transfer of the user's found under way is finished first.
    pub async fn transfer(
        &self,
        user_id: u64,
        market: &Market,
        asset: &Asset,
        direction: Direction,
        units: Units,
    ) -> Result<u64, FundsError> {
        let side = if asset.asset == market.base { "base" } else { "quote" };
        let keys = UserKeys::new(user_id);
        let started = now_ms();
        // Marked before it starts, so that a transfer cut short is found by the reconciler.
        let _: () = redis::cmd("ZADD")
            .arg(TRANSFERS_PENDING)
            .arg("GT")
            .arg(started)
            .arg(user_id)
            .query_async(&mut self.engine.conn())
            .await?;
        let units_arg = match units {
            Units::Exactly(n) => n.to_string(),
            Units::All => "all".to_string(),
        };
        let mut call = TRANSFER_START.key(&keys.wallet);
        call.key(&keys.xfer);
        call.arg(started)
            .arg(market.symbol.as_str())
            .arg(&asset.asset)
            .arg(side)
            .arg(direction.as_str())
            .arg(&units_arg);
        // At most twice: a transfer found under way is finished, then this one starts.
        for _ in 0..2 {
            let reply = self.engine.write(&call).await?;
            let kind = reply.first().and_then(text).unwrap_or_default();
            match kind.as_str() {
                k if k == REPLY_OK => {
                    let id: u64 = reply
                        .get(1)
                        .and_then(text)
                        .and_then(|t| t.parse().ok())
                        .ok_or_else(|| protocol("transfer id"))?;
                    let units = reply.get(2).and_then(text).ok_or_else(|| protocol("transfer units"))?;
                    let pending = Pending {
                        id,
                        market: market.symbol.to_string(),
                        side: side.into(),
                        direction: direction.as_str().into(),
                        units,
                    };
                    let moved = self.finish(user_id, &pending).await?;
                    self.unmark(user_id, started).await?;
                    return Ok(moved);
                }
                // Another transfer of the user's is under way: finished first (read again from its hash).
                "pending" => self.finish_pending(user_id).await?,
                k if k == REPLY_REFUSED => {
                    self.unmark(user_id, started).await?;
                    return match reply.get(1).and_then(text).as_deref() {
                        Some("insufficient_funds") => Err(insufficient()),
                        Some("nothing") => Ok(0),
                        _ => Err(protocol("transfer refusal")),
                    };
                }
                _ => return Err(protocol("transfer reply")),
            }
        }
        Err(protocol("a transfer stayed under way after it was finished"))
    }

    /// Steps 2 and 3 of a transfer: the market's side (applied once), then the user's. Returns the
    /// units moved.
    async fn finish(&self, user_id: u64, p: &Pending) -> Result<u64, FundsError> {
        let symbol = common::Symbol::parse(&p.market).map_err(|_| protocol("transfer market"))?;
        let mut call = MOVE_FUNDS.key(MarketKeys::new(&symbol).seq());
        call.arg(user_id).arg(p.id).arg(&p.direction).arg(&p.side).arg(&p.units);
        let reply = self.engine.write(&call).await?;
        let moved = reply_text(&reply)?;
        let keys = UserKeys::new(user_id);
        let mut call = TRANSFER_FINISH.key(&keys.wallet);
        call.key(&keys.xfer).arg(p.id).arg(&moved);
        self.engine.write(&call).await?;
        moved.parse().map_err(|_| protocol("moved units"))
    }

    /// Takes the user off the pending list, unless a newer transfer marked them since `started`.
    async fn unmark(&self, user_id: u64, started: u64) -> Result<(), FundsError> {
        let mut call = TRANSFER_UNMARK.key(TRANSFERS_PENDING);
        call.arg(user_id).arg(started);
        self.engine.write(&call).await?;
        Ok(())
    }

    /// Finishes the user's transfer under way, if there is one.
    pub(super) async fn finish_pending(&self, user_id: u64) -> Result<(), FundsError> {
        let keys = UserKeys::new(user_id);
        let fields: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(&keys.xfer)
            .arg(&["id", "market", "side", "direction", "units"])
            .query_async(&mut self.engine.conn())
            .await?;
        if let [Some(id), Some(market), Some(side), Some(direction), Some(units)] = &fields[..] {
            let id = id.parse().map_err(|_| protocol("pending transfer id"))?;
            let pending = Pending {
                id,
                market: market.clone(),
                side: side.clone(),
                direction: direction.clone(),
                units: units.clone(),
            };
            self.finish(user_id, &pending).await?;
        }
        Ok(())
    }

    /// One pass of the reconciler: finishes the transfers marked more than `older_than` ago (at most
    /// `batch`) and unmarks their users. Returns how many users it looked at.
    pub async fn reconcile_once(&self, older_than: Duration, batch: usize) -> Result<usize, FundsError> {
        let before = now_ms().saturating_sub(older_than.as_millis() as u64);
        let marked: Vec<(u64, u64)> = redis::cmd("ZRANGEBYSCORE")
            .arg(TRANSFERS_PENDING)
            .arg("-inf")
            .arg(before)
            .arg("WITHSCORES")
            .arg("LIMIT")
            .arg(0)
            .arg(batch)
            .query_async(&mut self.engine.conn())
            .await?;
        for &(user_id, started) in &marked {
            self.finish_pending(user_id).await?;
            self.unmark(user_id, started).await?;
        }
        Ok(marked.len())
    }

    /// Runs the reconciler every `every` until the process ends; errors are logged and retried.
    pub fn start_reconciler(&self, every: Duration) -> tokio::task::JoinHandle<()>
    where
        C: 'static,
    {
        let funds = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match funds.reconcile_once(every, 100).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(users = n, "reconciler finished transfers cut short"),
                    Err(e) => tracing::warn!(error = %e, "reconciler pass failed; retrying"),
                }
            }
        })
    }
}

/// A function's one text reply.
fn reply_text(reply: &[Value]) -> Result<String, FundsError> {
    reply.first().and_then(text).ok_or_else(|| protocol("funds reply"))
}
