//! The access log holds no client address unless the operator turns it on, and never a link
//! token. A test binary of its own: it installs the process-wide log subscriber, which the
//! parallel tests in `tests/it` must not share.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::sync::{Arc, Mutex};

use helpers::{start, start_with};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

#[tokio::test]
async fn the_access_log_holds_no_address_unless_turned_on() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .init();

    let server = start().await;
    server
        .get_with("/ko/", &[("x-test-ip", "203.0.113.77")])
        .await;
    server
        .get_with("/ko/edit/abcdef0123", &[("x-test-ip", "203.0.113.77")])
        .await;
    let log = buffer.take();
    assert!(
        log.contains("path=/ko/"),
        "an access line was written: {log}"
    );
    assert!(
        !log.contains("203.0.113.77"),
        "no address by default: {log}"
    );
    assert!(
        !log.contains("abcdef0123"),
        "link tokens never reach the log: {log}"
    );

    let server = start_with(|c| c.log_client_addresses = true).await;
    server
        .get_with("/ko/", &[("x-test-ip", "203.0.113.77")])
        .await;
    let log = buffer.take();
    assert!(
        log.contains("client=203.0.113.77"),
        "the address when turned on: {log}"
    );
}
