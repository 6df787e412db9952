//! The exchange's fee account: what each market's fills have collected, less the maker rebates paid,
//! per asset (the markets' `{S}:fees`, written by the matching script: `lua/settlement.lua`).

use std::collections::HashMap;

use common::FeeAmount;
use redis::aio::ConnectionLike;

use super::error::{protocol, FundsError};
use super::wallet::Funds;
use crate::engine::wire::decode_fees;
use crate::engine::MarketKeys;

impl<C: ConnectionLike + Clone + Send + Sync> Funds<C> {
    /// The fee account of every listed asset, zeros included: fees collected less rebates paid, summed
    /// over the markets (negative when an asset's rebates outweigh its fees).
    pub async fn fees(&self) -> Result<Vec<FeeAmount>, FundsError> {
        let mut net: HashMap<&str, i128> = HashMap::new();
        for market in self.engine.markets().all() {
            let packed: Option<Vec<u8>> = redis::cmd("GET")
                .arg(MarketKeys::new(&market.symbol).fees())
                .query_async(&mut self.engine.conn())
                .await?;
            let Some(packed) = packed else { continue };
            let f = decode_fees(&packed).map_err(|_| protocol("fee account"))?;
            let signed = |collected: u128, rebated: u128| collected as i128 - rebated as i128;
            *net.entry(&market.base).or_default() += signed(f.base_collected, f.base_rebated);
            *net.entry(&market.quote).or_default() += signed(f.quote_collected, f.quote_rebated);
        }
        Ok(self
            .engine
            .markets()
            .assets()
            .iter()
            .map(|asset| FeeAmount {
                asset: asset.asset.clone(),
                amount: asset.amount_of(net.get(asset.asset.as_str()).copied().unwrap_or(0)),
            })
            .collect())
    }
}
