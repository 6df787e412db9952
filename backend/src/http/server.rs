//! The HTTP server loop, hardened against clients that hold connections open. HTTP/1.1 only (a
//! protocol-sniffing first read would wait for the client with no deadline). A client must send a
//! request's headers within `header_read_timeout` of connecting or of its last answer, so a
//! connection that sends nothing, or trickles its headers, is closed; at most `max_connections`
//! connections are open at once, and `max_connections_per_address` of one client address (an address
//! in `exempt` and trusted proxies aside): one more is closed at once instead of queueing. A connection upgraded to a
//! WebSocket leaves these counts for the feeds' own. A shutdown lets the requests in flight finish.
//! Each request carries its peer's address (`ConnectInfo`) for the limits that count by address.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

use super::counted::Counted;
use crate::config::HttpLimits;

/// Serves `router` on `listener` until `shutdown` completes, then waits (up to 10 s) for the requests
/// in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let per_address = Counted::new(limits.max_connections_per_address);
    // Exempt addresses, and trusted proxies (which carry many clients' connections), are not counted.
    let uncounted = |ip| limits.exempt.contains(ip) || limits.trusted_proxies.contains(ip);
    // Told to every connection at shutdown: finish the request in flight, take no more.
    let (stopping, stop) = watch::channel(false);
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(limit = limits.max_connections, "connection limit reached; closing a new connection");
            crate::metrics::METRICS.limited.with_label_values(&["connections"]).inc();
            continue;
        };
        let address_slot = match uncounted(peer.ip()) {
            true => None,
            false => match per_address.acquire(peer.ip()) {
                Some(counted) => Some(counted),
                None => {
                    tracing::warn!(
                        address = %peer.ip(),
                        limit = limits.max_connections_per_address,
                        "connection limit of one address reached; closing a new connection"
                    );
                    crate::metrics::METRICS.limited.with_label_values(&["connections_per_address"]).inc();
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone().map_request(move |req: Request<Incoming>| {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            req
        }));
        let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop((slot, address_slot));
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a slot until it ends: all the slots back means nothing is in flight.
    let all = slots.acquire_many(u32::try_from(limits.max_connections).unwrap_or(u32::MAX));
    if tokio::time::timeout(Duration::from_secs(10), all).await.is_err() {
        tracing::warn!("requests still in flight after 10 s; stopping anyway");
    }
    Ok(())
}
