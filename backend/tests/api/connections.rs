//! Clients that hold connections open: headers trickled byte by byte are cut off at the header read
//! timeout, and connections over the cap are closed at once while the ones within it are served.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

fn address(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off_at_the_header_read_timeout() {
    let app = spawn_app_with(Deployment::Single, |c| c.http.header_read_timeout = Duration::from_secs(1)).await;
    let mut slow = TcpStream::connect(address(&app)).await.unwrap();
    let started = Instant::now();
    slow.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // One byte every 200 ms: always something arriving, never a whole request.
    let closed = async {
        let mut buf = [0u8; 256];
        loop {
            if slow.write_all(b"X").await.is_err() {
                return;
            }
            if let Ok(Ok(0) | Err(_)) = tokio::time::timeout(Duration::from_millis(200), slow.read(&mut buf)).await {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), closed).await.expect("the server closes the connection");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(3), "closed after {took:?}");
    // A client that sends its request in time is served as usual.
    assert_eq!(app.get("/api/v1/health", None).await.status(), 200);
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_and_the_rest_served() {
    let app = spawn_app_with(Deployment::Single, |c| c.http.max_connections = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(address(&app)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let fresh = || reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    assert!(fresh().get(app.url("/api/v1/health")).send().await.is_err(), "a fourth connection is refused");
    held.pop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = fresh().get(app.url("/api/v1/health")).send().await.expect("served once a slot is free");
    assert_eq!(r.status(), 200);
}
