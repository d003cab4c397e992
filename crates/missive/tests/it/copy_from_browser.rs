//! Text copied out of a published page in Chromium verifies as AUTHENTIC: the page's text
//! content (what select-all + copy gives) carries the letter and its signatures intact.
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{demo, fixture, run_with_stdin};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_chromedriver() -> (Driver, u16) {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| {
            panic!("chromedriver is required for the browser tests ({err}): apt-get install chromium chromium-driver (.ci/run installs them)")
        });
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (Driver(child), port)
}

async fn page_texts(port: u16, pages: &[String]) -> Vec<(String, String)> {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }),
    );
    let client =
        fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");
    let mut texts = Vec::new();
    for page in pages {
        client
            .goto(&format!("file://{page}"))
            .await
            .expect("open the page");
        // innerText is what select-all + copy puts on the clipboard.
        let text = client
            .execute("return document.body.innerText;", vec![])
            .await
            .expect("read the page text");
        texts.push((page.clone(), text.as_str().unwrap_or_default().to_owned()));
    }
    client.close().await.expect("close the session");
    texts
}

#[test]
fn text_copied_from_the_page_in_chromium_is_authentic() {
    let d = demo();
    // The demo in four languages, and a letter using every Markdown construct.
    let subset = fixture("markdown-subset");
    subset.publish("feed");
    let subset_roster = subset.at("coalition/roster.toml");
    let mut pages: Vec<(String, String)> = ["ko", "en", "ru", "uk"]
        .iter()
        .map(|lang| {
            let page = d.bundle.join(lang).join("index.html").display().to_string();
            (page, d.roster_arg())
        })
        .collect();
    for lang in ["ko", "en"] {
        pages.push((
            subset.at(&format!("bundle/{lang}/index.html")),
            subset_roster.clone(),
        ));
    }
    let paths: Vec<String> = pages.iter().map(|(p, _)| p.clone()).collect();
    let (_driver, port) = start_chromedriver();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let texts = runtime.block_on(page_texts(port, &paths));
    for ((page, text), (_, roster)) in texts.into_iter().zip(&pages) {
        assert!(text.contains("BEGIN MISSIVE SIGNATURES"), "{page}: {text}");
        let out = run_with_stdin(&["verify", "-", "--roster", roster], &text);
        assert_eq!(out.code, 0, "{page}:\n{}", out.stdout);
        assert!(
            out.verdict().starts_with("AUTHENTIC"),
            "{page}:\n{}",
            out.stdout
        );
        // The navigation above the letter is reported as not part of it.
        assert!(out.stdout.contains("NOT part of"), "{}", out.stdout);
    }
}
