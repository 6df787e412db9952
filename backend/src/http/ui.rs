//! The browser UI's files, as trunk builds them into the static directory: the page for the screen's
//! paths (`/`, `/trade/ETH-USD`, any path that does not name a file), the files themselves — the
//! precompressed copy (`.br`, `.gz`, written beside each file by `scripts/compress_ui.sh`) when the
//! browser takes it — and a plain 404 for a file that is not there (a `favicon.ico` gets no page).
//! Files whose names carry trunk's content hash are cached for a year; the page is checked each time,
//! so that a new build is picked up at once.

use std::path::{Path, PathBuf};

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// The UI's routes, to serve every path the API does not.
pub fn service(static_dir: &Path) -> Router {
    let index = static_dir.join("index.html");
    let files = ServeDir::new(static_dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(tower::service_fn(move |req: Request| page_or_missing(index.clone(), req)));
    Router::new().fallback_service(files).layer(middleware::from_fn(cache_control))
}

/// The screen's page for a path that names no file, else 404.
async fn page_or_missing(index: PathBuf, req: Request) -> Result<Response, std::convert::Infallible> {
    if names_a_file(req.uri().path()) {
        return Ok((StatusCode::NOT_FOUND, "no such file").into_response());
    }
    Ok(ServeFile::new(index).oneshot(req).await?.into_response())
}

/// Whether a path's last part looks like a file's name (it has an extension).
fn names_a_file(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

/// Whether a file's name carries a content hash (trunk's `name-<16 hex digits>[_bg].ext`): it never
/// changes under that name.
fn hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let stem = name.split('.').next().unwrap_or("").trim_end_matches("_bg");
    stem.rsplit_once('-').is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn cache_control(req: Request, next: Next) -> Response {
    let immutable = hashed(req.uri().path());
    let mut response = next.run(req).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let value = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(value));
        // The answer depends on what the browser takes (a compressed copy or not): a shared cache must
        // keep one per encoding.
        response.headers_mut().insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunks_hashed_files_are_told_from_the_screens_paths() {
        assert!(hashed("/frontend-cdd5ffabdad2735f_bg.wasm"));
        assert!(hashed("/frontend-cdd5ffabdad2735f.js"));
        assert!(!hashed("/index.html"));
        assert!(!hashed("/trade/ETH-USD"));
        assert!(!hashed("/favicon.svg"));
        assert!(names_a_file("/favicon.ico") && names_a_file("/frontend-1.js"));
        assert!(!names_a_file("/trade/ETH-USD") && !names_a_file("/"));
    }
}
