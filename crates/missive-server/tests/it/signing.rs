//! Co-signing: the no-script and script paths, the public count and list, editing and
//! withdrawing, and every kind of bad input — each a clear 4xx that writes nothing.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};

use missive_server::AppState;

use crate::helpers::*;

#[tokio::test]
async fn signing_without_script_goes_through_a_review_step() {
    let server = start().await;
    let review = server
        .post_form("/en/sign", &fields("Kim Ji-woo"), "192.0.2.10")
        .await;
    assert_eq!(review.status, StatusCode::OK);
    let html = review.text();
    assert!(html.contains("Check your signature"), "{html}");
    assert!(html.contains("Kim Ji-woo, Teacher (Korea)"), "{html}");
    assert!(
        server.stored().await.is_empty(),
        "the review step writes nothing"
    );

    let token = form_token(&html).unwrap();
    let signed = server
        .post_form(
            "/en/sign",
            &format!("{}&form_token={token}", fields("Kim Ji-woo")),
            "192.0.2.10",
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text());
    let html = signed.text();
    assert!(html.contains("your signature is counted"), "{html}");
    let edit = link_containing(&html, "/edit/").expect("a private edit link");
    assert!(
        edit.starts_with("http://") || edit.starts_with('/'),
        "{edit}"
    );
    assert_eq!(signed.header("cache-control"), Some("no-store"));

    let stored = server.stored().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name.as_deref(), Some("Kim Ji-woo"));
    assert_eq!(stored[0].lang, "en");
    assert!(!stored[0].email_given);
    assert_eq!(server.count().await, 1);

    // The same token cannot be used twice.
    let again = server
        .post_form(
            "/en/sign",
            &format!("{}&form_token={token}", fields("Kim Ji-woo")),
            "192.0.2.10",
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text().contains("already sent"));
    assert_eq!(server.stored().await.len(), 1);
}

#[tokio::test]
async fn signing_with_script_solves_a_challenge_and_a_replay_is_refused() {
    let server = start().await;
    let (token, solution) = server.solved_challenge("192.0.2.20").await;
    let body = format!(
        "{}&pow_token={token}&pow_solution={solution}",
        fields("Олена Петренко")
    );
    let first = server.post_json("/uk/sign", &body, "192.0.2.20").await;
    // The fixture has no Ukrainian page.
    assert_eq!(first.status, StatusCode::NOT_FOUND);
    assert_eq!(first.json()["error"], "not_found");

    let first = server.post_json("/ko/sign", &body, "192.0.2.20").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let json = first.json();
    assert_eq!(json["ok"], true);
    assert_eq!(json["status"], "signed");
    assert!(json["edit_url"].as_str().unwrap().starts_with("edit/"));
    assert!(
        json["message"].as_str().unwrap().contains("감사합니다"),
        "answered in Korean"
    );

    let replay = server.post_json("/ko/sign", &body, "192.0.2.20").await;
    assert_eq!(replay.status, StatusCode::CONFLICT);
    assert_eq!(replay.json()["error"], "replayed");
    assert_eq!(server.stored().await.len(), 1, "the replay wrote nothing");

    // A wrong answer.
    let (token, solution) = server.solved_challenge("192.0.2.20").await;
    let wrong = (solution + 1..)
        .find(|n| {
            use sha2::{Digest, Sha256};
            let d = Sha256::digest(format!("{token}:{n}").as_bytes());
            d[0] != 0
        })
        .unwrap();
    let bad = server
        .post_json(
            "/ko/sign",
            &format!("{}&pow_token={token}&pow_solution={wrong}", fields("Lee")),
            "192.0.2.20",
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error"], "proof_invalid");
    assert_eq!(bad.json()["retry"], true);
    // The script path without any proof.
    let none = server
        .post_json("/ko/sign", &fields("Lee"), "192.0.2.20")
        .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert_eq!(none.json()["error"], "proof_missing");
    assert_eq!(server.stored().await.len(), 1);
}

#[tokio::test]
async fn the_count_moves_and_the_public_list_shows_only_shown_names() {
    let server = start().await;
    assert_eq!(server.count().await, 0);
    let page_before = server.get("/en/").await.text();
    server
        .sign_script("en", &fields("Ada Lovelace"), "192.0.2.30")
        .await;
    server
        .sign_script(
            "en",
            &format!("letter={LETTER}&anonymous=1&consent=1"),
            "192.0.2.31",
        )
        .await;
    server
        .sign_no_script("ko", &fields("<b>Grace</b> & Co"), "192.0.2.32")
        .await;
    assert_eq!(server.stored().await.len(), 3);
    assert_eq!(server.count().await, 3);
    let page_after = server.get("/en/").await.text();
    assert_ne!(page_before, page_after);
    assert!(
        page_after.contains("Co-signatures so far: 3"),
        "{page_after}"
    );

    tokio::time::sleep(Duration::from_millis(150)).await;
    let list = server.get("/en/signers").await;
    assert_eq!(list.status, StatusCode::OK);
    let html = list.text();
    assert!(html.contains("Ada Lovelace"), "{html}");
    assert!(
        html.contains("&lt;b&gt;Grace&lt;/b&gt; &amp; Co") || html.contains("&#60;b&#62;Grace"),
        "escaped: {html}"
    );
    assert!(!html.contains("<b>Grace"), "{html}");
    assert_eq!(
        html.matches("<li>").count(),
        2,
        "the count-only signer is not listed: {html}"
    );
    assert_eq!(
        server.get("/en/signers?page=2").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server.get("/en/signers?page=abc").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server.get("/xx/signers").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_public_list_is_paginated() {
    let server = start_with(|c| c.signers_per_page = 2).await;
    for (i, name) in ["Ann", "Bob", "Cem", "Dia", "Eun"].iter().enumerate() {
        let reply = server
            .sign_script("en", &fields(name), &format!("192.0.2.{}", 40 + i))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let first = server.get("/en/signers").await.text();
    assert!(first.contains("Ann") && first.contains("Bob") && !first.contains("Cem"));
    assert!(first.contains("signers?page=2"));
    let third = server.get("/en/signers?page=3").await.text();
    assert!(third.contains("Eun") && third.contains("signers?page=2") && !third.contains("page=4"));
}

#[tokio::test]
async fn a_signer_can_edit_and_withdraw_with_the_private_link() {
    let server = start().await;
    let signed = server
        .sign_script("en", &fields("Typo Nmae"), "192.0.2.50")
        .await
        .json();
    let edit = format!("/en/{}", signed["edit_url"].as_str().unwrap());
    let page = server.get(&edit).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("value=\"Typo Nmae\""));
    assert_eq!(page.header("cache-control"), Some("no-store"));

    let updated = server
        .post_form(
            &edit,
            "action=update&name=Typo+Name&affiliation=&country=Chile",
            "192.0.2.50",
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text());
    let stored = server.stored().await;
    assert_eq!(stored[0].name.as_deref(), Some("Typo Name"));
    assert_eq!(stored[0].affiliation, None);
    assert_eq!(stored[0].country.as_deref(), Some("Chile"));

    let refused = server
        .post_form(&edit, "action=update&name=%3Dcmd()", "192.0.2.50")
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(server.stored().await[0].name.as_deref(), Some("Typo Name"));

    let withdrawn = server
        .post_form(&edit, "action=withdraw", "192.0.2.50")
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK);
    assert!(server.stored().await.is_empty());
    assert_eq!(server.count().await, 0);
    assert_eq!(server.get(&edit).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        server
            .post_form(&edit, "action=withdraw", "192.0.2.50")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server.get("/en/edit/not-a-token").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx_and_writes_nothing() {
    let server = start().await;
    let ok = fields("Valid Name");
    let cases: Vec<(&str, Request<Body>, StatusCode, &str)> = vec![
        (
            "oversized body",
            form_request(
                "/en/sign",
                format!("{ok}&affiliation={}", "a".repeat(20_000)),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too large",
        ),
        (
            "broken UTF-8",
            form_request_bytes(
                "/en/sign",
                b"letter=letter-to-soldiers&name=%FF%FE&consent=1".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "garbled",
        ),
        (
            "raw invalid bytes",
            form_request_bytes(
                "/en/sign",
                b"letter=letter-to-soldiers&name=\xc3\x28&consent=1".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "garbled",
        ),
        (
            "JSON instead of a form",
            Request::post("/en/sign")
                .header("content-type", "application/json")
                .body(Body::from("{\"name\":\"x\"}"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "web form",
        ),
        (
            "multipart",
            Request::post("/en/sign")
                .header("content-type", "multipart/form-data; boundary=x")
                .body(Body::from("--x--"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "web form",
        ),
        (
            "no content type",
            Request::post("/en/sign")
                .body(Body::from(ok.clone()))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "web form",
        ),
        (
            "unknown letter",
            form_request("/en/sign", ok.replace(LETTER, "another-letter")),
            StatusCode::NOT_FOUND,
            "no such letter",
        ),
        (
            "unknown language",
            form_request("/de/sign", ok.clone()),
            StatusCode::NOT_FOUND,
            "no such page",
        ),
        (
            "honeypot",
            form_request("/en/sign", format!("{ok}&website=http%3A%2F%2Fspam")),
            StatusCode::BAD_REQUEST,
            "hidden field",
        ),
        (
            "repeated field",
            form_request("/en/sign", format!("{ok}&name=Other")),
            StatusCode::BAD_REQUEST,
            "could not be understood",
        ),
        (
            "a link as the name",
            form_request("/en/sign", fields("visit cheap-pills.com")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "must not contain a web or email address",
        ),
        (
            "a formula as the name",
            form_request("/en/sign", fields("=HYPERLINK(\"x\")")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "must not start with =",
        ),
        (
            "control characters",
            form_request("/en/sign", fields("Ann\u{7}a")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "control characters",
        ),
        (
            "no consent",
            form_request("/en/sign", ok.replace("&consent=1", "")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tick the box",
        ),
        (
            "forged form token",
            form_request("/en/sign", format!("{ok}&form_token=00ff")),
            StatusCode::BAD_REQUEST,
            "security check",
        ),
        (
            "forged proof-of-work",
            form_request(
                "/en/sign",
                format!("{ok}&pow_token={}&pow_solution=1", "ab".repeat(42)),
            ),
            StatusCode::BAD_REQUEST,
            "security check",
        ),
        (
            "PUT",
            Request::builder()
                .method(Method::PUT)
                .uri("/en/sign")
                .body(Body::empty())
                .unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "does not accept",
        ),
    ];
    for (what, request, status, message) in cases {
        let reply = server.send(request).await;
        assert_eq!(reply.status, status, "{what}: {}", reply.text());
        assert!(reply.text().contains(message), "{what}: {}", reply.text());
        assert!(reply.status.is_client_error(), "{what}");
    }
    // In the signer's language.
    let ko = server
        .post_form("/ko/sign", &fields("www.spam.example"), "192.0.2.60")
        .await;
    assert_eq!(ko.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        ko.text()
            .contains("웹 주소나 이메일 주소를 넣을 수 없습니다"),
        "{}",
        ko.text()
    );
    // The form comes back filled in.
    assert!(ko.text().contains("value=\"www.spam.example\""));
    assert!(server.stored().await.is_empty(), "nothing was written");
}

fn form_request(path: &str, body: String) -> Request<Body> {
    form_request_bytes(path, body.into_bytes())
}

fn form_request_bytes(path: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn duplicate_emails_are_caught_however_they_are_written() {
    let server = start().await;
    let first = server
        .sign_script(
            "en",
            &format!("{}&email=ann.smith%2Bletter%40gmail.com", fields("Ann")),
            "192.0.2.70",
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let again = server
        .sign_script(
            "en",
            &format!("{}&email=AnnSmith%40googlemail.com", fields("Ann S.")),
            "192.0.2.71",
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    assert_eq!(again.json()["error"], "duplicate_email");
    assert!(
        again.json()["message"]
            .as_str()
            .unwrap()
            .contains("already been used")
    );
    assert_eq!(server.stored().await.len(), 1);
    let bad = server
        .sign_script(
            "en",
            &format!("{}&email=not-an-address", fields("Bo")),
            "192.0.2.72",
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["problems"][0]["field"], "email");
}

#[tokio::test]
async fn a_form_sent_too_fast_or_too_late_is_refused_with_a_way_forward() {
    let server = start_with(|c| {
        c.abuse.min_fill = Duration::from_secs(30);
    })
    .await;
    let review = server
        .post_form("/en/sign", &fields("Quick"), "192.0.2.80")
        .await;
    let token = form_token(&review.text()).unwrap();
    let fast = server
        .post_form(
            "/en/sign",
            &format!("{}&form_token={token}", fields("Quick")),
            "192.0.2.80",
        )
        .await;
    assert_eq!(fast.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(fast.text().contains("very quick"), "{}", fast.text());
    assert!(
        form_token(&fast.text()).is_some(),
        "a fresh form to send again"
    );
    let fast_script = server
        .sign_script("en", &fields("Quick"), "192.0.2.80")
        .await;
    assert_eq!(fast_script.json()["error"], "too_fast");
    assert_eq!(fast_script.json()["retry"], true);
    assert!(server.stored().await.is_empty());

    let server = start_with(|c| {
        c.abuse.challenge_ttl = Duration::from_secs(1);
    })
    .await;
    let (token, solution) = server.solved_challenge("192.0.2.81").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let late = server
        .post_json(
            "/en/sign",
            &format!(
                "{}&pow_token={token}&pow_solution={solution}",
                fields("Late")
            ),
            "192.0.2.81",
        )
        .await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert_eq!(late.json()["error"], "proof_expired");
    assert!(server.stored().await.is_empty());
}

#[tokio::test]
async fn a_busy_network_is_slowed_down_not_shut_out() {
    let server = start_with(|c| {
        c.abuse.per_source_burst = 2;
        c.abuse.per_source_window = Duration::from_secs(3600);
    })
    .await;
    let nat = "198.51.100.1";
    for name in ["One", "Two"] {
        assert_eq!(
            server.sign_no_script("en", &fields(name), nat).await.status,
            StatusCode::OK
        );
    }
    let third = server.sign_no_script("en", &fields("Three"), nat).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(third.header("retry-after").is_some());
    assert!(
        third.text().contains("turn on JavaScript"),
        "{}",
        third.text()
    );
    // With script, the next challenge is harder, and solving it gets through.
    let (token, _) = server.solved_challenge(nat).await;
    let challenge = server
        .get_with("/_missive/challenge", &[("x-test-ip", nat)])
        .await
        .json();
    assert!(challenge["difficulty"].as_u64().unwrap() > 6, "{challenge}");
    drop(token);
    let fourth = server.sign_script("en", &fields("Four"), nat).await;
    assert_eq!(fourth.status, StatusCode::OK, "{}", fourth.text());
    // Another network is not affected.
    assert_eq!(
        server
            .sign_no_script("en", &fields("Five"), "203.0.113.5")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(server.stored().await.len(), 4);
}

/// Fetching challenges costs no memory per source: only signatures make buckets. IPv6
/// sources are one network per /56, so one customer's many /64s share one allowance.
#[tokio::test]
async fn challenges_make_no_buckets_and_ipv6_counts_by_56() {
    let server = start_with(|c| {
        c.abuse.per_source_burst = 2;
        c.abuse.per_source_window = Duration::from_secs(3600);
    })
    .await;
    for i in 0..200u32 {
        for ip in [
            format!("10.{}.{}.1", i / 256, i % 256),
            format!("2001:db8:{i:x}::1"),
        ] {
            let reply = server
                .get_with("/_missive/challenge", &[("x-test-ip", &ip)])
                .await;
            assert_eq!(reply.status, StatusCode::OK);
        }
    }
    assert_eq!(server.state.guard.tracked_sources(), 0);

    for (name, ip) in [("One", "2001:db8:aa00:1::1"), ("Two", "2001:db8:aa00:2::2")] {
        let reply = server.sign_no_script("en", &fields(name), ip).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    }
    assert_eq!(
        server.state.guard.tracked_sources(),
        1,
        "one /56, one bucket"
    );
    let third = server
        .sign_no_script("en", &fields("Three"), "2001:db8:aa00:ff::7")
        .await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    // One token comes back every 1800 s; the translated page says how long to wait.
    assert_eq!(third.header("retry-after"), Some("1800"));
    assert!(
        third.text().contains("about 30 minutes"),
        "{}",
        third.text()
    );
    let next_56 = server
        .sign_no_script("en", &fields("Four"), "2001:db8:aa01::1")
        .await;
    assert_eq!(next_56.status, StatusCode::OK);
}

/// The duplicate key is keyed with the secret file made beside the database on first start;
/// a restart reads the same file, so an address that signed before is still recognized.
#[tokio::test]
async fn duplicate_detection_survives_a_restart_through_the_secret_file() {
    let TestServer { state, dir, .. } = start().await;
    let secret_file = dir.path().join("signatures.db.email-secret");
    assert!(secret_file.is_file(), "made on first start");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "readable by the server's user only");
    }
    let first_secret = std::fs::read_to_string(&secret_file).unwrap();
    let server = TestServer {
        state,
        dir,
        bundle: std::path::PathBuf::new(),
    };
    let first = server
        .sign_script(
            "en",
            &format!("{}&email=ann%40example.org", fields("Ann")),
            "192.0.2.80",
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert!(server.stored().await[0].email_given);

    let TestServer { state, dir, .. } = server;
    state.shutdown().await;
    let state = AppState::start(config(dir.path())).await.expect("restarts");
    assert_eq!(
        std::fs::read_to_string(&secret_file).unwrap(),
        first_secret,
        "the secret file is read, never replaced"
    );
    let server = TestServer {
        state,
        dir,
        bundle: std::path::PathBuf::new(),
    };
    let again = server
        .sign_script(
            "en",
            &format!("{}&email=Ann%2Bagain%40Example.org", fields("Ann")),
            "192.0.2.81",
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    assert_eq!(again.json()["error"], "duplicate_email");
}

/// A configured secret is used instead of a file, and a too-short one stops the start with a
/// message that says how to make one, without quoting it.
#[tokio::test]
async fn a_configured_email_secret_replaces_the_file() {
    let server = start_with(|c| {
        c.email_secret = Some("configured-secret-0123456789abcdef0123".into());
    })
    .await;
    assert!(
        !server
            .dir
            .path()
            .join("signatures.db.email-secret")
            .exists()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    copy_dir(&fixture(), &config.bundle);
    config.email_secret = Some("too-short".into());
    let err = AppState::start(config).await.expect_err("short secret");
    let shown = err.to_string();
    assert!(shown.contains("openssl rand -hex 32"), "{shown}");
    assert!(!shown.contains("too-short"), "{shown}");
}
