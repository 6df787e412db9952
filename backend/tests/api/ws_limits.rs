//! Limits of the WebSocket feeds: a private socket lasts no longer than its session (logout on any
//! instance, expiry, replacement past the session cap), separate pools for the two feeds, caps per
//! client address and per user, and silent connections pinged and then closed.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

/// Reads until the server closes the socket; the close reason, and how long it took (None: still open
/// after `within`).
async fn closed_within(ws: &mut Socket, within: Duration) -> Option<(String, Duration)> {
    let started = Instant::now();
    loop {
        match tokio::time::timeout(within.saturating_sub(started.elapsed()), ws.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => {
                return Some((frame.map(|f| f.reason.to_string()).unwrap_or_default(), started.elapsed()))
            }
            Ok(None | Some(Err(_))) => return Some((String::new(), started.elapsed())),
            Ok(Some(Ok(_))) => continue,
            Err(_) => return None,
        }
    }
}

async fn logout(app: &TestApp, token: &str) {
    let r = app.client.post(app.url("/api/v1/auth/logout")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 204);
}

on_every_deployment! {
    async fn a_logout_on_any_instance_closes_the_sessions_private_sockets_within_a_second(d) {
        let a = spawn_app(d).await;
        let b = a.peer().await;
        let token = a.user("alice").await;
        let other = a.user("bob").await;
        let mut here = private_feed(&a, &token).await;
        let mut there = private_feed(&b, &token).await;
        let mut bobs = private_feed(&b, &other).await;
        logout(&a, &token).await;
        for ws in [&mut here, &mut there] {
            let (reason, took) = closed_within(ws, Duration::from_secs(2)).await.expect("closed");
            assert!(reason.contains("session ended"), "{reason}");
            assert!(took < Duration::from_secs(1), "{took:?}");
        }
        assert!(closed_within(&mut bobs, Duration::from_millis(300)).await.is_none(), "another session's stays");
    }
}

#[tokio::test]
async fn a_session_that_expires_or_is_replaced_closes_its_sockets() {
    let app = spawn_app_with(Deployment::Single, |c| {
        c.auth.token_ttl_secs = 2;
        c.auth.max_sessions_per_user = 1;
    })
    .await;
    let first = app.user("alice").await;
    let mut ws = private_feed(&app, &first).await;
    // A second login replaces the first session (one allowed): its socket goes at once.
    let creds = common::Credentials { username: "alice".into(), password: "password-of-alice".into() };
    let second = app.post_json("/api/v1/auth/login", None, &creds).await.json::<serde_json::Value>().await.unwrap();
    let (reason, _) = closed_within(&mut ws, Duration::from_secs(1)).await.expect("the replaced session's socket");
    assert!(reason.contains("session ended"), "{reason}");
    // The second session's socket goes when it expires, 2 s after login.
    let mut ws = private_feed(&app, second["access_token"].as_str().unwrap()).await;
    let (_, took) = closed_within(&mut ws, Duration::from_secs(4)).await.expect("closed at expiry");
    assert!(took <= Duration::from_millis(3000), "{took:?}");
}

#[tokio::test]
async fn the_feeds_have_separate_pools_and_caps_per_address_and_per_user() {
    let app = spawn_app_with(Deployment::Single, |c| {
        c.http.exempt = Default::default();
        c.ws.max_connections = 2;
        c.ws.max_per_address = 4;
        c.ws.max_private_per_user = 1;
    })
    .await;
    let book = app.ws_url("/api/v1/ws/orderbook/BTC-USD");
    let _public: Vec<Socket> = vec![connect(&book).await, connect(&book).await];
    let refused = tokio_tungstenite::connect_async(&book).await.expect_err("the public pool is full");
    assert!(refused.to_string().contains("503"), "{refused}");
    // The private feed has a pool of its own.
    let token = app.user("alice").await;
    let _mine = private_feed(&app, &token).await;
    // One private socket per user here: a second is told why and closed.
    let mut second = connect(&app.ws_url("/api/v1/ws/user")).await;
    say(&mut second, serde_json::json!({"type": "auth", "token": token})).await;
    let error = next_of(&mut second, "error").await;
    assert!(error["data"]["message"].as_str().unwrap().contains("private connections"), "{error}");
    assert!(closed_within(&mut second, Duration::from_secs(2)).await.is_some());
    // Four per address, both feeds together: the fifth upgrade is refused with 429.
    let bob = app.user("bob").await;
    let _bobs = private_feed(&app, &bob).await;
    let refused = tokio_tungstenite::connect_async(app.ws_url("/api/v1/ws/user")).await.expect_err("over the cap");
    assert!(refused.to_string().contains("429"), "{refused}");
}

#[tokio::test]
async fn a_silent_connection_is_pinged_then_closed() {
    let app = spawn_app_with(Deployment::Single, |c| c.ws.ping_interval = Duration::from_millis(300)).await;
    let book = app.ws_url("/api/v1/ws/orderbook/BTC-USD");
    // A client that reads (and so answers pings) stays.
    let mut live = connect(&book).await;
    let kept = async {
        let started = Instant::now();
        let mut pings = 0;
        while started.elapsed() < Duration::from_millis(1500) {
            if let Ok(Some(Ok(Message::Ping(_)))) = tokio::time::timeout(Duration::from_millis(100), live.next()).await
            {
                pings += 1;
            }
        }
        pings
    };
    // One that never reads (a half-open connection, as the server sees it) is closed after three
    // intervals of silence.
    let mut silent = connect(&book).await;
    let pings = kept.await;
    assert!(pings >= 2, "pinged while silent: {pings}");
    // (Its close frame may not be read: answering the pings queued before it fails on a closed socket.)
    let (reason, _) = closed_within(&mut silent, Duration::from_millis(100)).await.expect("the silent one was closed");
    assert!(reason.is_empty() || reason.contains("no answer to pings"), "{reason}");
    assert!(closed_within(&mut live, Duration::from_millis(200)).await.is_none(), "the live one stays");
}

#[tokio::test]
async fn a_private_socket_that_never_authenticates_is_closed_after_ten_seconds_and_frees_its_slot() {
    let app = spawn_app_with(Deployment::Single, |c| {
        c.http.exempt = Default::default();
        c.ws.max_per_address = 1;
    })
    .await;
    let user = app.ws_url("/api/v1/ws/user");
    let mut silent = connect(&user).await;
    let (reason, after) = closed_within(&mut silent, Duration::from_secs(15)).await.expect("closed");
    assert_eq!(reason, "authentication timed out");
    assert!(after >= Duration::from_secs(9) && after <= Duration::from_secs(12), "closed after {after:?}");
    // The address's only slot is free again.
    tokio::time::sleep(Duration::from_millis(100)).await;
    connect(&user).await;
}
