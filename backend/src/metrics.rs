//! Prometheus metrics, served at `/metrics` in the text format: HTTP requests and latency by route and
//! status, orders by market and outcome, trades, WebSocket connections, Redis errors and round-trip time, refusals by limit.

use std::sync::LazyLock;

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_latency: HistogramVec,
    /// Orders by market and outcome: placed, refused, cancelled.
    pub orders: IntCounterVec,
    pub trades: IntCounterVec,
    pub ws_connections: IntGauge,
    pub redis_errors: IntCounterVec,
    pub redis_roundtrip: HistogramVec,
    /// Requests and connections a limit refused, by limit.
    pub limited: IntCounterVec,
}

fn register<T: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: T) -> T {
    registry.register(Box::new(metric.clone())).expect("each metric is registered once");
    metric
}

/// The process's metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    let latency_buckets = vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];
    Metrics {
        http_requests: register(
            &registry,
            IntCounterVec::new(
                Opts::new("http_requests_total", "HTTP requests by route, method and status"),
                &["route", "method", "status"],
            )
            .unwrap(),
        ),
        http_latency: register(
            &registry,
            HistogramVec::new(
                HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by route and method")
                    .buckets(latency_buckets.clone()),
                &["route", "method"],
            )
            .unwrap(),
        ),
        orders: register(
            &registry,
            IntCounterVec::new(
                Opts::new("orders_total", "Orders by market and outcome (placed, refused, cancelled)"),
                &["market", "outcome"],
            )
            .unwrap(),
        ),
        trades: register(
            &registry,
            IntCounterVec::new(Opts::new("trades_total", "Trades by market"), &["market"]).unwrap(),
        ),
        ws_connections: register(
            &registry,
            IntGauge::new("websocket_connections", "Open WebSocket connections").unwrap(),
        ),
        redis_errors: register(
            &registry,
            IntCounterVec::new(Opts::new("redis_errors_total", "Redis calls that failed, by kind"), &["kind"]).unwrap(),
        ),
        redis_roundtrip: register(
            &registry,
            HistogramVec::new(
                HistogramOpts::new("redis_roundtrip_seconds", "Redis round-trip time of health probes")
                    .buckets(latency_buckets),
                &["probe"],
            )
            .unwrap(),
        ),
        limited: register(
            &registry,
            IntCounterVec::new(
                Opts::new("limited_total", "Requests and connections a limit refused, by limit"),
                &["limit"],
            )
            .unwrap(),
        ),
        registry,
    }
});

impl Metrics {
    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("text encoding cannot fail");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}
