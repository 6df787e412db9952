//! Redis over TLS (`rediss://`), with a certificate authority of the test's own.

use std::path::Path;
use std::process::Command;

use crate::helpers::*;

/// A CA and a certificate for 127.0.0.1 signed by it, made with openssl in `dir`.
fn make_certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let ok = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs").status.success();
        assert!(ok, "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
}

#[tokio::test]
async fn the_app_works_over_tls_to_redis() {
    let dir = std::env::temp_dir().join(format!("exchange-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    make_certificates(&dir);
    let redis = RedisProcess::start_tls(&dir.join("server.crt"), &dir.join("server.key"), &dir.join("ca.crt"))
        .expect("a TLS redis-server starts");
    let url = format!("rediss://127.0.0.1:{}/", redis.port());
    let ca = dir.join("ca.crt");
    let app = spawn_app_on(&url, |c| c.redis_settings.tls_ca_file = Some(ca)).await;
    let (status, _) = status_json(app.get("/api/v1/health", None).await).await;
    assert_eq!(status, 200);
    let alice = app.user("alice").await;
    assert_eq!(app.limit(&alice, "buy", "1", "100").await.status(), 201);
    let (_, book) = status_json(app.get("/api/v1/orders/book/BTC-USD", None).await).await;
    assert_eq!(book["sequence"], 1);
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}
