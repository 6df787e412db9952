//! The browser UI's files: the page for the screen's paths, precompressed copies to browsers that take
//! them, a year's caching of hashed files and none of the page, a 404 for a file that is not there.

use crate::helpers::*;

#[tokio::test]
async fn the_screens_paths_get_the_page_and_its_files_travel_compressed_and_cached() {
    let dir = std::env::temp_dir().join(format!("ui-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!DOCTYPE html><title>the page</title>").unwrap();
    let wasm = "frontend-0123456789abcdef_bg.wasm";
    std::fs::write(dir.join(wasm), b"\0asm module").unwrap();
    // (What the server sends as is: it never decompresses.)
    std::fs::write(dir.join(format!("{wasm}.gz")), b"the gzip copy").unwrap();
    std::fs::write(dir.join(format!("{wasm}.br")), b"the brotli copy").unwrap();
    let static_dir = dir.clone();
    let app = spawn_app_with(Deployment::Single, move |c| c.static_dir = static_dir).await;
    let get_as = |path: &str, encodings: &str| {
        let mut req = app.client.get(app.url(path));
        if !encodings.is_empty() {
            req = req.header("Accept-Encoding", encodings);
        }
        req.send()
    };
    let get = |path: &str, gzip: bool| get_as(path, if gzip { "gzip" } else { "" });

    for path in ["/", "/trade/ETH-USD", "/trade/eth-usd/"] {
        let r = get(path, false).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-cache", "{path}: the page is checked each time");
        assert!(r.text().await.unwrap().contains("the page"));
    }
    let r = get(&format!("/{wasm}"), true).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(r.headers()["content-type"], "application/wasm");
    assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(r.headers()["vary"], "accept-encoding", "a shared cache keeps one copy per encoding");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"the gzip copy");
    // Brotli to a browser that takes it (they all do over HTTPS), the smaller of the two.
    let r = get_as(&format!("/{wasm}"), "gzip, deflate, br").await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "br");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"the brotli copy");
    let r = get(&format!("/{wasm}"), false).await.unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"\0asm module");
    // A file that is not there is not the page.
    let r = get("/favicon.ico", false).await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers().get("cache-control").is_none());
    // An API path stays the API's.
    let (status, body) = status_json(get("/api/v1/no-such-thing", false).await.unwrap()).await;
    assert_eq!(status, 404);
    assert_error(&body, "not_found");
    std::fs::remove_dir_all(&dir).unwrap();
}
