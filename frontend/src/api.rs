//! The backend's REST API as typed calls, with the contract's error body as a typed error.

use common::{
    Balance, CancelAll, Credentials, ErrorBody, Fill, LedgerEntry, LoggedIn, NewOrder, Order, OrderChange, Registered,
};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;

/// A failed call: the contract's error, or a network failure.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub detail: String,
}

impl ApiError {
    fn network(e: impl std::fmt::Display) -> ApiError {
        ApiError { status: 0, code: "network".into(), detail: format!("the exchange cannot be reached: {e}") }
    }
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    if (200..300).contains(&status) {
        return response.json::<T>().await.map_err(ApiError::network);
    }
    match response.json::<ErrorBody>().await {
        Ok(e) => Err(ApiError { status, code: e.code, detail: e.detail }),
        Err(_) => Err(ApiError { status, code: "error".into(), detail: format!("the exchange answered {status}") }),
    }
}

fn authed(builder: RequestBuilder, token: &str) -> RequestBuilder {
    builder.header("Authorization", &format!("Bearer {token}"))
}

fn credentials(username: &str, password: &str) -> Credentials {
    Credentials { username: username.to_string(), password: password.to_string() }
}

pub async fn register(username: &str, password: &str) -> Result<Registered, ApiError> {
    let body = credentials(username, password);
    let request = Request::post("/api/v1/auth/register").json(&body).map_err(ApiError::network)?;
    read(request.send().await.map_err(ApiError::network)?).await
}

/// Logs in; returns the bearer token.
pub async fn login(username: &str, password: &str) -> Result<String, ApiError> {
    let body = credentials(username, password);
    let request = Request::post("/api/v1/auth/login").json(&body).map_err(ApiError::network)?;
    let answer: LoggedIn = read(request.send().await.map_err(ApiError::network)?).await?;
    Ok(answer.access_token)
}

/// The session a login left in this browser (its HttpOnly cookie, which scripts cannot read), if it is
/// still on: the user's name and bearer token.
pub async fn resume() -> Option<common::Resumed> {
    let response = Request::post("/api/v1/auth/session").send().await.ok()?;
    if !response.ok() {
        return None;
    }
    response.json().await.ok()
}

pub async fn logout(token: &str) {
    let _ = authed(Request::post("/api/v1/auth/logout"), token).send().await;
}

/// Places an order.
pub async fn place(token: &str, order: &NewOrder) -> Result<Order, ApiError> {
    let request = authed(Request::post("/api/v1/orders/"), token).json(order).map_err(ApiError::network)?;
    read(request.send().await.map_err(ApiError::network)?).await
}

/// A page's place in a list read newest first: after the item with this id, or from the newest.
fn page(before: Option<u64>) -> String {
    before.map(|id| format!("&before={id}")).unwrap_or_default()
}

/// The caller's orders (`status` open, closed or all), a page of `limit`, older than `before`.
pub async fn my_orders(token: &str, status: &str, limit: usize, before: Option<u64>) -> Result<Vec<Order>, ApiError> {
    let url = format!("/api/v1/orders/?status={status}&limit={limit}{}", page(before));
    read(authed(Request::get(&url), token).send().await.map_err(ApiError::network)?).await
}

/// One of the caller's orders.
pub async fn order(token: &str, id: u64) -> Result<Order, ApiError> {
    let url = format!("/api/v1/orders/{id}");
    read(authed(Request::get(&url), token).send().await.map_err(ApiError::network)?).await
}

/// Changes one of the caller's open orders: its quantity, its price or both.
pub async fn amend(token: &str, id: u64, change: &OrderChange) -> Result<Order, ApiError> {
    let url = format!("/api/v1/orders/{id}");
    let request = authed(Request::patch(&url), token).json(change).map_err(ApiError::network)?;
    read(request.send().await.map_err(ApiError::network)?).await
}

pub async fn cancel(token: &str, id: u64) -> Result<Order, ApiError> {
    let url = format!("/api/v1/orders/{id}");
    read(authed(Request::delete(&url), token).send().await.map_err(ApiError::network)?).await
}

pub async fn cancel_all(token: &str) -> Result<CancelAll, ApiError> {
    read(authed(Request::delete("/api/v1/orders/"), token).send().await.map_err(ApiError::network)?).await
}

/// The caller's fills, newest first: a page of `limit`, older than the trade `before`.
pub async fn my_fills(token: &str, limit: usize, before: Option<u64>) -> Result<Vec<Fill>, ApiError> {
    let url = format!("/api/v1/account/fills?limit={limit}{}", page(before));
    read(authed(Request::get(&url), token).send().await.map_err(ApiError::network)?).await
}

/// The caller's balance of every asset.
pub async fn balances(token: &str) -> Result<Vec<Balance>, ApiError> {
    read(authed(Request::get("/api/v1/account/balances"), token).send().await.map_err(ApiError::network)?).await
}

/// The caller's ledger (deposits, withdrawals, trades and fees), newest first: a page of `limit`,
/// older than the entry `before`.
pub async fn ledger(token: &str, limit: usize, before: Option<u64>) -> Result<Vec<LedgerEntry>, ApiError> {
    let url = format!("/api/v1/account/ledger?limit={limit}{}", page(before));
    read(authed(Request::get(&url), token).send().await.map_err(ApiError::network)?).await
}

/// Takes the demo faucet's test funds (404 when the exchange has no faucet).
pub async fn faucet(token: &str) -> Result<Vec<LedgerEntry>, ApiError> {
    read(authed(Request::post("/api/v1/account/faucet"), token).send().await.map_err(ApiError::network)?).await
}
