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

/// Reads until the server closes the connection; how long that took (None: not within `within`).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(within.saturating_sub(started.elapsed()), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_at_the_header_read_timeout() {
    let app = spawn_app_with(Deployment::Single, |c| c.http.header_read_timeout = Duration::from_secs(1)).await;
    let mut silent = TcpStream::connect(address(&app)).await.unwrap();
    let took = closed_within(&mut silent, Duration::from_secs(5)).await.expect("closed");
    assert!(took >= Duration::from_millis(900), "closed after {took:?}");
    // So is one left idle after an answer.
    let mut idle = TcpStream::connect(address(&app)).await.unwrap();
    idle.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut answer = [0u8; 12];
    idle.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    assert!(
        closed_within(&mut idle, Duration::from_secs(5)).await.is_some(),
        "an idle keep-alive connection is closed"
    );
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_408_at_the_request_timeout() {
    let app = spawn_app_with(Deployment::Single, |c| c.http.request_timeout = Duration::from_secs(1)).await;
    let mut client = TcpStream::connect(address(&app)).await.unwrap();
    let started = Instant::now();
    client
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"username\"",
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&answer).contains("request_timeout") {
        match tokio::time::timeout(Duration::from_secs(5), client.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
            other => panic!("no 408 within 5 s: {other:?}, {}", String::from_utf8_lossy(&answer)),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() >= Duration::from_millis(900), "after {:?}", started.elapsed());
}

#[tokio::test]
async fn one_address_gets_at_most_its_share_of_connections_unless_exempt() {
    let app = spawn_app_with(Deployment::Single, |c| {
        c.http.max_connections_per_address = 3;
        c.http.exempt = Default::default();
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(address(&app)).await.unwrap());
    }
    let mut extra = TcpStream::connect(address(&app)).await.unwrap();
    assert!(closed_within(&mut extra, Duration::from_secs(2)).await.is_some(), "a fourth is closed at once");
    held.pop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let fresh = || reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let r = fresh().get(app.url("/api/v1/health")).send().await.expect("served once one is closed");
    assert_eq!(r.status(), 200);

    // An exempt address (a load test, a trusted gateway) has no such limit.
    let exempt = spawn_app_with(Deployment::Single, |c| {
        c.http.max_connections_per_address = 3;
        c.http.exempt = backend::config::AddressSet::parse("127.0.0.0/8").unwrap();
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(address(&exempt)).await.unwrap());
    }
    let r = fresh().get(exempt.url("/api/v1/health")).send().await.expect("served");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn the_backend_raises_its_open_files_limit_to_the_hard_limit_at_start() {
    let redis = RedisProcess::start(&[]).unwrap();
    let port = free_port();
    let exe = env!("CARGO_BIN_EXE_backend");
    // Started with a soft limit of 256 open files (each connection takes one).
    let mut child = std::process::Command::new("sh")
        .args(["-c", &format!("ulimit -Sn 256 && exec {exe}")])
        .env("PORT", port.to_string())
        .env("REDIS_URL", redis.url())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let limits = |pid: u32| -> (String, String) {
        let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
        let line = text.lines().find(|l| l.starts_with("Max open files")).unwrap_or_default().to_string();
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(3).unwrap_or(&"").to_string(), fields.get(4).unwrap_or(&"").to_string())
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = (String::new(), String::new());
    while Instant::now() < deadline {
        if reqwest::get(format!("http://127.0.0.1:{port}/api/v1/health")).await.is_ok_and(|r| r.status() == 200) {
            seen = limits(child.id());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let (soft, hard) = seen;
    assert!(!soft.is_empty(), "the backend started");
    assert_eq!(soft, hard, "the soft limit is raised to the hard one (it started at 256)");
}
