//! Limits on accounts: logins and registrations per client address, failed logins per username with a
//! back-off that never locks the right password out for more than a minute, password hashing bounded,
//! live sessions capped per user, usernames unique regardless of case.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

const ALICE: &str = "password-of-alice";

async fn login(app: &TestApp, username: &str, password: &str) -> (u16, serde_json::Value) {
    status_json(app.post_json("/api/v1/auth/login", None, &json!({"username": username, "password": password})).await)
        .await
}

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

/// Per-address limits counted for loopback clients: the test kit exempts them otherwise.
fn counted(c: &mut backend::config::Config) {
    c.http.exempt = Default::default();
}

on_every_deployment! {
    async fn usernames_are_unique_regardless_of_case(d) {
        let app = spawn_app(d).await;
        app.user("alice").await;
        let creds = json!({"username": "Alice", "password": "another password"});
        let (status, body) = status_json(app.post_json("/api/v1/auth/register", None, &creds).await).await;
        assert_eq!(status, 409);
        assert_error(&body, "username_taken");
        // The account answers to its name in any case.
        assert_eq!(login(&app, "ALICE", ALICE).await.0, 200);
    }
}

#[tokio::test]
async fn an_account_stored_under_its_name_as_written_before_still_logs_in_and_keeps_its_name() {
    let app = spawn_app(Deployment::Single).await;
    // As accounts were stored before names were unique regardless of case.
    let hash = backend::auth::hash_password("password-of-bob");
    let _: () = redis::cmd("HSET")
        .arg("user:name:Bob")
        .arg(&["id", "7", "password", hash.as_str(), "created_ms", "1"])
        .query_async(&mut app.redis_conn().await)
        .await
        .unwrap();
    assert_eq!(login(&app, "Bob", "password-of-bob").await.0, 200);
    let creds = json!({"username": "Bob", "password": "another password"});
    assert_eq!(app.post_json("/api/v1/auth/register", None, &creds).await.status(), 409);
}

#[tokio::test]
async fn a_refused_registration_takes_no_user_id() {
    let app = spawn_app(Deployment::Single).await;
    app.user("alice").await;
    let creds = json!({"username": "alice", "password": "another password"});
    assert_eq!(app.post_json("/api/v1/auth/register", None, &creds).await.status(), 409);
    let next: u64 = redis::cmd("GET").arg("next_user_id").query_async(&mut app.redis_conn().await).await.unwrap();
    assert_eq!(next, 1);
    let creds = json!({"username": "bob", "password": "password-of-bob"});
    let (_, body) = status_json(app.post_json("/api/v1/auth/register", None, &creds).await).await;
    assert_eq!(body["user_id"], 2);
}

#[tokio::test]
async fn registrations_and_logins_are_limited_per_address_unless_exempt() {
    let app = spawn_app_with(Deployment::Single, |c| {
        counted(c);
        c.http.registrations_per_hour = 3;
        c.http.logins_per_minute = 4;
    })
    .await;
    for i in 0..3 {
        let creds = json!({"username": format!("user{i}"), "password": "a good password"});
        assert_eq!(app.post_json("/api/v1/auth/register", None, &creds).await.status(), 201);
    }
    let creds = json!({"username": "user3", "password": "a good password"});
    let r = app.post_json("/api/v1/auth/register", None, &creds).await;
    assert_eq!(r.status(), 429);
    assert!(retry_after(&r) >= 1000, "one registration every 20 minutes: {}", retry_after(&r));
    assert_error(&r.json().await.unwrap(), "rate_limited");

    for _ in 0..4 {
        assert_eq!(login(&app, "user0", "a good password").await.0, 200);
    }
    let r =
        app.post_json("/api/v1/auth/login", None, &json!({"username": "user1", "password": "a good password"})).await;
    assert_eq!(r.status(), 429);
    assert_eq!(retry_after(&r), 15, "one login every 15 s");

    // A client behind a trusted proxy is counted by its own address, not the proxy's.
    let proxied = spawn_app_with(Deployment::Single, |c| {
        counted(c);
        c.http.registrations_per_hour = 1;
        c.http.trusted_proxies = backend::config::AddressSet::parse("127.0.0.1").unwrap();
    })
    .await;
    for (i, client) in ["198.51.100.1", "198.51.100.2"].iter().enumerate() {
        let creds = json!({"username": format!("user{i}"), "password": "a good password"});
        let r = proxied
            .client
            .post(proxied.url("/api/v1/auth/register"))
            .header("X-Forwarded-For", format!("6.6.6.6, {client}"))
            .json(&creds)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{client}");
    }
}

#[tokio::test]
async fn failed_logins_of_a_username_cost_a_growing_wait_of_at_most_a_minute() {
    let app = spawn_app(Deployment::Single).await;
    app.user("alice").await;
    // Five failures are free; the sixth locks the name for 1 s, from any address.
    for _ in 0..6 {
        assert_eq!(login(&app, "alice", "wrong password").await.0, 401);
    }
    let r = app.post_json("/api/v1/auth/login", None, &json!({"username": "Alice", "password": ALICE})).await;
    assert_eq!(r.status(), 429, "even the right password waits");
    assert_eq!(retry_after(&r), 1);
    assert_error(&r.json().await.unwrap(), "rate_limited");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(login(&app, "alice", ALICE).await.0, 200, "the right password works once the wait is over");
    // A success forgets the failures: the next one is free again.
    assert_eq!(login(&app, "alice", "wrong password").await.0, 401);
    assert_eq!(login(&app, "alice", ALICE).await.0, 200);

    // Another user is not affected. (That the wait never passes 60 s, whatever the failures, is
    // checked in `backend/src/auth/failed_logins.rs`, without waiting a minute.)
    for _ in 0..6 {
        assert_eq!(login(&app, "alice", "wrong password").await.0, 401);
    }
    app.user("bob").await;
}

#[tokio::test]
async fn password_hashing_past_its_bound_is_refused_at_once_with_503() {
    let app = spawn_app_with(Deployment::Single, |c| c.auth.max_concurrent_hashes = 1).await;
    // One hash at a time and 16 waiting: of 60 logins at once, most are turned away without waiting.
    let attempts = (0..60).map(|i| {
        let app = &app;
        async move {
            let started = Instant::now();
            let body = json!({"username": format!("nobody{i}"), "password": "a password"});
            let r = app.post_json("/api/v1/auth/login", None, &body).await;
            let status = r.status().as_u16();
            let retry = r.headers().get("retry-after").is_some();
            let (_, body) = status_json(r).await;
            (status, retry, body, started.elapsed())
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    let busy: Vec<_> = results.iter().filter(|(status, ..)| *status == 503).collect();
    let refused = results.iter().filter(|(status, ..)| *status == 401).count();
    assert_eq!(busy.len() + refused, 60, "{results:?}");
    assert!(busy.len() >= 60 - 17, "at most 17 admitted: {} refused as busy", busy.len());
    for (_, retry, body, took) in busy {
        assert!(retry, "503 carries Retry-After");
        assert_error(body, "unavailable");
        assert!(*took < Duration::from_secs(1), "refused at once, not after {took:?}");
    }
}

#[tokio::test]
async fn a_login_past_the_session_cap_ends_the_oldest_session() {
    let app = spawn_app_with(Deployment::Single, |c| c.auth.max_sessions_per_user = 2).await;
    app.user("alice").await; // the first session
    let token = |body: serde_json::Value| body["access_token"].as_str().unwrap().to_string();
    let second = token(login(&app, "alice", ALICE).await.1);
    let third = token(login(&app, "alice", ALICE).await.1);
    let fourth = token(login(&app, "alice", ALICE).await.1);
    assert_eq!(app.get("/api/v1/orders/", Some(&second)).await.status(), 401, "the oldest live one is ended");
    for live in [&third, &fourth] {
        assert_eq!(app.get("/api/v1/orders/", Some(live)).await.status(), 200);
    }
    let listed: u64 =
        redis::cmd("ZCARD").arg("sessions:user:1").query_async(&mut app.redis_conn().await).await.unwrap();
    assert_eq!(listed, 2);
    // A logout leaves the list too.
    let r = app.client.post(app.url("/api/v1/auth/logout")).bearer_auth(&third).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let listed: u64 =
        redis::cmd("ZCARD").arg("sessions:user:1").query_async(&mut app.redis_conn().await).await.unwrap();
    assert_eq!(listed, 1);
}
