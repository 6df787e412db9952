//! An order request checked against its market before Redis is called, so that the scripts only ever see
//! integers on the market's grid.

use common::{AmountError, Asset, Market, NewOrder, OrderType, Side, TimeInForce, MAX_SAFE_INT};

use super::error::{invalid, EngineError};

/// A placement checked against its market: integers on the grid, ready for the script.
#[derive(Clone, Debug)]
pub struct CheckedOrder {
    pub side: Side,
    pub order_type: OrderType,
    pub time_in_force: TimeInForce,
    pub post_only: bool,
    pub price_ticks: u64,
    /// For a market buy by `quote_quantity`, the most lots the market allows (it buys while its budget
    /// lasts).
    pub quantity_lots: u64,
    /// A market buy's budget in units of quote; 0: the order is by quantity.
    pub quote_budget: u64,
    pub client_order_id: String,
    /// A stop order's stop price in ticks; 0: no stop order.
    pub stop_ticks: u64,
}

/// Checks an order against its market (whose quote asset is `quote`): price present for limit (and
/// stop-limit) and absent for market (and stop-market), on the tick, quantity on the lot, both within
/// bounds; a stop price on the tick and within bounds; a budget (`quote_quantity`) whole units of quote.
/// A market order behaves as ioc (or fok when asked).
pub fn check_order(market: &Market, quote: &Asset, req: &NewOrder) -> Result<CheckedOrder, EngineError> {
    let on_grid = |p| market.price_to_ticks(p).map_err(EngineError::from);
    let limit = req.order_type.has_price();
    let price_ticks = match (limit, req.price) {
        (true, None) => return Err(invalid("invalid_price", "a limit order needs a price")),
        (true, Some(p)) => on_grid(p)?,
        (false, Some(_)) => {
            return Err(invalid("invalid_price", "a market order takes no price"));
        }
        (false, None) => 0,
    };
    if !limit && req.post_only {
        return Err(invalid("validation_error", "post_only applies to limit orders only"));
    }
    let stop_ticks = match (req.order_type.is_stop(), req.stop_price) {
        (true, Some(stop)) => on_grid(stop).map_err(|e| match e {
            EngineError::Invalid { code, detail } => invalid(code, format!("stop_price: {detail}")),
            other => other,
        })?,
        (true, None) => return Err(invalid("invalid_price", "a stop order needs a stop_price")),
        (false, Some(_)) => return Err(invalid("validation_error", "stop_price is for stop orders only")),
        (false, None) => 0,
    };
    let (quantity_lots, quote_budget) = match req.quote_quantity {
        None => (market.quantity_to_lots(req.quantity)?, 0),
        Some(budget) => {
            let units = quote.units_of(budget).map_err(|e| match e {
                AmountError::TooLarge => invalid(e.code(), format!("quote_quantity: {e}")),
                _ => invalid("invalid_quantity", format!("quote_quantity: {e}")),
            })?;
            let most = market.quantity_to_lots(market.max_quantity)?;
            (most, units)
        }
    };
    debug_assert!(price_ticks <= MAX_SAFE_INT && quantity_lots <= MAX_SAFE_INT);
    let time_in_force = match (limit, req.time_in_force) {
        (false, TimeInForce::Gtc) => TimeInForce::Ioc,
        (_, tif) => tif,
    };
    Ok(CheckedOrder {
        side: req.side,
        order_type: req.order_type,
        time_in_force,
        post_only: req.post_only,
        price_ticks,
        quantity_lots,
        quote_budget,
        client_order_id: req.client_order_id.as_ref().map(|c| c.as_str().to_string()).unwrap_or_default(),
        stop_ticks,
    })
}
