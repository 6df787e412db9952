//! Register, log in, log out, tokens.

use serde_json::json;

use crate::helpers::*;

on_every_deployment! {
    async fn register_creates_an_account_and_login_returns_a_bearer_token(d) {
        let app = spawn_app(d).await;
        let creds = json!({"username": "alice", "password": "correct horse"});
        let (status, body) = status_json(app.post_json("/api/v1/auth/register", None, &creds).await).await;
        assert_eq!(status, 201);
        assert_eq!(body, json!({"user_id": 1, "username": "alice"}));

        let (status, body) = status_json(app.post_json("/api/v1/auth/login", None, &creds).await).await;
        assert_eq!(status, 200);
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 3600);
        assert!(body["access_token"].as_str().unwrap().len() >= 32, "at least 128 random bits");
    }

    async fn a_taken_username_is_a_conflict(d) {
        let app = spawn_app(d).await;
        let creds = json!({"username": "alice", "password": "correct horse"});
        app.post_json("/api/v1/auth/register", None, &creds).await;
        let (status, body) = status_json(app.post_json("/api/v1/auth/register", None, &creds).await).await;
        assert_eq!(status, 409);
        assert_error(&body, "username_taken");
    }

    async fn bad_usernames_and_passwords_are_refused(d) {
        let app = spawn_app(d).await;
        for creds in [
            json!({"username": "al", "password": "correct horse"}),
            json!({"username": "a b c", "password": "correct horse"}),
            json!({"username": "x".repeat(33), "password": "correct horse"}),
            json!({"username": "alice", "password": "short"}),
            json!({"username": "alice", "password": "p".repeat(129)}),
            json!({"username": "alice"}),
            json!({"username": 5, "password": "correct horse"}),
        ] {
            let (status, body) = status_json(app.post_json("/api/v1/auth/register", None, &creds).await).await;
            assert_eq!(status, 422, "{creds}");
            assert_error(&body, "validation_error");
        }
    }

    async fn wrong_credentials_are_unauthorized(d) {
        let app = spawn_app(d).await;
        app.user("alice").await;
        for creds in [
            json!({"username": "alice", "password": "wrong password"}),
            json!({"username": "nobody", "password": "password-of-nobody"}),
        ] {
            let (status, body) = status_json(app.post_json("/api/v1/auth/login", None, &creds).await).await;
            assert_eq!(status, 401);
            assert_error(&body, "unauthorized");
        }
    }

    async fn private_endpoints_need_a_valid_token(d) {
        let app = spawn_app(d).await;
        for token in [None, Some("not-a-token")] {
            let (status, body) = status_json(app.get("/api/v1/orders/", token).await).await;
            assert_eq!(status, 401);
            assert_error(&body, "unauthorized");
        }
        let r = app.client.get(app.url("/api/v1/orders/")).header("Authorization", "Basic abc").send().await.unwrap();
        assert_eq!(r.status(), 401);
    }

    async fn a_login_sets_a_session_cookie_that_resumes_the_session_until_logout(d) {
        let app = spawn_app(d).await;
        app.unfunded_user("alice").await;
        let creds = serde_json::json!({"username": "alice", "password": "password-of-alice"});
        let r = app.post_json("/api/v1/auth/login", None, &creds).await;
        assert_eq!(r.status(), 200);
        let cookie = r.headers().get("set-cookie").expect("a session cookie").to_str().unwrap().to_string();
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/auth", "Max-Age="] {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        let pair = cookie.split(';').next().unwrap().to_string();
        let token = r.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
        // The cookie (as a browser sends it back) is exchanged for the same session's token.
        let resume = |cookie: Option<String>| {
            let mut req = app.client.post(app.url("/api/v1/auth/session"));
            if let Some(c) = cookie {
                req = req.header("Cookie", format!("theme=dark; {c}"));
            }
            req.send()
        };
        let (status, body) = status_json(resume(Some(pair.clone())).await.unwrap()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["username"].as_str(), body["access_token"].as_str()), (Some("alice"), Some(token.as_str())));
        assert!(body["expires_in"].as_u64().unwrap() > 0);
        // None, or a made-up one: 401.
        for cookie in [None, Some("exchange_session=alice:not-a-token".to_string())] {
            let (status, body) = status_json(resume(cookie).await.unwrap()).await;
            assert_eq!(status, 401);
            assert_error(&body, "unauthorized");
        }
        // A logout clears the cookie, and the session it named is over.
        let r = app.client.post(app.url("/api/v1/auth/logout")).bearer_auth(&token).send().await.unwrap();
        assert!(r.headers().get("set-cookie").unwrap().to_str().unwrap().contains("Max-Age=0"));
        assert_eq!(resume(Some(pair)).await.unwrap().status(), 401);
    }

    async fn logout_stops_the_token_at_once(d) {
        let app = spawn_app(d).await;
        let token = app.user("alice").await;
        assert_eq!(app.get("/api/v1/orders/", Some(&token)).await.status(), 200);
        let r = app.client.post(app.url("/api/v1/auth/logout")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(app.get("/api/v1/orders/", Some(&token)).await.status(), 401);
    }

    async fn a_logout_on_one_instance_stops_the_token_on_every_instance(d) {
        let a = spawn_app(d).await;
        let b = a.peer().await;
        let token = a.user("alice").await;
        // Give b's session cache time to subscribe to revocations, then let it cache the session.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        for _ in 0..3 {
            assert_eq!(b.get("/api/v1/orders/", Some(&token)).await.status(), 200);
        }
        let r = a.client.post(a.url("/api/v1/auth/logout")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 204);
        // b learns of it through Redis within moments, far sooner than its cache would expire (10 s).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        while b.get("/api/v1/orders/", Some(&token)).await.status() != 401 {
            assert!(std::time::Instant::now() < deadline, "the other instance still accepts a revoked token");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    async fn a_token_expires_after_its_lifetime(d) {
        let app = spawn_app_with(d, |c| c.auth.token_ttl_secs = 1).await;
        let token = app.user("alice").await;
        assert_eq!(app.get("/api/v1/orders/", Some(&token)).await.status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        assert_eq!(app.get("/api/v1/orders/", Some(&token)).await.status(), 401);
    }
}

/// The session cookie is `Secure` when a trusted proxy says the login came over HTTPS, and only then.
#[tokio::test]
async fn the_session_cookie_is_secure_when_a_trusted_proxy_says_https() {
    let login = |app: &TestApp, proto: Option<&'static str>| {
        let mut req = app.client.post(app.url("/api/v1/auth/login"));
        if let Some(p) = proto {
            req = req.header("X-Forwarded-Proto", p);
        }
        let creds = json!({"username": "alice", "password": "password-of-alice"});
        async move {
            let r = req.json(&creds).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.headers().get("set-cookie").unwrap().to_str().unwrap().to_string()
        }
    };
    // Behind no trusted proxy, the header is anyone's word: no Secure.
    let direct = spawn_app(Deployment::Single).await;
    direct.unfunded_user("alice").await;
    assert!(!login(&direct, None).await.contains("Secure"));
    assert!(!login(&direct, Some("https")).await.contains("Secure"));
    // Behind a trusted proxy: Secure over HTTPS, not over HTTP.
    let proxied = spawn_app_with(Deployment::Single, |c| {
        c.http.trusted_proxies = backend::config::AddressSet::parse("127.0.0.1").unwrap();
    })
    .await;
    proxied.unfunded_user("alice").await;
    assert!(login(&proxied, Some("https")).await.ends_with("; Secure"));
    assert!(!login(&proxied, Some("http")).await.contains("Secure"));
}
