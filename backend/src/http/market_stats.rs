//! Public market data made from the trades: candles, 24 h tickers, and the server's time.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use common::time::{format_millis, now_ms};
use common::{Candle, CandleInterval, ServerTime, Ticker};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::engine::candles::END_OF_TIME;

use super::client_address::ClientAddress;
use super::error::ApiError;
use super::query::QueryMap;
use super::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(candles)).routes(routes!(ticker)).routes(routes!(tickers)).routes(routes!(time))
}

/// The market's candles, oldest first. Without `start`, the newest `limit` (before `end`); with it, the
/// first `limit` from `start`. An interval without trades has no candle; the newest may still be open.
#[utoipa::path(get, path = "/markets/{symbol}/candles", tag = "market data", params(
    ("symbol" = String, Path, description = "BTC%2FUSD or BTC-USD"),
    ("interval" = String, Query, description = "1m, 5m, 15m, 1h, 4h or 1d (buckets aligned to UTC)"),
    ("start" = Option<String>, Query, description = "open times from this one (inclusive): RFC 3339 or epoch ms"),
    ("end" = Option<String>, Query, description = "open times before this one (exclusive): RFC 3339 or epoch ms"),
    ("limit" = Option<u32>, Query, description = "1-1000, default 500"),
), responses(
    (status = 200, body = Vec<Candle>),
    (status = 404, description = "unknown_symbol", body = common::ErrorBody),
    (status = 422, description = "validation_error", body = common::ErrorBody),
    (status = 429, description = "rate_limited: too many public reads from this address", body = common::ErrorBody),
))]
pub async fn candles(
    State(state): State<AppState>,
    Path(text): Path<String>,
    client: ClientAddress,
    q: QueryMap,
) -> Result<Response, ApiError> {
    let symbol = state.listed_symbol(&text)?;
    let interval = match q.0.get("interval") {
        None => return Err(ApiError::invalid("interval is required: one of 1m, 5m, 15m, 1h, 4h, 1d")),
        Some(v) => CandleInterval::parse(v)
            .ok_or_else(|| ApiError::invalid("interval must be one of 1m, 5m, 15m, 1h, 4h, 1d"))?,
    };
    let (start, end) = (q.time("start")?, q.time("end")?);
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            return Err(ApiError::invalid("end must be after start"));
        }
    }
    let limit = q.bounded("limit", 500, 1000)?;
    client.take(&state.limits.public_reads)?;
    let range = (start.unwrap_or(0), end.unwrap_or(END_OF_TIME));
    let body = state.market_data.candles_json(&symbol, interval, range, limit, start.is_none()).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The market's last 24 hours (rolling, from one-minute buckets) and its best prices now.
#[utoipa::path(get, path = "/markets/{symbol}/ticker", tag = "market data", params(
    ("symbol" = String, Path, description = "BTC%2FUSD or BTC-USD"),
), responses(
    (status = 200, body = Ticker),
    (status = 404, description = "unknown_symbol", body = common::ErrorBody),
    (status = 429, description = "rate_limited: too many public reads from this address", body = common::ErrorBody),
))]
pub async fn ticker(
    State(state): State<AppState>,
    Path(text): Path<String>,
    client: ClientAddress,
) -> Result<Json<Ticker>, ApiError> {
    let symbol = state.listed_symbol(&text)?;
    client.take(&state.limits.public_reads)?;
    Ok(Json(state.market_data.ticker(&symbol).await?))
}

/// Every market's ticker, in the order of `GET /markets`.
#[utoipa::path(get, path = "/tickers", tag = "market data", responses(
    (status = 200, body = Vec<Ticker>),
    (status = 429, description = "rate_limited: too many public reads from this address", body = common::ErrorBody),
))]
pub async fn tickers(State(state): State<AppState>, client: ClientAddress) -> Result<Json<Vec<Ticker>>, ApiError> {
    client.take(&state.limits.public_reads)?;
    let symbols: Vec<_> = state.engine.markets().all().iter().map(|m| m.symbol.clone()).collect();
    let all = futures_util::future::try_join_all(symbols.iter().map(|s| state.market_data.ticker(s))).await?;
    Ok(Json(all))
}

/// The server's clock.
#[utoipa::path(get, path = "/time", tag = "market data", responses((status = 200, body = ServerTime)))]
pub async fn time() -> Json<ServerTime> {
    let epoch_ms = now_ms();
    Json(ServerTime { server_time: format_millis(epoch_ms), epoch_ms })
}
