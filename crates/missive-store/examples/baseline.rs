//! Bare-database baseline for signature intake: rows per second written durably through
//! `Store::insert_batch` (batches of 1 and 100 from 64 concurrent tasks) and through bare sqlx
//! statements on the same schema (one row per transaction, and 100 rows per transaction), on
//! SQLite (WAL, synchronous=FULL) and PostgreSQL. Prints a Markdown table; run by
//! `bench/intake-baseline/run.sh`, which files it in docs/BENCHMARKS.md.
//!
//! ```text
//! cargo run --release -p missive-store --example baseline -- \
//!     [--seconds 5] [--store-tasks 64] [--sqlite-dir target/intake-baseline] \
//!     [--postgres URL] [--only sqlite|postgres]
//! ```
//! `--postgres` (or `MISSIVE_TEST_POSTGRES_URL`) names a server on which a scratch database is
//! created and dropped afterwards; without it the PostgreSQL rows are skipped.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use missive_store::testing::{POSTGRES_ENV, ScratchDatabase};
use missive_store::{Backend, NewSigner, Store, StoreError, StoreOptions, TokenHash, email};
use sqlx::{Connection, PgConnection, SqliteConnection};

/// Concurrent signers for the Store scenarios (the issue's load: 64 concurrent signers).
const STORE_TASKS: usize = 64;
/// Clients for bare PostgreSQL (the issue's anchor: single-row inserts from 16 clients).
const PG_BARE_CLIENTS: usize = 16;
/// Store connections on PostgreSQL.
const PG_POOL: u32 = 16;

const INSERT_ONE: &str = "INSERT INTO signers (letter, lang, name, affiliation, country, \
     email_key, edit_token, confirm_token, confirm_expires_at_ms, created_at_ms, confirmed_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

struct Args {
    seconds: u64,
    store_tasks: usize,
    sqlite_dir: PathBuf,
    postgres: Option<String>,
    only: Option<Backend>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 5,
        store_tasks: STORE_TASKS,
        sqlite_dir: PathBuf::from("target/intake-baseline"),
        postgres: std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty()),
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => {
                args.seconds = value()?
                    .parse()
                    .map_err(|_| "--seconds needs a whole number".to_owned())?;
            }
            "--store-tasks" => {
                args.store_tasks = value()?
                    .parse()
                    .map_err(|_| "--store-tasks needs a whole number".to_owned())?;
            }
            "--sqlite-dir" => args.sqlite_dir = PathBuf::from(value()?),
            "--postgres" => args.postgres = Some(value()?),
            "--only" => {
                args.only = Some(match value()?.as_str() {
                    "sqlite" => Backend::Sqlite,
                    "postgres" => Backend::Postgres,
                    other => return Err(format!("--only sqlite|postgres, not {other}")),
                });
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// The email secret of the benchmark's keys (a fixed value: nothing real is keyed with it).
static SECRET: std::sync::LazyLock<email::EmailSecret> = std::sync::LazyLock::new(|| {
    match email::EmailSecret::from_text("baseline-benchmark-secret-0123456789abcdef") {
        Ok(secret) => secret,
        Err(reason) => panic!("the benchmark's fixed secret is refused: {reason}"),
    }
});

/// A fresh, unique signer (every one with an email, so the per-letter email index works).
fn signer(n: u64) -> NewSigner {
    let address = format!("signer{n}@example.org");
    NewSigner {
        letter: "baseline".into(),
        lang: "en".into(),
        name: Some(format!("Signer {n}")),
        affiliation: Some("Baseline".into()),
        country: Some("KR".into()),
        email_key: email::normalize(&address)
            .ok()
            .map(|a| email::key(&SECRET, &a)),
        confirmation: None,
        edit_token: TokenHash::of_secret(&n.to_le_bytes()),
        created_at: jiff::Timestamp::now(),
    }
}

/// Rows per second and per-call latency of one scenario.
struct Measured {
    rows: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Measured {
    fn line(mut self, backend: &str, path: &str, batch: usize, concurrency: usize) -> String {
        self.latencies.sort();
        let pct = |p: f64| -> f64 {
            if self.latencies.is_empty() {
                return 0.0;
            }
            let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
            self.latencies[i].as_secs_f64() * 1000.0
        };
        let rate = self.rows as f64 / self.elapsed.as_secs_f64();
        format!(
            "| {backend} | {path} | {batch} | {concurrency} | {rate:.0} | {:.2} | {:.2} |",
            pct(0.5),
            pct(0.99)
        )
    }
}

/// Run `workers` copies of `call` until `seconds` pass; each call writes `batch` rows.
async fn drive<F, Fut>(workers: usize, seconds: u64, batch: usize, call: F) -> Measured
where
    F: Fn(Vec<NewSigner>) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(), StoreError>> + Send,
{
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let rows = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut handles = Vec::new();
    for _ in 0..workers {
        let call = call.clone();
        let rows = rows.clone();
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let first = NEXT.fetch_add(batch as u64, Ordering::Relaxed);
                let signers: Vec<NewSigner> = (first..first + batch as u64).map(signer).collect();
                let t = Instant::now();
                if let Err(err) = call(signers).await {
                    eprintln!("error: {err}");
                    break;
                }
                latencies.push(t.elapsed());
                rows.fetch_add(batch as u64, Ordering::Relaxed);
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for handle in handles {
        if let Ok(mut l) = handle.await {
            latencies.append(&mut l);
        }
    }
    Measured {
        rows: rows.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        latencies,
    }
}

/// Bare sqlx on one connection: `batch` single-row INSERTs in one transaction. A macro, so the
/// same statements run on a `SqliteConnection` and a `PgConnection`.
macro_rules! bare_insert {
    ($conn:expr, $signers:expr) => {{
        async {
            let mut tx = $conn.begin().await?;
            for s in $signers {
                let ms = s.created_at.as_millisecond();
                sqlx::query(INSERT_ONE)
                    .bind(s.letter.as_str())
                    .bind(s.lang.as_str())
                    .bind(s.name.as_deref())
                    .bind(s.affiliation.as_deref())
                    .bind(s.country.as_deref())
                    .bind(s.email_key.as_ref().map(|k| k.as_slice()))
                    .bind(s.edit_token.0.as_slice())
                    .bind(None::<&[u8]>)
                    .bind(None::<i64>)
                    .bind(ms)
                    .bind(Some(ms))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
        .await
        .map_err(|err: sqlx::Error| StoreError::from(err))
    }};
}

async fn store_scenario(
    url: &str,
    options: &StoreOptions,
    args: &Args,
    batch: usize,
) -> Result<Measured, StoreError> {
    let store = Store::open_with(url, options).await?;
    let measured = drive(args.store_tasks, args.seconds, batch, {
        let store = store.clone();
        move |signers: Vec<NewSigner>| {
            let store = store.clone();
            async move { store.insert_batch(&signers).await.map(|_| ()) }
        }
    })
    .await;
    store.close().await;
    Ok(measured)
}

async fn sqlite(
    args: &Args,
    out: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Result<(), StoreError> {
    std::fs::create_dir_all(&args.sqlite_dir).map_err(|err| StoreError::CannotOpen {
        url: args.sqlite_dir.display().to_string(),
        reason: err.to_string(),
    })?;
    let fresh = |name: &str| -> String {
        let path = args.sqlite_dir.join(name);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        format!("sqlite:{}", path.display())
    };

    for batch in [1, 100] {
        // Same schema, same durability, one connection: SQLite has one writer at a time.
        let url = fresh(&format!("bare-{batch}.db"));
        Store::open(&url).await?.close().await;
        let options = format!("{url}?mode=rw");
        let mut conn = SqliteConnection::connect(&options).await?;
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&mut conn)
            .await?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut conn)
            .await?;
        let conn = Arc::new(tokio::sync::Mutex::new(conn));
        let measured = drive(1, args.seconds, batch, move |signers: Vec<NewSigner>| {
            let conn = conn.clone();
            async move {
                let mut conn = conn.lock().await;
                bare_insert!(conn, &signers)
            }
        })
        .await;
        out.push(measured.line("SQLite", "bare sqlx", batch, 1));
    }
    for batch in [1, 100] {
        let url = fresh(&format!("store-{batch}.db"));
        if batch == 1 {
            let store = Store::open(&url).await?;
            notes.push(format!(
                "- SQLite: {}, files in `{}`",
                store.durability().await?,
                args.sqlite_dir.display()
            ));
            store.close().await;
        }
        let measured = store_scenario(&url, &StoreOptions::default(), args, batch).await?;
        out.push(measured.line("SQLite", "Store::insert_batch", batch, args.store_tasks));
    }
    Ok(())
}

async fn postgres(
    admin_url: &str,
    args: &Args,
    out: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Result<(), StoreError> {
    let scratch = ScratchDatabase::create(admin_url).await?;
    let url = scratch.url().to_owned();
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let version: String = {
        let mut conn = PgConnection::connect(&url).await?;
        let version = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut conn)
            .await?;
        conn.close().await?;
        version
    };
    notes.push(format!(
        "- PostgreSQL {version}: {}, scratch database on the server `{}` names",
        store.durability().await?,
        missive_store::redact_url(admin_url)
    ));
    store.close().await;
    let truncate = || async {
        let mut conn = PgConnection::connect(&url).await?;
        sqlx::query("TRUNCATE signers").execute(&mut conn).await?;
        conn.close().await?;
        Ok::<(), StoreError>(())
    };

    for batch in [1, 100] {
        truncate().await?;
        let mut conns = Vec::new();
        for _ in 0..PG_BARE_CLIENTS {
            conns.push(Arc::new(tokio::sync::Mutex::new(
                PgConnection::connect(&url).await?,
            )));
        }
        // Each worker takes the next idle connection; with as many workers as connections,
        // every worker effectively owns one.
        let pool = Arc::new(conns);
        let next = Arc::new(AtomicU64::new(0));
        let measured = drive(PG_BARE_CLIENTS, args.seconds, batch, {
            let pool = pool.clone();
            move |signers: Vec<NewSigner>| {
                let pool = pool.clone();
                let next = next.clone();
                async move {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize % pool.len();
                    let mut conn = pool[i].lock().await;
                    bare_insert!(conn, &signers)
                }
            }
        })
        .await;
        out.push(measured.line("PostgreSQL", "bare sqlx", batch, PG_BARE_CLIENTS));
    }
    for batch in [1, 100] {
        truncate().await?;
        let options = StoreOptions::default().max_connections(PG_POOL);
        let measured = store_scenario(&url, &options, args, batch).await?;
        out.push(measured.line("PostgreSQL", "Store::insert_batch", batch, args.store_tasks));
    }
    drop(scratch);
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let mut notes = Vec::new();
    let mut out = vec![
        "| backend | path | rows per transaction | concurrent writers | rows/s | p50 ms per call | p99 ms per call |".to_owned(),
        "|---|---|---:|---:|---:|---:|---:|".to_owned(),
    ];
    if args.only != Some(Backend::Postgres)
        && let Err(err) = sqlite(&args, &mut out, &mut notes).await
    {
        eprintln!("error: SQLite baseline failed: {err}");
        return ExitCode::from(2);
    }
    if args.only != Some(Backend::Sqlite) {
        match &args.postgres {
            Some(admin_url) => {
                if let Err(err) = postgres(admin_url, &args, &mut out, &mut notes).await {
                    eprintln!("error: PostgreSQL baseline failed: {err}");
                    return ExitCode::from(2);
                }
            }
            None => {
                eprintln!("SKIPPED PostgreSQL: pass --postgres URL or set {POSTGRES_ENV}");
                out.push("| PostgreSQL | skipped: no server given | | | | | |".to_owned());
            }
        }
    }
    for line in out {
        println!("{line}");
    }
    println!();
    for line in notes {
        println!("{line}");
    }
    ExitCode::SUCCESS
}
