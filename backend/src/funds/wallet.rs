//! The wallet in the user's slot, changed only by the engine's functions `deposit`, `withdraw` and
//! `faucet` (`lua/funds.lua`), each once per reference; balances and the ledger read from there and from
//! the sub-accounts.

use std::collections::HashMap;
use std::sync::Arc;

use common::time::now_ms;
use common::{Asset, Balance, LedgerEntry, Market, MAX_AMOUNT};
use redis::aio::ConnectionLike;
use redis::Value;

use super::error::{insufficient, protocol, too_large, FundsError};
use super::ledger::{self, parse_entry, UserKeys, LEDGER_IDS_PER_COUNT};
use crate::config::FundsSettings;
use crate::engine::keys::{BALANCES_CHANNEL, NEXT_ORDER_ID};
use crate::engine::library::{DEPOSIT, FAUCET};
use crate::engine::wire::{decode_account, SubAccount, REPLY_DUP, REPLY_OK, REPLY_REFUSED};
use crate::engine::{Engine, MarketKeys};

/// A ledger entry and whether it was made now (false: the reference had made it before).
pub type Applied = (LedgerEntry, bool);

/// Funds over the engine's connection and library.
#[derive(Clone)]
pub struct Funds<C> {
    pub(super) engine: Engine<C>,
    settings: Arc<FundsSettings>,
}

impl<C: ConnectionLike + Clone + Send + Sync> Funds<C> {
    pub fn new(engine: Engine<C>, settings: FundsSettings) -> Funds<C> {
        Funds { engine, settings: Arc::new(settings) }
    }

    pub fn settings(&self) -> &FundsSettings {
        &self.settings
    }

    /// A listed asset by name.
    pub fn asset(&self, name: &str) -> Option<&Asset> {
        self.engine.markets().asset(name)
    }

    /// The first of `LEDGER_IDS_PER_COUNT` fresh ledger entry ids. They come from the order id counter,
    /// so that wallet entries and trades (whose ids grow with their orders') sort together by time.
    pub(super) async fn next_entry_id(&self) -> Result<u64, FundsError> {
        let n: u64 = redis::cmd("INCR").arg(NEXT_ORDER_ID).query_async(&mut self.engine.conn()).await?;
        Ok(n * LEDGER_IDS_PER_COUNT)
    }

    /// Credits `units` of `asset` to `user_id` once per `reference`, exchange-wide: the reference is
    /// claimed first (with what it credits, in a key of its own), then the wallet is credited, once per
    /// reference (in the user's slot). A retry after a crash between the two finishes the first
    /// request's credit, whatever the retry asks; a reference used before returns its first entry.
    pub async fn deposit(
        &self,
        user_id: u64,
        asset: &Asset,
        units: u64,
        reference: &str,
    ) -> Result<Applied, FundsError> {
        // A credit the balance cannot hold is refused before the reference is claimed: nothing written.
        let own = UserKeys::new(user_id);
        if self.wallet_free(&own, asset).await?.saturating_add(units) > MAX_AMOUNT
            && !self.done_before(&own, 'd', reference).await?
        {
            return Err(too_large());
        }
        let claim = format!("{user_id}|{}|{units}", asset.asset);
        let claimed: Option<String> = redis::cmd("SET")
            .arg(ledger::deposit_claim_key(reference))
            .arg(&claim)
            .arg("NX")
            .arg("GET")
            .query_async(&mut self.engine.conn())
            .await?;
        let (owner, asset, units) = match &claimed {
            None => (user_id, asset.clone(), units),
            Some(first) => {
                let mut parts = first.splitn(3, '|');
                let (Some(owner), Some(name), Some(units)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(protocol("malformed deposit claim"));
                };
                let owner = owner.parse().map_err(|_| protocol("malformed deposit claim"))?;
                let asset = self.asset(name).cloned().ok_or_else(|| protocol("deposit claim of an unlisted asset"))?;
                (owner, asset, units.parse().map_err(|_| protocol("malformed deposit claim"))?)
            }
        };
        let keys = UserKeys::new(owner);
        let id = self.next_entry_id().await?;
        let mut call = DEPOSIT.key(&keys.wallet);
        call.key(&keys.ledger).key(&keys.refs).key(&keys.xfer);
        call.arg(now_ms()).arg(id).arg(&asset.asset).arg(units).arg(reference).arg(self.settings.ledger_kept);
        call.arg("deposit");
        let (entry, created) = self.applied(&self.engine.write(&call).await?)?;
        if created {
            self.announce(owner).await;
        }
        Ok((entry, created && claimed.is_none()))
    }

    /// Credits the demo amount of every asset, at most once per rest period.
    pub async fn faucet(&self, user_id: u64) -> Result<Vec<LedgerEntry>, FundsError> {
        let keys = UserKeys::new(user_id);
        let id = self.next_entry_id().await?;
        let mut call = FAUCET.key(&keys.wallet);
        call.key(&keys.ledger).key(&keys.faucet).key(&keys.xfer);
        call.arg(now_ms()).arg(id).arg(self.settings.faucet_rest.as_millis() as u64).arg(self.settings.ledger_kept);
        let assets = self.engine.markets().assets();
        for asset in assets {
            let units = asset.units_of(self.settings.faucet_amount(&asset.asset)).map_err(|e| FundsError::Refused {
                code: e.code(),
                detail: format!("the faucet's amount of {}: {e}", asset.asset),
            })?;
            call.arg(&asset.asset).arg(units);
        }
        let reply = self.engine.write(&call).await?;
        match reply.first() {
            Some(Value::BulkString(kind)) if kind.as_slice() == REPLY_REFUSED.as_bytes() => {
                Err(self.refusal(&reply[1..]))
            }
            Some(Value::BulkString(kind)) if kind.as_slice() == REPLY_OK.as_bytes() => {
                self.announce(user_id).await;
                reply[1..].iter().map(|v| self.entry_of(v)).collect()
            }
            _ => Err(protocol("faucet reply")),
        }
    }

    /// Tells every instance's private feeds that `user_id`'s wallet changed. Best effort: a lost
    /// announcement only delays the `balance` messages to the user's next change.
    pub(super) async fn announce(&self, user_id: u64) {
        let published: redis::RedisResult<i64> =
            redis::cmd("PUBLISH").arg(BALANCES_CHANNEL).arg(user_id).query_async(&mut self.engine.conn()).await;
        if let Err(e) = published {
            tracing::warn!(error = %e, user_id, "could not announce a wallet change");
        }
    }

    /// The wallet's free units of `asset`. Read before a change that may be refused, so that a refusal
    /// writes nothing, not even an entry id (the script checks again: the read may be stale).
    pub(super) async fn wallet_free(&self, keys: &UserKeys, asset: &Asset) -> Result<u64, FundsError> {
        let text: Option<String> =
            redis::cmd("HGET").arg(&keys.wallet).arg(&asset.asset).query_async(&mut self.engine.conn()).await?;
        text.map_or(Ok(0), |t| t.parse().map_err(|_| protocol("wallet amount")))
    }

    /// Whether a withdrawal ('w') or deposit ('d') of this reference was made before.
    pub(super) async fn done_before(&self, keys: &UserKeys, kind: char, reference: &str) -> Result<bool, FundsError> {
        let field = format!("{kind}:{reference}");
        Ok(redis::cmd("HEXISTS").arg(&keys.refs).arg(field).query_async(&mut self.engine.conn()).await?)
    }

    /// The user's sub-account in `market`, if they have one.
    pub(super) async fn sub_account(&self, user_id: u64, market: &Market) -> Result<Option<SubAccount>, FundsError> {
        let packed: Option<Vec<u8>> = redis::cmd("HGET")
            .arg(MarketKeys::new(&market.symbol).accounts())
            .arg(user_id)
            .query_async(&mut self.engine.conn())
            .await?;
        sub_account_of(packed)
    }

    /// The user's sub-account in `market` and the market's sequence, read in one transaction: the
    /// sub-account as the market's events up to that sequence left it.
    async fn sub_account_at(&self, user_id: u64, market: &Market) -> Result<(Option<SubAccount>, u64), FundsError> {
        let keys = MarketKeys::new(&market.symbol);
        let (packed, seq): (Option<Vec<u8>>, Option<u64>) = redis::pipe()
            .atomic()
            .cmd("HGET")
            .arg(keys.accounts())
            .arg(user_id)
            .cmd("GET")
            .arg(keys.seq())
            .query_async(&mut self.engine.conn())
            .await?;
        Ok((sub_account_of(packed)?, seq.unwrap_or(0)))
    }

    /// Every listed asset's balance, zeros included: the wallet, the sub-accounts in every market, and a
    /// transfer under way between them (counted once, wherever its units are). The parts are read one
    /// after the other, between two reads of the user's transfer state: if a transfer started or
    /// finished meanwhile, they are read again.
    pub async fn balances(&self, user_id: u64) -> Result<Vec<Balance>, FundsError> {
        Ok(self.read_balances(user_id, false).await?.0)
    }

    /// `balances`, and each market's sequence when its part was read (in the order of the list of
    /// markets): the balances show exactly the events of each market up to its sequence (but for a
    /// transfer, which has none).
    pub async fn balances_at(&self, user_id: u64) -> Result<(Vec<Balance>, Vec<u64>), FundsError> {
        self.read_balances(user_id, true).await
    }

    async fn read_balances(&self, user_id: u64, with_seqs: bool) -> Result<(Vec<Balance>, Vec<u64>), FundsError> {
        let keys = UserKeys::new(user_id);
        let mut conn = self.engine.conn();
        let markets = self.engine.markets();
        loop {
            let before: HashMap<String, String> = redis::cmd("HGETALL").arg(&keys.xfer).query_async(&mut conn).await?;
            let wallet: HashMap<String, String> =
                redis::cmd("HGETALL").arg(&keys.wallet).query_async(&mut conn).await?;
            let mut free: HashMap<&str, u128> = HashMap::new();
            let mut locked: HashMap<&str, u128> = HashMap::new();
            for (asset, units) in &wallet {
                let asset = self.asset(asset).ok_or_else(|| protocol("wallet asset"))?;
                *free.entry(&asset.asset).or_default() +=
                    units.parse::<u128>().map_err(|_| protocol("wallet amount"))?;
            }
            let mut accounts = HashMap::new();
            let mut seqs = Vec::new();
            for m in markets.all() {
                let account = if with_seqs {
                    let (account, seq) = self.sub_account_at(user_id, m).await?;
                    seqs.push(seq);
                    account
                } else {
                    self.sub_account(user_id, m).await?
                };
                let Some(a) = account else { continue };
                *free.entry(&m.base).or_default() += a.base_free;
                *locked.entry(&m.base).or_default() += a.base_locked;
                *free.entry(&m.quote).or_default() += a.quote_free;
                *locked.entry(&m.quote).or_default() += a.quote_locked;
                accounts.insert(m.symbol.as_str(), a);
            }
            // A transfer under way: into a market, its units left the wallet and count until the market
            // has them; out of one, what the market let go counts until the wallet has it.
            if let (Some(id), Some(market), Some(asset), Some(direction), Some(units)) = (
                before.get("id").and_then(|i| i.parse::<u64>().ok()),
                before.get("market"),
                before.get("asset"),
                before.get("direction"),
                before.get("units").and_then(|u| u.parse::<u128>().ok()),
            ) {
                let account = accounts.get(market.as_str()).copied().unwrap_or_default();
                let asset = self.asset(asset).ok_or_else(|| protocol("transfer asset"))?;
                let in_flight = match direction.as_str() {
                    "in" if account.last_transfer < id => units,
                    "out" if account.last_transfer == id => account.last_moved,
                    _ => 0,
                };
                *free.entry(&asset.asset).or_default() += in_flight;
            }
            let after: HashMap<String, String> = redis::cmd("HGETALL").arg(&keys.xfer).query_async(&mut conn).await?;
            if after != before {
                continue;
            }
            let balances = markets
                .assets()
                .iter()
                .map(|asset| {
                    let f = free.get(asset.asset.as_str()).copied().unwrap_or(0);
                    let l = locked.get(asset.asset.as_str()).copied().unwrap_or(0);
                    let amount = |u: u128| asset.amount_of(u as i128);
                    Balance { asset: asset.asset.clone(), free: amount(f), locked: amount(l), total: amount(f + l) }
                })
                .collect();
            return Ok((balances, seqs));
        }
    }

    /// The wallet's ledger, newest first: at most `limit` entries (of `asset` only, when given) with ids
    /// below `before` (the whole ledger adds the fills': `history`).
    pub(super) async fn wallet_ledger(
        &self,
        user_id: u64,
        asset: Option<&str>,
        limit: usize,
        before: Option<u64>,
    ) -> Result<Vec<LedgerEntry>, FundsError> {
        let keys = UserKeys::new(user_id);
        let mut out = Vec::new();
        let mut below = before.map_or("+inf".to_string(), |b| format!("({b}"));
        // A chunk at a time: with an asset named, entries of other assets are skipped.
        let chunk = if asset.is_some() { 500 } else { limit };
        loop {
            let page: Vec<String> = redis::cmd("ZREVRANGEBYSCORE")
                .arg(&keys.ledger)
                .arg(&below)
                .arg("-inf")
                .arg("LIMIT")
                .arg(0)
                .arg(chunk)
                .query_async(&mut self.engine.conn())
                .await?;
            for text in &page {
                let entry = parse_entry(text, |name| self.asset(name)).ok_or_else(|| protocol("ledger entry"))?;
                below = format!("({}", entry.id);
                if asset.is_none_or(|a| a == entry.asset) {
                    out.push(entry);
                    if out.len() == limit {
                        return Ok(out);
                    }
                }
            }
            if page.len() < chunk {
                return Ok(out);
            }
        }
    }

    /// A `deposit` or `withdraw` reply: the entry and whether it is new.
    pub(super) fn applied(&self, reply: &[Value]) -> Result<Applied, FundsError> {
        let [Value::BulkString(kind), payload, ..] = reply else { return Err(protocol("funds reply")) };
        match kind.as_slice() {
            k if k == REPLY_OK.as_bytes() => Ok((self.entry_of(payload)?, true)),
            k if k == REPLY_DUP.as_bytes() => Ok((self.entry_of(payload)?, false)),
            k if k == REPLY_REFUSED.as_bytes() => Err(self.refusal(&reply[1..])),
            _ => Err(protocol("funds reply kind")),
        }
    }

    fn entry_of(&self, value: &Value) -> Result<LedgerEntry, FundsError> {
        let Value::BulkString(bytes) = value else { return Err(protocol("ledger entry")) };
        let text = std::str::from_utf8(bytes).map_err(|_| protocol("ledger entry"))?;
        parse_entry(text, |name| self.asset(name)).ok_or_else(|| protocol("ledger entry"))
    }

    fn refusal(&self, payload: &[Value]) -> FundsError {
        let text = |v: Option<&Value>| match v {
            Some(Value::BulkString(b)) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        };
        match text(payload.first()).as_str() {
            "insufficient_funds" => insufficient(),
            "amount_too_large" => too_large(),
            "rate_limited" => FundsError::FaucetResting(text(payload.get(1)).parse().unwrap_or(1000)),
            other => protocol(&format!("funds refusal {other}")),
        }
    }
}

/// A sub-account as the accounts hash holds it (packed), if the user has one.
fn sub_account_of(packed: Option<Vec<u8>>) -> Result<Option<SubAccount>, FundsError> {
    packed.map(|p| decode_account(&p).map_err(|_| protocol("sub-account"))).transpose()
}
