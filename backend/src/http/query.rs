//! `QueryMap`: the query string as a map, with a malformed one refused in the contract's shape (400).

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

use common::time::parse_time;

use super::error::ApiError;

pub struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map(|Query(map)| QueryMap(map))
            .map_err(|_| ApiError::BadRequest("malformed query string".into()))
    }
}

impl QueryMap {
    /// A whole-number parameter within `1..=max`, or `default` when absent.
    pub fn bounded(&self, name: &str, default: u32, max: u32) -> Result<u32, ApiError> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| ApiError::invalid(format!("{name} must be a whole number between 1 and {max}"))),
        }
    }

    /// An optional id parameter (`before=`, `order_id=`): absent or empty is None; anything but a whole
    /// number is 422, saying it must be `what`.
    pub fn id(&self, name: &str, what: &str) -> Result<Option<u64>, ApiError> {
        match self.0.get(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse::<u64>().map(Some).map_err(|_| ApiError::invalid(format!("{name} must be {what}"))),
        }
    }

    /// An optional time parameter (`start=`, `end=`): RFC 3339 with any offset or epoch milliseconds;
    /// absent or empty is None.
    pub fn time(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.0.get(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => parse_time(v).map(Some).ok_or_else(|| {
                ApiError::invalid(format!(
                    "{name} must be an RFC 3339 time (2026-12-06T21:00:00Z) or epoch milliseconds"
                ))
            }),
        }
    }
}
