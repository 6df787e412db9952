//! Funds follow orders (docs/funds.md, "Placing"): a user's money waits in the wallet until an order
//! needs it in a market. The matching script is the judge of whether an order is covered (it checks
//! the sub-account, atomically with matching); when it refuses one for want of funds, `cover` moves
//! the user's free funds of what the order spends into its market, and the order is sent once more.

use common::{Asset, Market, OrderType, Side};
use redis::aio::ConnectionLike;

use super::error::{protocol, FundsError};
use super::ledger::UserKeys;
use super::transfers::{Direction, Units};
use super::wallet::Funds;
use crate::engine::CheckedOrder;

impl<C: ConnectionLike + Clone + Send + Sync> Funds<C> {
    /// Moves the user's free funds of the asset `order` spends into its market: the wallet's whole free
    /// amount, after bringing back from the user's other markets what the market and the wallet together
    /// still lack (a market buy by quantity, whose cost the book decides: all of it). Returns whether the
    /// market now holds what the order needs, that is whether placing it again may succeed. (Several
    /// orders of a user may be refused at once and cover at once: transfers go one at a time per user,
    /// and one under way is finished first, so each sees what the others moved.)
    pub async fn cover(&self, user_id: u64, market: &Market, order: &CheckedOrder) -> Result<bool, FundsError> {
        let (asset, need) = self.spends(market, order)?;
        self.cover_need(user_id, market, asset, need).await
    }

    /// What `order` takes from its owner's free funds in `market`: the asset's name, and how many units
    /// (None: a market buy by quantity, whose cost the book decides).
    pub fn spends<'m>(&self, market: &'m Market, order: &CheckedOrder) -> Result<(&'m str, Option<u128>), FundsError> {
        let units = self.engine.markets().units(&market.symbol).ok_or_else(|| protocol("market units"))?;
        Ok(match order.side {
            Side::Buy if order.quote_budget > 0 => (&market.quote, Some(u128::from(order.quote_budget))),
            Side::Buy if order.order_type.when_triggered() == OrderType::Market => (&market.quote, None),
            Side::Buy => (
                &market.quote,
                Some(
                    u128::from(order.price_ticks)
                        * u128::from(order.quantity_lots)
                        * u128::from(units.quote_per_notional),
                ),
            ),
            Side::Sell => (&market.base, Some(u128::from(order.quantity_lots) * u128::from(units.base_per_lot))),
        })
    }

    /// `cover` for `need` units of `asset` (its name) more than the market holds free.
    pub async fn cover_need(
        &self,
        user_id: u64,
        market: &Market,
        asset: &str,
        need: Option<u128>,
    ) -> Result<bool, FundsError> {
        self.finish_pending(user_id).await?;
        let asset = self.asset(asset).ok_or_else(|| protocol("market asset"))?.clone();
        let keys = UserKeys::new(user_id);
        let here = self.free_in(user_id, market, &asset).await?;
        let in_wallet = u128::from(self.wallet_free(&keys, &asset).await?);
        let mut short = need.map(|n| n.saturating_sub(here + in_wallet));
        if short != Some(0) {
            for other in self.engine.markets().all() {
                if other.symbol == market.symbol || (other.base != asset.asset && other.quote != asset.asset) {
                    continue;
                }
                let there = self.free_in(user_id, other, &asset).await?;
                let take = short.map_or(there, |s| s.min(there));
                if take == 0 {
                    continue;
                }
                let take = u64::try_from(take).map_err(|_| protocol("an amount past 2^64"))?;
                let moved = self.transfer(user_id, other, &asset, Direction::Out, Units::Exactly(take)).await?;
                short = short.map(|s| s.saturating_sub(u128::from(moved)));
                if short == Some(0) {
                    break;
                }
            }
        }
        if self.wallet_free(&keys, &asset).await? > 0 {
            match self.transfer(user_id, market, &asset, Direction::In, Units::All).await {
                // (Another order's cover moved the wallet's funds first.)
                Ok(_) | Err(FundsError::Refused { code: "insufficient_funds", .. }) => {}
                Err(e) => return Err(e),
            }
        }
        // (Another order's transfer may be under way, its funds out of the wallet and not yet here.)
        self.finish_pending(user_id).await?;
        let here = self.free_in(user_id, market, &asset).await?;
        Ok(need.map_or(here > 0, |n| here >= n))
    }

    /// The user's free units of `asset` in their sub-account in `market`.
    async fn free_in(&self, user_id: u64, market: &Market, asset: &Asset) -> Result<u128, FundsError> {
        let account = self.sub_account(user_id, market).await?.unwrap_or_default();
        Ok(if asset.asset == market.base { account.base_free } else { account.quote_free })
    }
}
