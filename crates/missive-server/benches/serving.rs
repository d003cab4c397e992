//! In-process costs of the hot paths, without sockets: answering a page request from memory
//! through the whole router (negotiation, headers, middleware), and taking one signature
//! through validation and the group-commit writer on SQLite. End-to-end figures over TCP are
//! `bench/serve/run.sh`'s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use missive_server::{AbuseConfig, AppState, ServerConfig};
use tower::ServiceExt;

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bundle");
    let mut config = ServerConfig::new(
        &fixture,
        format!("sqlite:{}", dir.path().join("s.db").display()),
    );
    config.abuse = AbuseConfig::load_test();
    let state = runtime
        .block_on(AppState::start(config))
        .expect("server state");
    let app = missive_server::router(state);

    c.bench_function("GET /en/ (brotli) through the router", |b| {
        b.to_async(&runtime).iter(|| {
            let app = app.clone();
            async move {
                let request = Request::get("/en/")
                    .header("accept-encoding", "gzip, deflate, br")
                    .body(Body::empty())
                    .unwrap();
                let response = app.oneshot(request).await.unwrap();
                assert!(response.status().is_success());
                axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap()
            }
        });
    });

    let n = AtomicU64::new(0);
    c.bench_function("POST /en/sign, durable, one at a time", |b| {
        b.to_async(&runtime).iter(|| {
            let app = app.clone();
            let i = n.fetch_add(1, Ordering::Relaxed);
            async move {
                let body = format!("letter=letter-to-soldiers&name=Bench+{i}&consent=1");
                let request = Request::post("/en/sign")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("accept", "application/json")
                    .body(Body::from(body))
                    .unwrap();
                let response = app.oneshot(request).await.unwrap();
                assert!(response.status().is_success());
            }
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
