//! The OpenAPI document: its frame here (title, the bearer scheme); its paths come from the handlers'
//! annotations as the routes register them (`router.rs`), so a route and its documentation are one
//! entry. Served at `/api/v1/openapi.json`, and rendered for people at `/api/v1/docs`.

use axum::body::Bytes;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Extension, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Exchange API", version = "1", description = "Limit order book matched atomically in Redis. The reference: docs/api.md."),
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
        // The admin endpoints take the configured ADMIN_TOKEN as their bearer token.
        components.add_security_scheme(
            "admin",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("ADMIN_TOKEN")).build(),
            ),
        );
    }
}

/// The API reference page: the document rendered for people.
pub const DOCS_PAGE: &str = include_str!("docs.html");

/// The document as built with the routes, as JSON.
#[derive(Clone)]
pub struct Document(pub Bytes);

impl Document {
    pub fn new(doc: &utoipa::openapi::OpenApi) -> Document {
        Document(Bytes::from(serde_json::to_vec(doc).expect("the OpenAPI document serialises")))
    }
}

/// `/openapi.json` and `/docs`, under the API's base path; the document comes as an `Extension`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/openapi.json",
            get(|Extension(doc): Extension<Document>| async move {
                ([(header::CONTENT_TYPE, "application/json")], doc.0).into_response()
            }),
        )
        .route("/docs", get(|| async { Html(DOCS_PAGE) }))
}
