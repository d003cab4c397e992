//! `missive serve` as an operator runs it: the real binary on a free port, driven over TCP.
//! Includes the crash test: SIGKILL in the middle of a signing load, restart, and every
//! acknowledged signature is there — on SQLite, and on PostgreSQL when
//! `MISSIVE_TEST_POSTGRES_URL` is set.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::demo;

/// A `missive serve` process; killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// The first line printed: `missive: serving … on http://ADDR/ (…)`.
    pub banner: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `missive serve ARGS --addr 127.0.0.1:0` and waits for the address it prints.
    pub fn start(args: &[&str]) -> Server {
        Server::start_with_env(args, &[])
    }

    /// [`Server::start`] with environment variables set.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_missive"))
            .arg("serve")
            .args(args)
            .args(["--addr", "127.0.0.1:0"])
            .env_remove("MISSIVE_DATABASE_URL")
            .env_remove("MISSIVE_LOG")
            .env_remove("MISSIVE_EMAIL_SECRET")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start missive serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let mut pipe = child.stderr.take().unwrap();
            let stderr = stderr.clone();
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                stderr.lock().unwrap().push_str(&text);
            });
        }
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = match lines.next() {
            Some(Ok(line)) => line,
            _ => {
                let status = child.wait().unwrap();
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "missive serve did not start ({status}):\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        Server {
            child,
            addr,
            banner: first,
            stderr,
        }
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        request(self.addr, "GET", path, headers, b"")
    }

    pub fn post_form(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
        let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        request(self.addr, "POST", path, &all, body.as_bytes())
    }

    pub fn count(&self) -> u64 {
        let reply = self.get("/count.json", &[]);
        let json: serde_json::Value =
            serde_json::from_slice(&reply.body).expect("count.json is JSON");
        json["count"].as_u64().expect("a count")
    }

    /// Waits for the public count to reach `n` (it is refreshed in batches).
    pub fn wait_for_count(&self, n: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let count = self.count();
            if count >= n || Instant::now() > deadline {
                return count;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response read off the wire.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request on its own connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    try_request(addr, method, path, headers, body)
        .unwrap_or_else(|err| panic!("{method} {path}: {err}"))
}

pub fn try_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers (the connection was cut)"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let body = raw[split + 4..].to_vec();
    if let Some(len) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        && method != "HEAD"
        && status != 304
        && body.len() != len
    {
        return Err(std::io::Error::other("the body was cut short"));
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn form_token(html: &str) -> Option<String> {
    let marker = "name=\"form_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite:{}", dir.join("signatures.db").display())
}

#[test]
fn serve_answers_readers_and_signers_over_tcp_with_production_settings() {
    let demo = demo();
    let tmp = tempfile::tempdir().unwrap();
    let db = sqlite_url(tmp.path());
    let server = Server::start(&[
        "--bundle",
        &demo.bundle.display().to_string(),
        "--database",
        &db,
    ]);

    assert!(
        server
            .banner
            .contains("durable writes: journal_mode=wal synchronous=full"),
        "{}",
        server.banner
    );
    assert!(
        tmp.path().join("signatures.db.email-secret").is_file(),
        "the email secret is made beside the database"
    );

    let page = server.get("/ko/", &[("Accept-Encoding", "gzip, br")]);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-encoding"), Some("br"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(page.header("set-cookie").is_none());

    let root = server.get("/", &[("Accept-Language", "uk-UA,uk;q=0.9,en;q=0.5")]);
    assert_eq!(root.status, 307);
    assert_eq!(root.header("location"), Some("/uk/"));
    assert_eq!(server.count(), 0);

    // Sign without script, as a browser would: review, wait like a person, send again.
    let fields = "letter=letter-to-soldiers&name=Ana+Lima&country=Brasil&consent=1";
    let review = server.post_form("/en/sign", fields, &[]);
    assert_eq!(review.status, 200, "{}", review.text());
    let token = form_token(&review.text()).expect("a form token on the review page");
    std::thread::sleep(Duration::from_millis(2100)); // the production minimum time-to-fill
    let signed = server.post_form("/en/sign", &format!("{fields}&form_token={token}"), &[]);
    assert_eq!(signed.status, 200, "{}", signed.text());
    assert!(signed.text().contains("/en/edit/"), "a private edit link");
    assert_eq!(server.wait_for_count(1), 1);

    // Bad input over the wire: a clear 4xx, nothing written.
    let junk = request(
        server.addr,
        "POST",
        "/en/sign",
        &[("content-type", "text/plain")],
        b"hello",
    );
    assert_eq!(junk.status, 415);
    let too_big = "a".repeat(100_000);
    let big = server.post_form("/en/sign", &too_big, &[]);
    assert_eq!(big.status, 413);
    assert_eq!(server.count(), 1);

    // SIGTERM: a clean stop.
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut server = server;
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status}: {}", server.stderr());
}

#[test]
fn serve_explains_a_missing_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_missive"))
        .args(["serve", "--bundle"])
        .arg(tmp.path().join("nothing"))
        .args([
            "--database",
            &sqlite_url(tmp.path()),
            "--addr",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bundle.toml") && stderr.contains("missive publish"),
        "{stderr}"
    );
}

/// Signs from `threads` threads until the server stops answering; returns the acknowledged
/// names. The server is killed with SIGKILL once `kill_after` signatures were acknowledged.
fn sign_until_killed(server: &mut Server, threads: usize, kill_after: usize) -> Vec<String> {
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let dead = Arc::new(AtomicBool::new(false));
    let addr = server.addr;
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let acked = acked.clone();
            let dead = dead.clone();
            std::thread::spawn(move || {
                let mut failures = 0;
                for i in 0.. {
                    if dead.load(Ordering::Relaxed) && failures > 0 {
                        break;
                    }
                    let name = format!("Crash Test {t}x{i}");
                    let body = format!(
                        "letter=letter-to-soldiers&name={}&consent=1",
                        name.replace(' ', "+")
                    );
                    let reply = try_request(
                        addr,
                        "POST",
                        "/en/sign",
                        &[
                            ("content-type", "application/x-www-form-urlencoded"),
                            ("accept", "application/json"),
                        ],
                        body.as_bytes(),
                    );
                    match reply {
                        Ok(r) if r.status == 200 && r.text().contains("\"ok\":true") => {
                            acked.lock().unwrap().push(name);
                        }
                        Ok(r) if r.status < 500 && r.status != 200 => {
                            panic!("refused: {} {}", r.status, r.text())
                        }
                        _ => {
                            failures += 1;
                            if failures > 50 {
                                break;
                            }
                            std::thread::sleep(Duration::from_millis(10));
                        }
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < kill_after && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    // SIGKILL: no chance to flush or say goodbye.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    dead.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= kill_after,
        "only {} signatures were acknowledged before the deadline",
        acked.len()
    );
    acked
}

fn stored_names(url: &str) -> HashSet<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = missive_store::Store::open(url).await.unwrap();
        let signers = store.export("letter-to-soldiers").await.unwrap();
        store.close().await;
        signers.into_iter().filter_map(|s| s.name).collect()
    })
}

fn crash_and_restart(db: &str, env: &[(&str, &str)]) {
    let demo = demo();
    let bundle = demo.bundle.display().to_string();
    let args = ["--bundle", &bundle, "--database", db, "--load-test"];
    let mut server = Server::start_with_env(&args, env);
    let acked = sign_until_killed(&mut server, 16, 1000);
    drop(server);

    let restarted = Server::start_with_env(&args, env);
    let count = restarted.wait_for_count(acked.len() as u64);
    assert!(
        count >= acked.len() as u64,
        "count {count} < {} acknowledged",
        acked.len()
    );
    drop(restarted);
    let stored = stored_names(db);
    let lost: Vec<_> = acked.iter().filter(|n| !stored.contains(*n)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged signatures were lost: {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    eprintln!(
        "crash test: {} acknowledged, {} stored (the rest were in flight, never acknowledged)",
        acked.len(),
        stored.len()
    );
}

#[test]
fn sigkill_mid_surge_loses_no_acknowledged_signature_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    crash_and_restart(&sqlite_url(tmp.path()), &[]);
}

#[test]
fn sigkill_mid_surge_loses_no_acknowledged_signature_on_postgres() {
    let Some(admin) = missive_store::testing::postgres_url_or_skip(
        "sigkill_mid_surge_loses_no_acknowledged_signature_on_postgres",
    ) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let scratch = runtime
        .block_on(missive_store::testing::ScratchDatabase::create(&admin))
        .expect("create a scratch PostgreSQL database");
    let url = scratch.url().to_string();
    let migrated = Command::new(env!("CARGO_BIN_EXE_missive"))
        .args(["migrate", "--database", &url])
        .output()
        .unwrap();
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    // PostgreSQL has no place beside the database for the email secret: without one the
    // server refuses to start and says how to make one.
    let out = Command::new(env!("CARGO_BIN_EXE_missive"))
        .args(["serve", "--bundle"])
        .arg(&demo().bundle)
        .args(["--database", &url, "--addr", "127.0.0.1:0"])
        .env_remove("MISSIVE_EMAIL_SECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("MISSIVE_EMAIL_SECRET") && stderr.contains("openssl rand -hex 32"),
        "{stderr}"
    );
    crash_and_restart(
        &url,
        &[(
            "MISSIVE_EMAIL_SECRET",
            "crash-test-secret-0123456789abcdef0123456789",
        )],
    );
    drop(scratch);
}

#[test]
fn serve_reads_its_config_file_and_refuses_unknown_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("missive.toml");
    std::fs::write(&config, "[serve]\nbundel = \"public\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_missive"))
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bundel") && stderr.contains("missive.toml"),
        "{stderr}"
    );

    // A good file is used, and flags win over it.
    let demo = demo();
    std::fs::write(
        &config,
        format!(
            "[other]\nleft = \"alone\"\n[serve]\nbundle = {:?}\ndatabase = {:?}\nonion = \"fileonionfileonion.onion\"\n",
            demo.bundle.display().to_string(),
            sqlite_url(tmp.path()),
        ),
    )
    .unwrap();
    let server = Server::start(&[
        "--config",
        &config.display().to_string(),
        "--onion",
        "flagonionflagonion.onion",
    ]);
    let page = server.get("/en/", &[]);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("onion-location"),
        Some("http://flagonionflagonion.onion/en/")
    );
}

#[test]
fn email_confirmation_refuses_to_start_without_a_public_url() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_missive"))
        .args(["serve", "--bundle"])
        .arg(&demo().bundle)
        .args(["--database", &sqlite_url(tmp.path()), "--confirm-email"])
        .args(["--smtp-url", "smtps://me:hunter2@mail.example.org:465"])
        .args(["--addr", "127.0.0.1:0"])
        .env_remove("MISSIVE_PUBLIC_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("public_url") && stderr.contains("--public-url"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
