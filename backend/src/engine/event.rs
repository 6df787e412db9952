//! The scripts' orders, trades and events (see `wire`) as the contract's types, with the market's tick
//! and lot size.

use super::wire::{Event, RawFill, RawOrder, RawTrade};
use common::{
    time::format_millis, Asset, BookUpdate, Dec, Fill, Liquidity, Market, Order, PublicOrderUpdate, Side, Trade,
};

impl RawOrder {
    /// The contract's Order object.
    pub fn to_order(&self, market: &Market) -> Order {
        let filled = self.filled_lots();
        Order {
            id: self.id(),
            client_order_id: self.client_order_id().map(str::to_string),
            symbol: market.symbol.clone(),
            side: self.side(),
            order_type: self.order_type(),
            time_in_force: self.time_in_force(),
            post_only: self.post_only(),
            price: self.order_type().has_price().then(|| market.ticks_to_price(self.price_ticks())),
            quantity: market.lots_to_quantity(self.quantity_lots()),
            filled_quantity: market.lots_to_quantity(filled),
            remaining_quantity: market.lots_to_quantity(self.quantity_lots() - filled),
            average_price: market.average_price(self.notional(), filled),
            status: self.status(),
            created_at: format_millis(self.created_ms()),
            updated_at: format_millis(self.updated_ms()),
            stop_price: self.stop_ticks().map(|t| market.ticks_to_price(t)),
            trades: None,
        }
    }

    /// The public feed's view: no user identity.
    pub fn to_public_update(&self, market: &Market, sequence: u64) -> PublicOrderUpdate {
        PublicOrderUpdate {
            order_id: self.id(),
            symbol: market.symbol.clone(),
            side: self.side(),
            status: self.status(),
            quantity: market.lots_to_quantity(self.quantity_lots()),
            filled_quantity: market.lots_to_quantity(self.filled_lots()),
            price: self.order_type().has_price().then(|| market.ticks_to_price(self.price_ticks())),
            sequence,
            timestamp: format_millis(self.updated_ms()),
        }
    }
}

impl RawTrade {
    pub fn to_trade(&self, market: &Market, taker_side: Side, sequence: u64, ts_ms: u64) -> Trade {
        Trade {
            id: self.id,
            symbol: market.symbol.clone(),
            price: market.ticks_to_price(self.price),
            quantity: market.lots_to_quantity(self.qty),
            taker_side,
            maker_order_id: self.maker_order_id,
            taker_order_id: self.taker_order_id,
            sequence,
            timestamp: format_millis(ts_ms),
        }
    }
}

/// One party's part in a fill.
pub struct Part {
    pub side: Side,
    /// The party's order in the trade.
    pub order_id: u64,
    /// Its fee in units of the asset it received (a buyer's base, a seller's quote); negative: a rebate.
    pub fee: i128,
    pub liquidity: Liquidity,
}

impl RawFill {
    /// User `user_id`'s part in the fill, which it was a party of.
    pub fn part_of(&self, user_id: u64) -> Part {
        let t = &self.trade;
        if user_id == t.taker_user_id {
            Part {
                side: self.taker_side,
                order_id: t.taker_order_id,
                fee: t.taker_fee as i128,
                liquidity: Liquidity::Taker,
            }
        } else {
            Part {
                side: self.taker_side.opposite(),
                order_id: t.maker_order_id,
                fee: t.maker_fee,
                liquidity: Liquidity::Maker,
            }
        }
    }

    /// The fill as user `user_id`, a party of the trade, sees it (`base` and `quote`: the market's
    /// assets; `client_order_id`: that of the user's order in it).
    pub fn to_fill(
        &self,
        market: &Market,
        (base, quote): (&Asset, &Asset),
        user_id: u64,
        client_order_id: Option<String>,
    ) -> Fill {
        let t = &self.trade;
        let Part { side, order_id, fee, liquidity } = self.part_of(user_id);
        // A party's fee is in what it receives: a buyer's in base, a seller's in quote.
        let fee_asset = if side == Side::Buy { base } else { quote };
        Fill {
            trade_id: t.id,
            order_id,
            client_order_id,
            symbol: market.symbol.clone(),
            side,
            price: market.ticks_to_price(t.price),
            quantity: market.lots_to_quantity(t.qty),
            fee: fee_asset.amount_of(fee),
            fee_asset: fee_asset.asset.clone(),
            liquidity,
            sequence: self.seq,
            timestamp: format_millis(self.ts),
        }
    }
}

impl Event {
    /// The side of the taker of trade `t`: the incoming order's, which a placement's event holds.
    fn taker_side(&self, t: &RawTrade) -> Side {
        self.orders.iter().find(|o| o.id() == t.taker_order_id).map(RawOrder::side).unwrap_or(Side::Buy)
    }

    /// The trades as the contract writes them. In a placement every trade has the incoming order as taker.
    pub fn trades(&self, market: &Market) -> Vec<Trade> {
        self.trades.iter().map(|t| t.to_trade(market, self.taker_side(t), self.seq, self.ts)).collect()
    }

    /// The trades as their parties keep them.
    pub fn fills(&self) -> Vec<RawFill> {
        let fill =
            |t: &RawTrade| RawFill { taker_side: self.taker_side(t), seq: self.seq, ts: self.ts, trade: t.clone() };
        self.trades.iter().map(fill).collect()
    }

    /// The orders the public feed shows: all but stops that have never been on the book or traded (a
    /// pending stop, one cancelled before it triggered, and one placed by its trigger that neither
    /// rested nor traded), which no book shows.
    pub fn public_orders(&self) -> impl Iterator<Item = &RawOrder> {
        self.orders.iter().filter(|o| {
            o.stop_ticks().is_none()
                || (o.stop_triggered()
                    && (o.filled_lots() > 0
                        || self
                            .levels
                            .iter()
                            .any(|l| (l.0, l.1) == (u8::from(o.side() == Side::Sell), o.price_ticks()))))
        })
    }

    /// The client order id of an order the event holds.
    pub fn client_order_id(&self, order_id: u64) -> Option<String> {
        self.orders.iter().find(|o| o.id() == order_id).and_then(|o| o.client_order_id().map(str::to_string))
    }

    /// The level changes as a `book_update`, or None when the book did not change.
    pub fn book_update(&self, market: &Market) -> Option<BookUpdate> {
        if !self.book_changed {
            return None;
        }
        // A level may change several times in one command; the last total is its new one.
        let side = |s: u8| -> Vec<(Dec, Dec)> {
            let mut out: Vec<(u64, u64)> = Vec::new();
            for l in self.levels.iter().filter(|l| l.0 == s) {
                match out.iter_mut().find(|(p, _)| *p == l.1) {
                    Some(entry) => entry.1 = l.2,
                    None => out.push((l.1, l.2)),
                }
            }
            out.into_iter().map(|(p, q)| (market.ticks_to_price(p), market.lots_to_quantity(q))).collect()
        };
        Some(BookUpdate {
            symbol: market.symbol.clone(),
            sequence: self.seq,
            bids: side(0),
            asks: side(1),
            timestamp: format_millis(self.ts),
        })
    }
}
