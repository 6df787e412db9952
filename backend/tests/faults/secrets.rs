//! Redis `AUTH` works (`REDIS_HOST` + `REDIS_PASSWORD`), and no secret reaches the logs: the backend runs
//! as its own process at the most verbose log level over a password-protected Redis while a user
//! registers, logs in, trades, opens the private feed and logs out; its whole output must hold neither
//! the user's password, nor the token, nor Redis's password. A wrong Redis password stops start-up with
//! a message that does not repeat it.

use std::process::Command;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

const REDIS_PASSWORD: &str = "redis-secret-Zq81";
const USER_PASSWORD: &str = "user-secret-Wm44";

#[tokio::test]
async fn redis_auth_works_and_no_secret_is_ever_logged() {
    let redis = RedisProcess::start(&["--requirepass", REDIS_PASSWORD]).unwrap();
    let port = free_port();
    let redis_port = redis.port().to_string();
    let vars = [
        ("REDIS_HOST", "127.0.0.1"),
        ("REDIS_PORT", redis_port.as_str()),
        ("REDIS_PASSWORD", REDIS_PASSWORD),
        ("RUST_LOG", "trace"),
    ];
    let server = BackendProcess::start(env!("CARGO_BIN_EXE_backend").as_ref(), port, &vars).await;
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let http = reqwest::Client::new();
    let token = register_and_login(&http, &base, "alice", USER_PASSWORD).await;
    fund(&http, &base, "alice").await;
    let order = json!({"symbol": "BTC/USD", "side": "buy", "order_type": "limit", "quantity": "1", "price": "100"});
    let r = http.post(format!("{base}/orders/")).bearer_auth(&token).json(&order).send().await.unwrap();
    assert_eq!(r.status(), 201, "orders go through a password-protected Redis");
    let wrong = http.post(format!("{base}/auth/login")).json(&json!({"username": "alice", "password": "nope"}));
    assert_eq!(wrong.send().await.unwrap().status(), 401);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/api/v1/ws/user")).await.unwrap();
    ws.send(Message::Text(json!({"type": "auth", "token": token}).to_string().into())).await.unwrap();
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await;
    assert!(matches!(&answer, Ok(Some(Ok(Message::Text(t)))) if t.contains("authenticated")), "{answer:?}");
    drop(ws);
    assert_eq!(http.post(format!("{base}/auth/logout")).bearer_auth(&token).send().await.unwrap().status(), 204);
    // The log has the logout's line once it is written out (bounded: a loaded machine may be slow).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !server.output().contains("/api/v1/auth/logout") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let output = server.output();
    assert!(output.matches(" request").count() >= 5, "the request log is there to be searched: {output}");
    for (what, secret) in
        [("the user's password", USER_PASSWORD), ("the token", &token), ("Redis's password", REDIS_PASSWORD)]
    {
        if let Some(line) = output.lines().find(|l| l.contains(secret)) {
            panic!("{what} was logged: {}", &line[..line.len().min(400)]);
        }
    }

    // A wrong Redis password: start-up fails, saying why without repeating the password.
    let out = Command::new(env!("CARGO_BIN_EXE_backend"))
        .env("PORT", free_port().to_string())
        .env("REDIS_HOST", "127.0.0.1")
        .env("REDIS_PORT", &redis_port)
        .env("REDIS_PASSWORD", "wrong-secret-Pp07")
        .env("RUST_LOG", "trace")
        .env_remove("REDIS_URL")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it does not start");
    assert!(text.contains("cannot start"), "{text}");
    assert!(!text.contains("wrong-secret-Pp07"), "the wrong password was printed: {text}");
}
