//! `backend --health`, the container image's HEALTHCHECK: it exits 0 exactly while the server it asks
//! answers its health route with 200 — not while Redis is down (503), not when nothing listens.

use std::process::Command;

use crate::helpers::*;

/// Runs `backend --health` against the server at `port` and says whether it passed.
fn probe(port: u16) -> bool {
    let out = Command::new(env!("CARGO_BIN_EXE_backend"))
        .arg("--health")
        .env("PORT", port.to_string())
        .env("HOST", "0.0.0.0")
        .output()
        .unwrap();
    assert_eq!(out.status.success(), out.stderr.is_empty(), "a failing probe says why, a passing one nothing");
    out.status.success()
}

#[tokio::test]
async fn the_health_probe_passes_only_while_the_server_and_redis_answer() {
    let mut redis = RedisProcess::start(&[]).unwrap();
    let url = redis.url();
    let server =
        BackendProcess::start(env!("CARGO_BIN_EXE_backend").as_ref(), free_port(), &[("REDIS_URL", &url)]).await;
    assert!(probe(server.port), "a healthy server passes");
    redis.kill();
    assert!(!probe(server.port), "a server whose Redis is down fails");
    redis.restart().unwrap();
    let mut passed = false;
    for _ in 0..50 {
        passed = probe(server.port);
        if passed {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(passed, "and passes again once Redis is back");
    drop(server);
    assert!(!probe(free_port()), "nothing listening fails");
}
