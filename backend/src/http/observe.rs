//! One log line and the metrics of every request: method, route, status, latency.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::METRICS;

pub async fn observe(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    // Cheap clones (shared bytes): this runs on every request.
    let uri = req.uri().clone();
    // The route pattern, not the path, labels metrics, so that ids do not make new series.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("static", MatchedPath::as_str);
    let response = next.run(req).await;
    let elapsed = started.elapsed();
    let status = response.status();
    METRICS.http_requests.with_label_values(&[route, method.as_str(), status.as_str()]).inc();
    METRICS.http_latency.with_label_values(&[route, method.as_str()]).observe(elapsed.as_secs_f64());
    tracing::info!(%method, path = uri.path(), status = status.as_u16(), latency_ms = elapsed.as_secs_f64() * 1e3, "request");
    response
}
