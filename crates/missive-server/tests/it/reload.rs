//! Re-publishing while readers read: the new bundle is picked up without a restart, and no
//! request in between gets an error. A broken re-publish keeps the old bundle served.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::helpers::*;

/// Replaces the bundle folder the way `missive publish` does: build beside it, then rename.
fn republish(bundle: &std::path::Path, new_title: &str) {
    let parent = bundle.parent().unwrap();
    let staging = parent.join(".public.new");
    let old = parent.join(".public.old");
    copy_dir(bundle, &staging);
    let page = staging.join("en/index.html");
    let original = std::fs::read_to_string(fixture().join("en/index.html")).unwrap();
    let html = original.replace("A letter to the soldiers", new_title);
    std::fs::write(&page, html).unwrap();
    let manifest = staging.join("bundle.toml");
    let toml = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("version = 1", "version = 2");
    std::fs::write(&manifest, toml).unwrap();
    std::fs::rename(bundle, &old).unwrap();
    std::fs::rename(&staging, bundle).unwrap();
    std::fs::remove_dir_all(&old).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_republish_is_served_without_errors_in_between() {
    let server = start().await;
    let state = server.state.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::new();
    for _ in 0..4 {
        let state = state.clone();
        let stop = stop.clone();
        let served = served.clone();
        readers.push(tokio::spawn(async move {
            let mut bad = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                for path in ["/en/", "/count.json", "/en/letter.txt", "/"] {
                    let reply = send(&state, Request::get(path).body(Body::empty()).unwrap()).await;
                    if reply.status.is_client_error() || reply.status.is_server_error() {
                        bad.push((path, reply.status));
                    }
                    served.fetch_add(1, Ordering::Relaxed);
                }
                // Requests answered from memory never wait: let the other tasks run.
                tokio::task::yield_now().await;
            }
            bad
        }));
    }
    for round in 0..5 {
        tokio::time::sleep(Duration::from_millis(60)).await;
        republish(&server.bundle, &format!("Republished letter {round}"));
    }
    let mut seen_new = false;
    for _ in 0..100 {
        let page = server.get("/en/").await.text();
        if page.contains("Republished letter 4") {
            seen_new = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        let bad = reader.await.unwrap();
        assert!(bad.is_empty(), "errors during the swap: {bad:?}");
    }
    assert!(seen_new, "the re-published page was picked up");
    assert!(served.load(Ordering::Relaxed) > 20, "readers kept reading");
    let count = server.get("/count.json").await.json();
    assert_eq!(count["version"], 2);
}

#[tokio::test]
async fn a_broken_republish_keeps_the_old_bundle() {
    let server = start().await;
    let before = server.get("/en/").await;
    let parent = server.bundle.parent().unwrap();
    let staging = parent.join(".public.new");
    copy_dir(&server.bundle, &staging);
    std::fs::write(staging.join("en/index.html"), "<html>no marker here</html>").unwrap();
    let old = parent.join(".public.old");
    std::fs::rename(&server.bundle, &old).unwrap();
    std::fs::rename(&staging, &server.bundle).unwrap();
    let err = server.state.reload_if_changed().await.unwrap_err();
    assert!(err.to_string().contains("missive:sign-form"), "{err}");
    let after = server.get("/en/").await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.raw, before.raw);
}
