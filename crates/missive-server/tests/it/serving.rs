//! Serving the letter: encodings, caching, conditional and range requests, the root's language
//! choice, and the security headers on every kind of response.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::helpers::*;

#[tokio::test]
async fn pages_come_in_the_best_encoding_and_decode_to_the_same_html() {
    let server = start().await;
    let br = server
        .get_with("/ko/", &[("accept-encoding", "gzip, deflate, br, zstd")])
        .await;
    let gz = server
        .get_with("/ko/", &[("accept-encoding", "gzip")])
        .await;
    let plain = server.get("/ko/").await;
    assert_eq!(br.status, StatusCode::OK);
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(plain.header("content-encoding"), None);
    assert!(br.raw.len() < plain.raw.len() && gz.raw.len() < plain.raw.len());
    assert_eq!(br.decoded(), plain.raw);
    assert_eq!(gz.decoded(), plain.raw);
    for reply in [&br, &gz, &plain] {
        assert_eq!(reply.header("vary"), Some("accept-encoding"));
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
    }
    // Each representation has its own strong ETag.
    let tags = [br.header("etag"), gz.header("etag"), plain.header("etag")];
    assert!(tags.iter().all(|t| t.is_some_and(|t| t.starts_with('"'))));
    assert_ne!(tags[0], tags[1]);
    assert_ne!(tags[1], tags[2]);

    let html = plain.text();
    assert!(
        html.contains("병사들에게 보내는 편지"),
        "the letter is there"
    );
    assert!(
        !html.contains("<!-- missive:sign-form -->"),
        "the marker was replaced"
    );
    assert!(
        html.contains("이 편지에 공동 서명하기"),
        "the form is in Korean"
    );
    assert!(html.contains("name=\"consent\""));
    assert!(
        html.contains("data-missive-count"),
        "the count is on the page"
    );
    // The form sits inside <main>, after the signatures.
    let form_at = html.find("data-missive-sign").unwrap();
    assert!(html.find("END MISSIVE SIGNATURES").unwrap() < form_at);
    assert!(form_at < html.find("</main>").unwrap());
}

#[tokio::test]
async fn conditional_head_and_range_requests() {
    let server = start().await;
    let first = server.get_with("/en/letter.txt", &[]).await;
    let etag = first.header("etag").unwrap().to_string();
    let again = server
        .get_with("/en/letter.txt", &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.raw.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let weak = format!("W/{etag}");
    assert_eq!(
        server
            .get_with("/en/letter.txt", &[("if-none-match", &weak)])
            .await
            .status,
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(
        server
            .get_with("/en/letter.txt", &[("if-none-match", "\"other\"")])
            .await
            .status,
        StatusCode::OK
    );

    let head = server
        .send(
            Request::builder()
                .method(Method::HEAD)
                .uri("/en/")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let page = server.get("/en/").await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.raw.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(page.raw.len().to_string().as_str())
    );

    let range = server
        .get_with("/en/letter.txt", &[("range", "bytes=0-4")])
        .await;
    assert_eq!(range.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(range.raw, &first.raw[..5]);
    let total = first.raw.len();
    assert_eq!(
        range.header("content-range"),
        Some(format!("bytes 0-4/{total}").as_str())
    );
    let tail = server
        .get_with("/en/letter.txt", &[("range", "bytes=-3")])
        .await;
    assert_eq!(tail.raw, &first.raw[total - 3..]);
    let beyond = server
        .get_with("/en/letter.txt", &[("range", "bytes=99999-")])
        .await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        beyond.header("content-range"),
        Some(format!("bytes */{total}").as_str())
    );
    // If-Range with an old ETag: the whole file.
    let stale = server
        .get_with(
            "/en/letter.txt",
            &[("range", "bytes=0-4"), ("if-range", "\"old\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.raw, first.raw);
}

#[tokio::test]
async fn the_root_sends_readers_to_their_language_or_lists_them() {
    let server = start().await;
    let en = server
        .get_with("/", &[("accept-language", "de-DE, en-GB;q=0.8, ko;q=0.5")])
        .await;
    assert!(en.status.is_redirection(), "{:?}", en.status);
    assert_eq!(en.header("location"), Some("/en/"));
    assert!(en.header("vary").unwrap().contains("accept-language"));
    let ko = server
        .get_with("/", &[("accept-language", "ko-KR,ko;q=0.9")])
        .await;
    assert_eq!(ko.header("location"), Some("/ko/"));
    for headers in [&[("accept-language", "de, fr;q=0.5")][..], &[]] {
        let list = server.get_with("/", headers).await;
        assert_eq!(list.status, StatusCode::OK);
        let html = list.text();
        assert!(
            html.contains("href=\"ko/\"") && html.contains("href=\"en/\""),
            "{html}"
        );
    }
    let bare = server.get("/ko").await;
    assert_eq!(bare.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(bare.header("location"), Some("/ko/"));
    assert_eq!(
        server.get("/ko/index.html").await.raw,
        server.get("/ko/").await.raw
    );
}

#[tokio::test]
async fn caching_is_long_for_hashed_files_and_short_for_pages_and_the_count() {
    let server = start().await;
    let page = server.get("/ko/").await;
    let html = page.text();
    let script = link_in_src(&html, "_missive/sign.").expect("the page loads the signing script");
    let script_path = format!("/ko/{script}");
    let script_path = normalize(&script_path);
    let js = server.get(&script_path).await;
    assert_eq!(js.status, StatusCode::OK, "{script_path}");
    assert!(js.header("cache-control").unwrap().contains("immutable"));
    assert!(
        js.header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(page.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(
        server.get("/ko/letter.txt").await.header("cache-control"),
        Some("public, max-age=300")
    );
    let count = server.get("/count.json").await;
    assert_eq!(count.header("cache-control"), Some("public, max-age=1"));
    let json = count.json();
    assert_eq!(json["letter"], LETTER);
    assert_eq!(json["count"], 0);
    assert!(json["as_of"].as_str().unwrap().ends_with('Z'));
    // Pages for one person are never stored.
    let challenge = server.get("/_missive/challenge").await;
    assert_eq!(challenge.header("cache-control"), Some("no-store"));
}

fn link_in_src(html: &str, needle: &str) -> Option<String> {
    html.match_indices("src=\"").find_map(|(i, m)| {
        let start = i + m.len();
        let end = html[start..].find('"')? + start;
        html[start..end]
            .contains(needle)
            .then(|| html[start..end].to_string())
    })
}

/// Resolves `..` in a URL path the way a browser does.
fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            ".." => {
                out.pop();
            }
            "." => {}
            s => out.push(s),
        }
    }
    out.join("/")
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_no_cookie() {
    let server = start_with(|c| c.onion = Some("exampleexampleexample.onion".into())).await;
    let responses = [
        server.get("/ko/").await,
        server.get("/").await,
        server.get("/count.json").await,
        server.get("/nope").await,
        server.get("/ko/letter.txt").await,
        server.post_form("/ko/sign", "\u{0}", "192.0.2.9").await,
        server
            .send(
                Request::builder()
                    .method(Method::DELETE)
                    .uri("/ko/")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await,
    ];
    for reply in &responses {
        let csp = reply
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("CSP on {reply:?}"));
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(
            !csp.contains("http:") && !csp.contains("https:") && !csp.contains('*'),
            "{csp}"
        );
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert!(reply.header("set-cookie").is_none());
        assert!(
            reply
                .header("onion-location")
                .unwrap()
                .starts_with("http://exampleexampleexample.onion/")
        );
    }
    assert_eq!(
        responses[0].header("onion-location"),
        Some("http://exampleexampleexample.onion/ko/")
    );
    assert_eq!(responses[6].status, StatusCode::METHOD_NOT_ALLOWED);
    // Without an onion address, no Onion-Location.
    let plain = start().await;
    assert!(plain.get("/ko/").await.header("onion-location").is_none());
}

#[tokio::test]
async fn the_page_policy_allows_exactly_its_inline_styles() {
    let server = start().await;
    let page = server.get("/en/").await;
    let csp = page.header("content-security-policy").unwrap().to_string();
    let html = page.text();
    let mut rest = html.as_str();
    let mut styles = 0;
    while let Some(open) = rest.find("<style>") {
        let body_start = open + "<style>".len();
        let end = rest[body_start..].find("</style>").unwrap() + body_start;
        let hash = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(&rest.as_bytes()[body_start..end]));
        assert!(
            csp.contains(&format!("'sha256-{hash}'")),
            "style {styles} not allowed by {csp}"
        );
        styles += 1;
        rest = &rest[end..];
    }
    assert_eq!(styles, 2, "the page's own style and the form's");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!html.contains("<script>"), "no inline script");
}

#[tokio::test]
async fn unknown_paths_are_a_translated_404_and_traversal_finds_nothing() {
    let server = start().await;
    let ko = server.get("/ko/nothing-here").await;
    assert_eq!(ko.status, StatusCode::NOT_FOUND);
    assert!(
        ko.text().contains("그런 페이지가 없습니다"),
        "{}",
        ko.text()
    );
    let other = server.get("/xx/nothing").await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(other.text().contains("There is no such page here."));
    for path in [
        "/../bundle.toml",
        "/ko/%2e%2e/bundle.toml",
        "/%FF",
        "/ko/..%2Fbundle.toml",
    ] {
        let reply = server.get(path).await;
        assert!(reply.status.is_client_error(), "{path}: {:?}", reply.status);
    }
    assert_eq!(server.get("/bundle.toml").await.status, StatusCode::OK);
}

#[tokio::test]
async fn odd_requests_never_get_a_server_error() {
    let server = start().await;
    let paths = [
        "/%0A/sign",
        "/ko%0D%0ASet-Cookie:%20x/sign",
        "/ko/sign",
        "/%E0%A4%A/",
        "/ko/confirm/%0A",
        "/ko/confirm/..%2F..%2Fbundle.toml",
        "/ko/edit/%FF%FE",
        "/ko/signers?page=%FF",
        "/ko/signers?page=99999999999999999999999",
        "/_missive/sign.0000000000000000.js",
        "/_missive/",
        "//",
        "/ko//",
        "/count.json?x=%FF",
    ];
    for path in paths {
        for method in [Method::GET, Method::HEAD, Method::POST, Method::OPTIONS] {
            let request = Request::builder()
                .method(method.clone())
                .uri(path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("a=%FF&b"))
                .unwrap();
            let reply = server.send(request).await;
            assert!(
                reply.status.as_u16() < 500,
                "{method} {path}: {:?}",
                reply.status
            );
            assert!(reply.header("set-cookie").is_none());
        }
    }
}

/// Every 405 says which methods the path takes (RFC 9110 §15.5.6), for pages, files, the
/// root and each dynamic route.
#[tokio::test]
async fn a_405_lists_the_allowed_methods() {
    let server = start().await;
    let cases = [
        (Method::PUT, "/en/sign", "GET, HEAD, POST"),
        (Method::DELETE, "/en/confirm/abc", "GET, HEAD, POST"),
        (Method::PATCH, "/en/edit/abc", "GET, HEAD, POST"),
        (Method::POST, "/_missive/challenge", "GET, HEAD"),
        (Method::POST, "/en/signers", "GET, HEAD"),
        (Method::POST, "/ko/", "GET, HEAD"),
        (Method::DELETE, "/count.json", "GET, HEAD"),
    ];
    for (method, path, allow) in cases {
        let reply = server
            .send(
                Request::builder()
                    .method(method.clone())
                    .uri(path)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
    }
}
