//! The router: static files and pages from memory, the root's language choice, and the
//! dynamic endpoints (challenge, signing, public list, confirmation, edit). Every response goes
//! through the security-header and access-log middleware.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::abuse::now_ms;
use crate::files;
use crate::headers::security_and_log;
use crate::i18n;
use crate::negotiate;
use crate::reply::{Reject, json_response};
use crate::state::AppState;
use crate::{pages, sign};

/// Builds the whole HTTP application around a started [`AppState`].
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/_missive/challenge",
            get(challenge).fallback(|state, request| method_not_allowed(state, request, GET)),
        )
        .route(
            "/{lang}/sign",
            axum::routing::post(sign::sign)
                .get(sign::sign_get)
                .fallback(|state, request| method_not_allowed(state, request, GET_POST)),
        )
        .route(
            "/{lang}/signers",
            get(pages::signers).fallback(|state, request| method_not_allowed(state, request, GET)),
        )
        .route(
            "/{lang}/confirm/{token}",
            get(pages::confirm_page)
                .post(pages::confirm)
                .fallback(|state, request| method_not_allowed(state, request, GET_POST)),
        )
        .route(
            "/{lang}/edit/{token}",
            get(pages::edit_page)
                .post(pages::edit)
                .fallback(|state, request| method_not_allowed(state, request, GET_POST)),
        )
        .fallback(static_files)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_and_log,
        ))
        .with_state(state)
}

/// The client's address, for the rate-limit key only (hashed at once, never kept).
pub fn client_ip(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
) -> Option<IpAddr> {
    if state.config.trust_forwarded_for
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return Some(ip);
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// Whether the caller wants JSON (the signing script) rather than a page.
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The language to answer in for a path: its first segment if the site has it, else English.
pub fn strings_for(state: &AppState, lang: &str) -> &'static i18n::Strings {
    if state.site.load().has_language(lang) {
        i18n::strings(lang)
    } else {
        &i18n::EN
    }
}

async fn challenge(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let now = now_ms();
    let ip = client_ip(&state, request.headers(), request.extensions());
    let source = state.guard.source(ip, now);
    match state.guard.challenge(source, now) {
        Ok(c) => json_response(
            StatusCode::OK,
            serde_json::json!({
                "token": c.token,
                "difficulty": c.difficulty,
                "min_fill_ms": c.min_fill_ms,
                "expires_in_secs": c.expires_in_secs,
            }),
        ),
        Err(err) => {
            tracing::error!(%err, "no randomness for a challenge");
            Reject::Unavailable.json(&i18n::EN)
        }
    }
}

/// The `Allow` values of the routes (RFC 9110 §15.5.6: a 405 must list what is allowed).
const GET: &str = "GET, HEAD";
const GET_POST: &str = "GET, HEAD, POST";

async fn method_not_allowed(
    State(state): State<Arc<AppState>>,
    request: Request,
    allow: &'static str,
) -> Response {
    let lang = first_segment(request.uri().path());
    let t = strings_for(&state, lang);
    let response = if wants_json(request.headers()) {
        Reject::Method.json(t)
    } else {
        Reject::Method.page(t, &state.server_csp, String::new(), "/")
    };
    with_allow(response, allow)
}

fn with_allow(mut response: Response, allow: &'static str) -> Response {
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

fn first_segment(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

/// Files of the bundle, the rendered pages, `count.json`, the script, and the root.
async fn static_files(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let method = request.method();
    let path = request.uri().path();
    let site = state.site.load();
    let Some(decoded) = decode_path(path) else {
        return not_found(&state, path);
    };
    let key = decoded.trim_start_matches('/');

    let asset = if key.is_empty() {
        return root(&state, &site, method, request.headers());
    } else if key == "count.json" {
        Some(site.count_json.clone())
    } else if let Some(name) = key.strip_prefix("_missive/") {
        (name == state.script_name).then(|| state.script.clone())
    } else if let Some(lang) = key
        .strip_suffix("/index.html")
        .or_else(|| key.strip_suffix('/'))
    {
        site.pages.get(lang).cloned()
    } else if site.pages.contains_key(key) {
        // `/ko` → `/ko/`, so relative links in the page resolve.
        return permanent_redirect(&format!("/{key}/"));
    } else {
        site.bundle.files.get(key).cloned()
    };
    let Some(asset) = asset else {
        if key == "favicon.ico" {
            // Browsers ask for it on their own; an empty answer keeps a 404 out of every
            // reader's console when the bundle has no icon.
            let mut response = StatusCode::NO_CONTENT.into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            );
            return response;
        }
        return not_found(&state, path);
    };
    if method != Method::GET && method != Method::HEAD {
        let t = strings_for(&state, first_segment(path));
        return with_allow(
            Reject::Method.page(t, &state.server_csp, String::new(), "/"),
            GET,
        );
    }
    files::respond(&asset, method, request.headers())
}

/// The root: a redirect to the reader's language, or the bundle's plain list of languages.
fn root(
    state: &AppState,
    site: &crate::site::Site,
    method: &Method,
    headers: &HeaderMap,
) -> Response {
    let languages: Vec<&str> = site.bundle.languages().collect();
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    if let Some(lang) = negotiate::language(accept, &languages) {
        let mut response = Redirect::temporary(&format!("/{lang}/")).into_response();
        let h = response.headers_mut();
        h.insert(header::VARY, HeaderValue::from_static("accept-language"));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
        return response;
    }
    match site.bundle.files.get("index.html") {
        Some(index) if method == Method::GET || method == Method::HEAD => {
            let mut response = files::respond(index, method, headers);
            response.headers_mut().insert(
                header::VARY,
                HeaderValue::from_static("accept-encoding, accept-language"),
            );
            response
        }
        Some(_) => with_allow(
            Reject::Method.page(&i18n::EN, &state.server_csp, String::new(), "/"),
            GET,
        ),
        None => {
            // A bundle without a chooser: list the languages ourselves.
            let mut html = String::from(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Languages</title></head><body><ul>",
            );
            for t in &site.bundle.manifest.translations {
                let name = if t.language_name.is_empty() {
                    &t.lang
                } else {
                    &t.language_name
                };
                html.push_str(&format!(
                    "<li><a href=\"{0}/\" hreflang=\"{0}\">{1}</a></li>",
                    escape(&t.lang),
                    escape(name)
                ));
            }
            html.push_str("</ul></body></html>");
            let mut response = (StatusCode::OK, html).into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(header::VARY, HeaderValue::from_static("accept-language"));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            );
            response
        }
    }
}

fn permanent_redirect(to: &str) -> Response {
    let mut response = Redirect::permanent(to).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

fn not_found(state: &AppState, path: &str) -> Response {
    let t = strings_for(state, first_segment(path));
    let mut response = Reject::NotFound.page(t, &state.server_csp, String::new(), "/");
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}

/// Percent-decodes a path; `None` for invalid UTF-8 or a `..` segment.
fn decode_path(path: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    if decoded.split('/').any(|s| s == ".." || s == ".")
        || decoded.contains('\\')
        || decoded.contains('\0')
    {
        return None;
    }
    Some(decoded.into_owned())
}

/// Minimal HTML escaping for the few strings this module writes by hand.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
