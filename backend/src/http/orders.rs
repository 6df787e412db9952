//! The caller's orders: create, list, get, change, cancel, cancel all.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Json;
use common::{
    CancelAll, ClientOrderId, Field, NewOrder, Order, OrderChange, OrderChangeRequest, OrderRequest, OrderType, Symbol,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::extract::AuthUser;
use super::json::ApiJson;
use super::query::QueryMap;
use super::state::AppState;
use crate::engine::{Change, CheckedOrder, EngineError, StatusFilter};
use crate::metrics::METRICS;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create, cancel_all))
        .routes(routes!(one, amend, cancel))
        .routes(routes!(by_client_id))
        // The collection without its trailing slash too (the contract takes both; documented once).
        .route("/orders", get(list).post(create).delete(cancel_all))
}

/// Places an order; it matches at once (price-time priority, at the makers' prices).
/// A repeated `client_order_id` returns the first order with 200 and places nothing.
#[utoipa::path(post, path = "/orders/", tag = "orders", security(("bearer" = [])), request_body = NewOrder, responses(
    (status = 201, description = "placed; `trades` lists the fills made on arrival", body = Order),
    (status = 200, description = "the order this client_order_id already names", body = Order),
    (status = 400, description = "bad_request: malformed JSON or content type", body = common::ErrorBody),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
    (status = 404, description = "unknown_symbol", body = common::ErrorBody),
    (status = 409, description = "post_only_would_cross, too_many_open_orders, market_full", body = common::ErrorBody),
    (status = 413, description = "body over 16 KiB", body = common::ErrorBody),
    (status = 422, description = "invalid_quantity, invalid_price, price_not_on_tick, quantity_not_on_lot, validation_error, insufficient_funds", body = common::ErrorBody),
    (status = 429, description = "rate_limited, with Retry-After", body = common::ErrorBody),
    (status = 503, description = "unavailable: Redis unreachable", body = common::ErrorBody),
))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<OrderRequest>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    state.rate_limit.check(user.user_id)?;
    // An unlisted market is the first thing a request is refused for, as it always was.
    if let Field::Given(symbol) = &body.symbol {
        state.listed_symbol(symbol)?;
    }
    let req = NewOrder::try_from(body)?;
    let market = req.symbol.as_str();
    let placed = match state.placer.place(user.user_id, &req).await {
        // Funds follow orders: the user's free funds elsewhere are moved into the market, and the order
        // is sent once more (funds::cover).
        Err(EngineError::Invalid { code: "insufficient_funds", .. }) if cover(&state, user.user_id, &req).await? => {
            state.placer.place(user.user_id, &req).await
        }
        other => other,
    };
    let placed = match placed {
        Ok(placed) => placed,
        Err(e) => {
            if matches!(e, EngineError::Invalid { .. } | EngineError::Conflict { .. }) {
                METRICS.orders.with_label_values(&[market, "refused"]).inc();
            }
            return Err(e.into());
        }
    };
    if placed.created {
        METRICS.orders.with_label_values(&[market, "placed"]).inc();
        let trades = placed.order.trades.as_ref().map_or(0, Vec::len);
        METRICS.trades.with_label_values(&[market]).inc_by(trades as u64);
    }
    let status = if placed.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(placed.order)))
}

/// Moves the caller's free funds into the order's market (see `funds::cover`); whether anything moved.
async fn cover(state: &AppState, user_id: u64, req: &NewOrder) -> Result<bool, ApiError> {
    let (market, order) = state.engine.check(req)?;
    Ok(state.funds.cover(user_id, market, &order).await?)
}

fn order_id(text: &str) -> Result<u64, ApiError> {
    text.parse().map_err(|_| ApiError::NotFound { code: "not_found", detail: "order not found".into() })
}

/// One of the caller's orders; another user's order is 404 too.
#[utoipa::path(get, path = "/orders/{order_id}", tag = "orders", security(("bearer" = [])), params(("order_id" = u64, Path)), responses(
    (status = 200, body = Order),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
    (status = 404, description = "not_found", body = common::ErrorBody),
    (status = 429, description = "rate_limited: the per-user limit on orders and order reads", body = common::ErrorBody),
))]
pub async fn one(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Order>, ApiError> {
    state.rate_limit.check(user.user_id)?;
    Ok(Json(state.engine.order(user.user_id, order_id(&id)?).await?))
}

/// Changes one of the caller's open orders: a new total quantity, a new limit price, or both. A lower
/// quantity keeps the order's place in its queue; a higher one or a new price moves it to the back of its
/// (new) level, and a price that crosses the book matches at once.
#[utoipa::path(patch, path = "/orders/{order_id}", tag = "orders", security(("bearer" = [])), params(("order_id" = u64, Path)), request_body = OrderChange, responses(
    (status = 200, description = "the order as changed; `trades` lists the fills a crossing new price made", body = Order),
    (status = 400, description = "bad_request: malformed JSON or content type", body = common::ErrorBody),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
    (status = 404, description = "not_found (also another user's order)", body = common::ErrorBody),
    (status = 409, description = "order_not_open: filled or cancelled; post_only_would_cross: the order stays as it was", body = common::ErrorBody),
    (status = 422, description = "invalid_quantity (also not above what has filled), invalid_price, price_not_on_tick, quantity_not_on_lot, validation_error (no field), insufficient_funds", body = common::ErrorBody),
    (status = 429, description = "rate_limited, with Retry-After", body = common::ErrorBody),
    (status = 503, description = "unavailable: Redis unreachable", body = common::ErrorBody),
))]
pub async fn amend(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OrderChangeRequest>,
) -> Result<Json<Order>, ApiError> {
    state.rate_limit.check(user.user_id)?;
    let id = order_id(&id)?;
    let change = OrderChange::try_from(body)?;
    let amended = match state.engine.amend(user.user_id, id, &change).await {
        // As for a placement: the user's free funds elsewhere move into the market, and the change is sent
        // once more.
        Err(EngineError::Invalid { code: "insufficient_funds", .. })
            if cover_change(&state, user.user_id, id, &change).await? =>
        {
            state.engine.amend(user.user_id, id, &change).await
        }
        other => other,
    }?;
    Ok(Json(amended.order))
}

/// Moves the caller's free funds into the market of an order to be changed, for what it would lock
/// once changed beyond what it locks now; whether the market then holds enough.
async fn cover_change(state: &AppState, user_id: u64, id: u64, change: &OrderChange) -> Result<bool, ApiError> {
    let order = state.engine.order(user_id, id).await?;
    let market = state.engine.market(&order.symbol)?;
    let new = Change::check(market, change)?;
    let grid = |e: common::GridError| ApiError::from(EngineError::Protocol(e.to_string()));
    // (An order's own quantities are on its market's grid; what has filled may be zero.)
    let lots = |q: common::Dec| if q.is_positive() { market.quantity_to_lots(q).map_err(grid) } else { Ok(0) };
    let Some(price) = order.price else { return Ok(false) };
    let price_ticks = market.price_to_ticks(price).map_err(grid)?;
    let filled = lots(order.filled_quantity)?;
    // The order as it is and as it would be: what each locks (`CheckedOrder` of what is left of it).
    let left = |price_ticks: u64, quantity_lots: u64| CheckedOrder {
        side: order.side,
        order_type: OrderType::Limit,
        time_in_force: order.time_in_force,
        post_only: order.post_only,
        price_ticks,
        quantity_lots: quantity_lots.saturating_sub(filled),
        quote_budget: 0,
        client_order_id: String::new(),
        stop_ticks: 0,
    };
    let now = left(price_ticks, lots(order.quantity)?);
    let then =
        left(new.price_ticks.unwrap_or(price_ticks), new.quantity_lots.map_or_else(|| lots(order.quantity), Ok)?);
    let (asset, locked) = state.funds.spends(market, &now)?;
    let (_, needed) = state.funds.spends(market, &then)?;
    let more = needed.map(|n| n.saturating_sub(locked.unwrap_or(0)));
    Ok(state.funds.cover_need(user_id, market, asset, more).await?)
}

/// The caller's order with this client order id: in the market given, or the newest of all markets.
#[utoipa::path(get, path = "/orders/by-client-id/{client_order_id}", tag = "orders", security(("bearer" = [])), params(
    ("client_order_id" = String, Path),
    ("symbol" = Option<String>, Query, description = "BTC/USD or BTC-USD; all markets when absent"),
), responses(
    (status = 200, body = Order),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
    (status = 404, description = "not_found (also for a malformed id), unknown_symbol", body = common::ErrorBody),
    (status = 429, description = "rate_limited: the per-user limit on orders and order reads", body = common::ErrorBody),
))]
pub async fn by_client_id(
    State(state): State<AppState>,
    user: AuthUser,
    Path(cid): Path<String>,
    q: QueryMap,
) -> Result<Json<Order>, ApiError> {
    state.rate_limit.check(user.user_id)?;
    let symbol = symbol_param(&state, &q)?;
    let not_found = || ApiError::NotFound { code: "not_found", detail: "order not found".into() };
    let cid = ClientOrderId::parse(&cid).map_err(|_| not_found())?;
    Ok(Json(state.engine.order_by_client_id(user.user_id, &cid, symbol.as_ref()).await?))
}

/// Cancels one of the caller's resting orders.
#[utoipa::path(delete, path = "/orders/{order_id}", tag = "orders", security(("bearer" = [])), params(("order_id" = u64, Path)), responses(
    (status = 200, description = "the order, now cancelled", body = Order),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
    (status = 404, description = "not_found", body = common::ErrorBody),
    (status = 409, description = "order_not_open: already filled or cancelled", body = common::ErrorBody),
))]
pub async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Order>, ApiError> {
    state.rate_limit.check(user.user_id)?;
    let (order, _event) = state.engine.cancel(user.user_id, order_id(&id)?).await?;
    METRICS.orders.with_label_values(&[order.symbol.as_str(), "cancelled"]).inc();
    Ok(Json(order))
}

/// `?symbol=` of the collection routes: absent, or a listed market.
pub(super) fn symbol_param(state: &AppState, q: &QueryMap) -> Result<Option<Symbol>, ApiError> {
    q.0.get("symbol").filter(|s| !s.is_empty()).map(|s| state.listed_symbol(s)).transpose()
}

/// The caller's orders, newest first.
#[utoipa::path(get, path = "/orders/", tag = "orders", security(("bearer" = [])), params(
    ("symbol" = Option<String>, Query, description = "BTC/USD or BTC-USD; all markets when absent"),
    ("status" = Option<String>, Query, description = "open, closed or all (default)"),
    ("limit" = Option<u32>, Query, description = "1-1000, default 100"),
    ("before" = Option<u64>, Query, description = "only orders with a smaller id (older): the next page"),
), responses(
    (status = 200, body = Vec<Order>),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
    (status = 404, description = "unknown_symbol", body = common::ErrorBody),
    (status = 422, description = "validation_error", body = common::ErrorBody),
    (status = 429, description = "rate_limited: the per-user limit on orders and order reads", body = common::ErrorBody),
))]
pub async fn list(State(state): State<AppState>, user: AuthUser, q: QueryMap) -> Result<Json<Vec<Order>>, ApiError> {
    state.rate_limit.check(user.user_id)?;
    let symbol = symbol_param(&state, &q)?;
    let filter = match q.0.get("status").map(String::as_str) {
        None | Some("") | Some("all") => StatusFilter::All,
        Some("open") => StatusFilter::Open,
        Some("closed") => StatusFilter::Closed,
        Some(_) => return Err(ApiError::invalid("status must be open, closed or all")),
    };
    let limit = q.bounded("limit", 100, 1000)?;
    let before = q.id("before", "an order id")?;
    Ok(Json(state.engine.orders(user.user_id, symbol.as_ref(), filter, limit, before).await?))
}

/// Cancels all the caller's open orders, of one market when `symbol` is given.
#[utoipa::path(delete, path = "/orders/", tag = "orders", security(("bearer" = [])), params(
    ("symbol" = Option<String>, Query, description = "BTC/USD or BTC-USD; all markets when absent"),
), responses(
    (status = 200, body = CancelAll),
    (status = 401, description = "unauthorized", body = common::ErrorBody),
    (status = 404, description = "unknown_symbol", body = common::ErrorBody),
))]
pub async fn cancel_all(
    State(state): State<AppState>,
    user: AuthUser,
    q: QueryMap,
) -> Result<Json<CancelAll>, ApiError> {
    state.rate_limit.check(user.user_id)?;
    let symbol = symbol_param(&state, &q)?;
    let (cancelled, events) = state.engine.cancel_all(user.user_id, symbol.as_ref()).await?;
    for (symbol, event) in &events {
        METRICS.orders.with_label_values(&[symbol.as_str(), "cancelled"]).inc_by(event.orders.len() as u64);
    }
    Ok(Json(CancelAll { cancelled }))
}
