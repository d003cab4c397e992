//! Security headers on every response, and the access log. Pages get a Content-Security-Policy
//! that allows only their own inline styles (by hash) and same-origin script; everything else a
//! policy that allows nothing. No response sets a cookie, and the access log holds no client
//! address unless the operator turned that on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// The policy for everything that is not a page: nothing may load, nothing may frame it.
pub const DEFAULT_CSP: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A page's policy: its own inline styles and scripts by hash, the server's script, and
/// nothing from any other origin.
pub fn page_csp(style_sources: &[String], script_sources: &[String]) -> HeaderValue {
    let styles = if style_sources.is_empty() {
        "'none'".to_string()
    } else {
        style_sources.join(" ")
    };
    let mut scripts = vec!["'self'".to_string()];
    scripts.extend(script_sources.iter().cloned());
    let policy = format!(
        "default-src 'none'; style-src {styles}; img-src 'self' data:; font-src 'self' data:; \
         script-src {}; connect-src 'self'; form-action 'self'; base-uri 'none'; \
         frame-ancestors 'none'",
        scripts.join(" ")
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static(DEFAULT_CSP))
}

/// Headers added to every response, built once.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    onion: Option<String>,
}

static PERMISSIONS: HeaderValue = HeaderValue::from_static(
    "camera=(), microphone=(), geolocation=(), interest-cohort=(), browsing-topics=()",
);

impl SecurityHeaders {
    pub fn new(onion: Option<&str>) -> Self {
        let onion = onion.map(|o| {
            let host = o.trim_end_matches('/');
            let host = host.strip_prefix("http://").unwrap_or(host);
            format!("http://{host}")
        });
        SecurityHeaders { onion }
    }

    /// Adds the headers a response does not already carry; removes any cookie.
    pub fn apply(&self, path: &str, headers: &mut HeaderMap) {
        headers.remove(header::SET_COOKIE);
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DEFAULT_CSP),
            );
        }
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS.clone(),
        );
        if let Some(onion) = &self.onion
            && let Ok(value) = HeaderValue::from_str(&format!("{onion}{path}"))
        {
            headers.insert(HeaderName::from_static("onion-location"), value);
        }
    }
}

/// Middleware: security headers on every response and one access-log line per request.
pub async fn security_and_log(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let client = if state.config.log_client_addresses {
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
    } else {
        None
    };
    let mut response = next.run(request).await;
    state.security.apply(&path, response.headers_mut());
    if tracing::enabled!(target: "missive::access", tracing::Level::INFO) {
        let status = response.status().as_u16();
        let micros = start.elapsed().as_micros() as u64;
        // The path is logged without its query; tokens in confirmation and edit links are
        // cut off so the log cannot be used to act for a signer.
        let shown = redact_token_path(&path);
        match client {
            Some(ip) => {
                tracing::info!(target: "missive::access", %method, path = %shown, status, micros, client = %ip)
            }
            None => {
                tracing::info!(target: "missive::access", %method, path = %shown, status, micros)
            }
        }
    }
    response
}

/// `/ko/confirm/abcdef…` → `/ko/confirm/…`: secrets stay out of logs.
pub fn redact_token_path(path: &str) -> String {
    for marker in ["/confirm/", "/edit/"] {
        if let Some(i) = path.find(marker) {
            return format!("{}{}…", &path[..i], marker);
        }
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_reach_the_log() {
        assert_eq!(redact_token_path("/ko/confirm/deadbeef"), "/ko/confirm/…");
        assert_eq!(redact_token_path("/en/edit/0123"), "/en/edit/…");
        assert_eq!(redact_token_path("/en/"), "/en/");
    }

    #[test]
    fn page_policy_names_no_other_origin() {
        let csp = page_csp(&["'sha256-abc'".into()], &[]);
        let csp = csp.to_str().unwrap_or_default();
        assert!(csp.contains("style-src 'sha256-abc'"));
        assert!(csp.contains("default-src 'none'"));
        assert!(!csp.contains("http"));
        assert!(!csp.contains('*'));
    }
}
