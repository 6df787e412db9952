//! Headers that protect the browser UI, and `/metrics` behind a token when one is set.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::helpers::*;

#[tokio::test]
async fn the_ui_is_served_with_a_policy_naming_its_loader_and_every_answer_with_nosniff() {
    let app = spawn_app(Deployment::Single).await;
    let page = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    let html = page.text().await.unwrap();
    let csp = headers["content-security-policy"].to_str().unwrap().to_string();
    // trunk's loader is an inline module script: the policy allows exactly it, by its hash.
    let start =
        html.find("<script type=\"module\">").expect("trunk's inline loader") + "<script type=\"module\">".len();
    let loader = &html[start..start + html[start..].find("</script>").unwrap()];
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(loader.as_bytes()));
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    for directive in ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "'wasm-unsafe-eval'"] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers.contains_key("referrer-policy"));

    let api = app.get("/api/v1/markets", None).await;
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn metrics_ask_for_the_token_when_one_is_set() {
    let open = spawn_app(Deployment::Single).await;
    assert_eq!(open.get("/metrics", None).await.status(), 200);

    let guarded = spawn_app_with(Deployment::Single, |c| c.metrics_token = Some("s3cret-metrics".into())).await;
    for token in [None, Some("wrong")] {
        let (status, body) = status_json(guarded.get("/metrics", token).await).await;
        assert_eq!(status, 401);
        assert_error(&body, "unauthorized");
    }
    let r = guarded.get("/metrics", Some("s3cret-metrics")).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("http_requests_total"));
}
