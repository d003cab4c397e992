//! The reader's and signer's view in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven over WebDriver. The page must load with no request to any other
//! host and no console error, the form must sign with script on and with script off, and the
//! count must move.
//!
//! This test does not skip: without chromedriver it fails and says how to install it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::common::demo;
use crate::serve::Server;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver runs in a process group of its own, with the browsers it started: end
        // them all, also when the test failed before closing its sessions.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_chromedriver() -> Driver {
    for tool in [CHROMEDRIVER, CHROMIUM] {
        assert!(
            std::path::Path::new(tool).exists(),
            "{tool} is missing, so the browser test cannot run. Install Debian's packages with \
             `sudo apt-get install chromium chromium-driver` (or run `.ci/run`, which installs \
             everything in .ci/packages.txt)."
        );
    }
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not start listening on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver {
        child,
        url: format!("http://{addr}"),
    }
}

async fn browser(driver: &Driver, profile: &std::path::Path, script: bool) -> Client {
    let mut args = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    if !script {
        args.push("--blink-settings=scriptEnabled=false".into());
    }
    let mut prefs = serde_json::Map::new();
    if !script {
        prefs.insert(
            "profile.managed_default_content_settings.javascript".into(),
            json!(2),
        );
    }
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": args,
            "prefs": prefs,
        },
        "goog:loggingPrefs": { "browser": "ALL", "performance": "ALL" },
    });
    let caps = match caps {
        Value::Object(map) => map,
        _ => unreachable!(),
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// chromedriver's log endpoint (not in W3C WebDriver): `browser` (console) or `performance`
/// (DevTools events, including every network request).
#[derive(Debug)]
struct GetLog(&'static str);

impl WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": self.0 }).to_string()),
        )
    }
}

async fn log(client: &Client, kind: &'static str) -> Vec<Value> {
    match client
        .issue_cmd(GetLog(kind))
        .await
        .expect("read the browser log")
    {
        Value::Array(entries) => entries,
        other => panic!("unexpected log answer: {other}"),
    }
}

/// Every URL the browser requested, from the DevTools network events.
async fn requested_urls(client: &Client) -> Vec<String> {
    let mut urls = Vec::new();
    for entry in log(client, "performance").await {
        let Some(message) = entry["message"].as_str() else {
            continue;
        };
        let Ok(event) = serde_json::from_str::<Value>(message) else {
            continue;
        };
        if event["message"]["method"] == "Network.requestWillBeSent"
            && let Some(url) = event["message"]["params"]["request"]["url"].as_str()
        {
            urls.push(url.to_string());
        }
    }
    urls
}

/// Requests that went over the network to anything but the server. The browser's own pages
/// (`chrome://`, `about:`) and inline `data:` URLs are not network requests.
fn network_requests_elsewhere<'a>(urls: &'a [String], origin: &str) -> Vec<&'a String> {
    urls.iter()
        .filter(|u| {
            let scheme = u.split(':').next().unwrap_or_default();
            !matches!(
                scheme,
                "chrome" | "about" | "data" | "blob" | "chrome-extension" | "devtools"
            ) && !u.starts_with(&format!("{origin}/"))
        })
        .collect()
}

fn console_errors(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn wait_for_text(client: &Client, css: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Ok(element) = client.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
            && text.contains(needle)
        {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in {css} within 40 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn fill_and_submit(client: &Client, name: &str) {
    let field = client
        .wait()
        .for_element(Locator::Css("#m-name"))
        .await
        .expect("the name field");
    field.send_keys(name).await.unwrap();
    client
        .find(Locator::Css("input[name=consent]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("form[data-missive-sign] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[test]
fn the_page_loads_alone_without_errors_and_signs_with_and_without_script() {
    let demo = demo();
    let tmp = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", tmp.path().join("signatures.db").display());
    let server = Server::start(&[
        "--bundle",
        &demo.bundle.display().to_string(),
        "--database",
        &db,
    ]);
    let origin = format!("http://{}", server.addr);
    let driver = start_chromedriver();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    runtime.block_on(async {
        // With script: proof-of-work in the page, the signature sent without leaving it.
        let client = browser(&driver, &tmp.path().join("profile-script"), true).await;
        client.goto(&format!("{origin}/en/")).await.unwrap();
        let before =
            wait_for_text(&client, "[data-missive-count]", "Co-signatures so far: 0").await;
        assert!(before.contains('0'));
        fill_and_submit(&client, "Script Signer").await;
        wait_for_text(&client, "main", "your signature is counted").await;
        // The page refreshes its count from count.json after the next batch.
        wait_for_text(&client, "[data-missive-count]", "Co-signatures so far: 1").await;

        let urls = requested_urls(&client).await;
        assert!(
            urls.iter().any(|u| u.contains("/_missive/challenge")),
            "the script fetched a challenge: {urls:?}"
        );
        let foreign = network_requests_elsewhere(&urls, &origin);
        assert!(foreign.is_empty(), "requests to other hosts: {foreign:?}");
        let resources: Value = client
            .execute(
                "return performance.getEntriesByType('resource').map(e => e.name)\
                 .concat(performance.getEntriesByType('navigation').map(e => e.name));",
                vec![],
            )
            .await
            .unwrap();
        for url in resources.as_array().unwrap() {
            let url = url.as_str().unwrap();
            assert!(
                url.starts_with(&origin),
                "the page loaded {url} from another host"
            );
        }
        let errors = console_errors(&log(&client, "browser").await);
        assert!(errors.is_empty(), "console errors: {errors:?}");
        client.close().await.unwrap();

        // Without script: the form posts, a review page asks to confirm, and that signs.
        let client = browser(&driver, &tmp.path().join("profile-noscript"), false).await;
        client.goto(&format!("{origin}/ko/")).await.unwrap();
        wait_for_text(&client, "[data-missive-count]", "1").await;
        fill_and_submit(&client, "스크립트 없이").await;
        wait_for_text(&client, "h1", "서명을 확인하세요").await;
        // A person reads the review page before pressing the button again.
        tokio::time::sleep(Duration::from_millis(2200)).await;
        client
            .find(Locator::Css("form[data-missive-sign] button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_text(&client, "h1", "감사합니다").await;
        let urls = requested_urls(&client).await;
        assert!(
            !urls.iter().any(|u| u.contains("/_missive/")),
            "no script ran, so no challenge or script was fetched: {urls:?}"
        );
        let foreign = network_requests_elsewhere(&urls, &origin);
        assert!(foreign.is_empty(), "requests to other hosts: {foreign:?}");
        let errors = console_errors(&log(&client, "browser").await);
        assert!(errors.is_empty(), "console errors: {errors:?}");
        assert_eq!(server.wait_for_count(2), 2, "both signatures counted");
        // A reader reloading the page (pages may be cached for a minute; a reload revalidates).
        client.goto(&format!("{origin}/ko/")).await.unwrap();
        client.refresh().await.unwrap();
        wait_for_text(&client, "[data-missive-count]", "2").await;
        client.close().await.unwrap();
    });
}
