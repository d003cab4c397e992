//! Load generator for `bench/serve/run.sh`: signers posting durable signatures as fast as the
//! server acknowledges them (one keep-alive connection each, the script's JSON path), with
//! optional pollers fetching `count.json` at a fixed rate, like readers watching the counter.
//! Traffic goes only to the address given; the run stops by itself.
//!
//! ```text
//! cargo run --release -p missive-server --example loadgen -- \
//!     --url http://127.0.0.1:8080 [--signers 64] [--seconds 10] [--warmup 2] [--lang en] \
//!     [--letter letter-to-soldiers] [--pollers 0] [--poll-interval-ms 1000] [--threads 2]
//! ```
//! Prints one JSON object: acknowledged signatures per second with p50/p99 latency, errors,
//! and the pollers' rate and p99.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

#[derive(Debug, Clone)]
struct Args {
    host: String,
    signers: usize,
    seconds: u64,
    warmup: u64,
    lang: String,
    letter: String,
    pollers: usize,
    poll_interval: Duration,
    threads: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        host: String::new(),
        signers: 64,
        seconds: 10,
        warmup: 2,
        lang: "en".into(),
        letter: "letter-to-soldiers".into(),
        pollers: 0,
        poll_interval: Duration::from_millis(1000),
        threads: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag} needs a whole number, not {v:?}"))
        };
        match flag.as_str() {
            "--url" => {
                let host = value
                    .strip_prefix("http://")
                    .ok_or("--url must start with http:// (traffic stays on this machine)")?;
                args.host = host.trim_end_matches('/').to_string();
            }
            "--signers" => args.signers = number(&value)? as usize,
            "--seconds" => args.seconds = number(&value)?.max(1),
            "--warmup" => args.warmup = number(&value)?,
            "--lang" => args.lang = value,
            "--letter" => args.letter = value,
            "--pollers" => args.pollers = number(&value)? as usize,
            "--poll-interval-ms" => {
                args.poll_interval = Duration::from_millis(number(&value)?.max(1))
            }
            "--threads" => args.threads = number(&value)?.max(1) as usize,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.host.is_empty() {
        return Err("--url http://HOST:PORT is required".into());
    }
    if !(args.host.starts_with("127.")
        || args.host.starts_with("localhost")
        || args.host.starts_with("[::1]"))
    {
        return Err(format!(
            "{} is not this machine; the load generator only targets 127.0.0.1",
            args.host
        ));
    }
    Ok(args)
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
}

impl Conn {
    async fn open(host: &str) -> Result<Conn, String> {
        let stream = TcpStream::connect(host)
            .await
            .map_err(|e| format!("connect {host}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Conn { sender })
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes), String> {
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    }
}

#[derive(Default)]
struct Tally {
    ok: u64,
    errors: u64,
    latencies_us: Vec<u32>,
}

async fn signer(
    args: Arc<Args>,
    id: usize,
    measuring: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> Tally {
    let mut tally = Tally::default();
    let mut conn = match Conn::open(&args.host).await {
        Ok(c) => c,
        Err(err) => {
            eprintln!("signer {id}: {err}");
            tally.errors += 1;
            return tally;
        }
    };
    let path = format!("/{}/sign", args.lang);
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let body = format!(
            "letter={}&name=Bench+Signer+{id}x{i}&affiliation=Load+test&country=Testland&consent=1",
            args.letter
        );
        let request = Request::post(&path)
            .header("host", &args.host)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string());
        let started = Instant::now();
        let result = match request {
            Ok(request) => conn.send(request).await,
            Err(err) => Err(err),
        };
        let elapsed = started.elapsed();
        let counted = measuring.load(Ordering::Relaxed);
        match result {
            Ok((status, body)) if status == StatusCode::OK && body.starts_with(b"{") => {
                if counted {
                    tally.ok += 1;
                    tally
                        .latencies_us
                        .push(elapsed.as_micros().min(u128::from(u32::MAX)) as u32);
                }
            }
            Ok((status, body)) => {
                if counted {
                    tally.errors += 1;
                }
                if tally.errors < 3 {
                    eprintln!("signer {id}: {status} {}", String::from_utf8_lossy(&body));
                }
            }
            Err(err) => {
                tally.errors += 1;
                eprintln!("signer {id}: {err}; reconnecting");
                tokio::time::sleep(Duration::from_millis(50)).await;
                match Conn::open(&args.host).await {
                    Ok(c) => conn = c,
                    Err(_) => return tally,
                }
            }
        }
    }
    tally
}

async fn poller(
    args: Arc<Args>,
    id: usize,
    measuring: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> Tally {
    let mut tally = Tally::default();
    // Spread the pollers over one interval, as independent readers would be.
    let offset = args
        .poll_interval
        .mul_f64(id as f64 / args.pollers.max(1) as f64);
    tokio::time::sleep(offset).await;
    let mut conn = match Conn::open(&args.host).await {
        Ok(c) => c,
        Err(_) => {
            tally.errors += 1;
            return tally;
        }
    };
    let mut tick = tokio::time::interval(args.poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let request = Request::get("/count.json")
            .header("host", &args.host)
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string());
        let started = Instant::now();
        let result = match request {
            Ok(request) => conn.send(request).await,
            Err(err) => Err(err),
        };
        let counted = measuring.load(Ordering::Relaxed);
        match result {
            Ok((StatusCode::OK, _)) if counted => {
                tally.ok += 1;
                tally
                    .latencies_us
                    .push(started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
            }
            Ok(_) if counted => tally.errors += 1,
            Ok(_) => {}
            Err(_) => {
                tally.errors += 1;
                match Conn::open(&args.host).await {
                    Ok(c) => conn = c,
                    Err(_) => return tally,
                }
            }
        }
    }
    tally
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

fn merge(tallies: Vec<Tally>) -> Tally {
    let mut all = Tally::default();
    for t in tallies {
        all.ok += t.ok;
        all.errors += t.errors;
        all.latencies_us.extend(t.latencies_us);
    }
    all.latencies_us.sort_unstable();
    all
}

fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => Arc::new(a),
        Err(err) => {
            eprintln!("loadgen: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(err) => {
            eprintln!("loadgen: no runtime: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    let report = runtime.block_on(async {
        let measuring = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let mut pollers = Vec::new();
        for id in 0..args.pollers {
            pollers.push(tokio::spawn(poller(
                args.clone(),
                id,
                measuring.clone(),
                stop.clone(),
            )));
        }
        let mut signers = Vec::new();
        for id in 0..args.signers {
            signers.push(tokio::spawn(signer(
                args.clone(),
                id,
                measuring.clone(),
                stop.clone(),
            )));
        }
        tokio::time::sleep(Duration::from_secs(args.warmup)).await;
        measuring.store(true, Ordering::Relaxed);
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        measuring.store(false, Ordering::Relaxed);
        let seconds = started.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let mut sign_tallies = Vec::new();
        for s in signers {
            sign_tallies.push(s.await.unwrap_or_default());
        }
        let mut poll_tallies = Vec::new();
        for p in pollers {
            poll_tallies.push(p.await.unwrap_or_default());
        }
        let signs = merge(sign_tallies);
        let polls = merge(poll_tallies);
        serde_json::json!({
            "signers": args.signers,
            "pollers": args.pollers,
            "poll_interval_ms": args.poll_interval.as_millis() as u64,
            "seconds": (seconds * 100.0).round() / 100.0,
            "signatures": signs.ok,
            "signatures_per_second": (signs.ok as f64 / seconds).round() as u64,
            "p50_ms": percentile(&signs.latencies_us, 50.0),
            "p99_ms": percentile(&signs.latencies_us, 99.0),
            "errors": signs.errors,
            "polls": polls.ok,
            "polls_per_second": (polls.ok as f64 / seconds).round() as u64,
            "poll_p99_ms": percentile(&polls.latencies_us, 99.0),
            "poll_errors": polls.errors,
        })
    });
    println!("{report}");
    std::process::ExitCode::SUCCESS
}
