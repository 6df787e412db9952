//! The OpenAPI document, generated from the handlers' annotations and the contract's types, served at
//! `/api/v1/openapi.json`, and a page that renders it for people at `/api/v1/docs`.

use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::state::AppState;
use super::{accounts, market_data, orders};

#[derive(OpenApi)]
#[openapi(
    info(title = "Exchange API", version = "1", description = "Limit order book matched atomically in Redis. The contract: shared/API.md."),
    paths(
        accounts::register, accounts::login, accounts::logout,
        orders::create, orders::list, orders::one, orders::cancel, orders::cancel_all,
        market_data::markets, market_data::book, market_data::trades, market_data::health,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .route("/api/v1/docs", get(|| async { Html(include_str!("docs.html")) }))
}
