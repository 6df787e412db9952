//! Headers that keep the browser UI from being framed, sniffed or made to run script it did not ship:
//! on every page, a Content-Security-Policy that allows only this site's own script and the inline
//! scripts we serve (trunk's loader in `index.html`, the API reference page) by their SHA-256, and
//! WebAssembly; on every response `nosniff`, no framing, no referrer sent to other sites. The UI's page
//! is read again when its file changes (a rebuilt UI has a new loader), so the policy always names the
//! loader being served.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The policy for the UI's page and the fixed pages, rebuilt when the UI's page changes.
#[derive(Clone)]
pub struct SecurityHeaders {
    ui_page: PathBuf,
    fixed_pages: &'static [&'static str],
    /// The policy, and the modification time of the UI's page it was built from.
    current: Arc<Mutex<(Option<SystemTime>, HeaderValue)>>,
}

/// The text of every `<script>` element without a `src` in `html`, as the browser hashes it.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else { break };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else { break };
        if !tag.contains(" src=") {
            scripts.push(&body[..close]);
        }
        rest = &body[close..];
    }
    scripts
}

/// The policy allowing the inline scripts of `pages`.
fn policy(pages: &[&str]) -> HeaderValue {
    let hashes: Vec<String> = pages
        .iter()
        .flat_map(|page| inline_scripts(page))
        .map(|script| format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script))))
        .collect();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'",
        hashes.join(" ")
    );
    HeaderValue::from_str(&csp).expect("the policy is plain ASCII")
}

impl SecurityHeaders {
    /// For the UI's page at `ui_page` (read when it changes; absent: no UI built) and fixed pages.
    pub fn new(ui_page: PathBuf, fixed_pages: &'static [&'static str]) -> SecurityHeaders {
        let current = Arc::new(Mutex::new((None, policy(fixed_pages))));
        SecurityHeaders { ui_page, fixed_pages, current }
    }

    /// The policy for the pages as they are now on disk.
    fn csp(&self) -> HeaderValue {
        let modified = std::fs::metadata(&self.ui_page).and_then(|m| m.modified()).ok();
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if current.0 != modified {
            let page = std::fs::read_to_string(&self.ui_page).unwrap_or_default();
            let pages: Vec<&str> = self.fixed_pages.iter().copied().chain([page.as_str()]).collect();
            *current = (modified, policy(&pages));
        }
        current.1.clone()
    }
}

pub async fn add(State(headers): State<SecurityHeaders>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let is_page = response.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if is_page {
        let csp = headers.csp();
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inline_scripts_are_hashed_exactly_as_written() {
        let page =
            "<script src=\"/a.js\"></script><script type=\"module\">\nrun();\n</script><p>x</p><script>b()</script>";
        assert_eq!(inline_scripts(page), vec!["\nrun();\n", "b()"]);
        let csp = policy(&[page]);
        let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest("b()"));
        assert!(csp.to_str().unwrap().contains(&format!("'sha256-{digest}'")));
    }
}
