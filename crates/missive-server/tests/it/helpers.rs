//! A server on a copy of the fixture bundle and a fresh SQLite database, and small request
//! helpers. Every request carries a client address, as a real connection would.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use missive_server::{AbuseConfig, AppState, ServerConfig};
use tower::ServiceExt;

pub const LETTER: &str = "letter-to-soldiers";

pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bundle")
}

/// Copies a folder recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A running server state plus the folders it uses.
pub struct TestServer {
    pub state: Arc<AppState>,
    pub dir: tempfile::TempDir,
    pub bundle: PathBuf,
}

/// Test defaults: fast refreshes, a light proof-of-work, no waiting to fill the form.
pub fn config(dir: &Path) -> ServerConfig {
    let bundle = dir.join("public");
    let mut config = ServerConfig::new(
        &bundle,
        format!("sqlite:{}", dir.join("signatures.db").display()),
    );
    config.count_refresh = Duration::from_millis(100);
    config.reload_poll = Duration::from_millis(50);
    config.brotli_quality = 5;
    config.abuse = AbuseConfig {
        pow_difficulty: 6,
        min_fill: Duration::ZERO,
        ..AbuseConfig::default()
    };
    config.confirmation.outbox = dir.join("outbox");
    config
}

pub async fn start() -> TestServer {
    start_with(|_| {}).await
}

pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    copy_dir(&fixture(), &config.bundle);
    adjust(&mut config);
    let bundle = config.bundle.clone();
    let state = AppState::start(config).await.expect("server starts");
    TestServer { state, dir, bundle }
}

/// A response with its body read (and decoded if it was compressed).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub raw: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body after undoing `Content-Encoding`.
    pub fn decoded(&self) -> Vec<u8> {
        match self.header("content-encoding") {
            Some("br") => {
                let mut out = Vec::new();
                brotli::Decompressor::new(&self.raw[..], 4096)
                    .read_to_end(&mut out)
                    .unwrap();
                out
            }
            Some("gzip") => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&self.raw[..])
                    .read_to_end(&mut out)
                    .unwrap();
                out
            }
            _ => self.raw.clone(),
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.decoded()).unwrap()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.decoded())
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.text()))
    }
}

impl TestServer {
    pub async fn send(&self, request: Request<Body>) -> Reply {
        send(&self.state, request).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = Request::get(path);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// A form post from a browser (no script), from the address `ip`.
    pub async fn post_form(&self, path: &str, body: &str, ip: &str) -> Reply {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-test-ip", ip)
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(request).await
    }

    /// A post from the signing script (JSON answers).
    pub async fn post_json(&self, path: &str, body: &str, ip: &str) -> Reply {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(
                "content-type",
                "application/x-www-form-urlencoded;charset=UTF-8",
            )
            .header("accept", "application/json")
            .header("x-test-ip", ip)
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(request).await
    }

    /// Signs through the no-script path: review page, then the form with its token.
    pub async fn sign_no_script(&self, lang: &str, fields: &str, ip: &str) -> Reply {
        let path = format!("/{lang}/sign");
        let review = self.post_form(&path, fields, ip).await;
        assert_eq!(review.status, StatusCode::OK, "review: {}", review.text());
        let token = form_token(&review.text()).expect("the review page carries a form token");
        self.post_form(&path, &format!("{fields}&form_token={token}"), ip)
            .await
    }

    /// Signs through the script path: challenge, proof-of-work, JSON post.
    pub async fn sign_script(&self, lang: &str, fields: &str, ip: &str) -> Reply {
        let (token, solution) = self.solved_challenge(ip).await;
        self.post_json(
            &format!("/{lang}/sign"),
            &format!("{fields}&pow_token={token}&pow_solution={solution}"),
            ip,
        )
        .await
    }

    pub async fn solved_challenge(&self, ip: &str) -> (String, u64) {
        let request = Request::get("/_missive/challenge")
            .header("accept", "application/json")
            .header("x-test-ip", ip)
            .body(Body::empty())
            .unwrap();
        let challenge = self.send(request).await.json();
        let token = challenge["token"].as_str().unwrap().to_string();
        let difficulty = challenge["difficulty"].as_u64().unwrap() as u8;
        let solution = missive_server::solve_challenge(&token, difficulty);
        (token, solution)
    }

    /// Every stored signer of the test letter (pending and confirmed).
    pub async fn stored(&self) -> Vec<missive_store::Signer> {
        self.state.store.export(LETTER).await.unwrap()
    }

    pub async fn count(&self) -> u64 {
        self.state.refresh_count().await;
        self.get("/count.json").await.json()["count"]
            .as_u64()
            .unwrap()
    }
}

/// Sends a request through the router, as from the address in `x-test-ip` (default 192.0.2.1).
pub async fn send(state: &Arc<AppState>, mut request: Request<Body>) -> Reply {
    let ip = request
        .headers()
        .get("x-test-ip")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("192.0.2.1")
        .to_string();
    let addr = SocketAddr::new(ip.parse().unwrap(), 40000);
    request.extensions_mut().insert(ConnectInfo(addr));
    let response = missive_server::router(state.clone())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let raw = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status,
        headers,
        raw,
    }
}

/// The form token in a page, if any.
pub fn form_token(html: &str) -> Option<String> {
    let marker = "name=\"form_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// The first `href` that contains `needle`.
pub fn link_containing(html: &str, needle: &str) -> Option<String> {
    html.match_indices("href=\"").find_map(|(i, m)| {
        let start = i + m.len();
        let end = html[start..].find('"')? + start;
        let href = &html[start..end];
        href.contains(needle).then(|| href.to_string())
    })
}

/// Percent-encodes a form value.
pub fn enc(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A plain valid signature's fields.
pub fn fields(name: &str) -> String {
    format!(
        "letter={LETTER}&name={}&affiliation=Teacher&country=Korea&consent=1",
        enc(name)
    )
}
