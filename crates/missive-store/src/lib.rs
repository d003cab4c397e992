//! Public co-signatures of letters, stored in SQLite (the embedded default) or PostgreSQL
//! behind one narrow interface; the backend is chosen by the URL scheme.
//!
//! Invariants: a write returns `Ok` only after its commit is durable (SQLite in WAL mode with
//! `synchronous=FULL`, PostgreSQL with `synchronous_commit` on); withdrawing or deleting a
//! signer removes the row; no IP address is ever stored; timestamps are integer milliseconds.
//! See `docs/STORAGE.md` for the schema and the URL forms.

/// Run `$body` with `$pool` bound to the pool that takes writes, and `$begin` to the statement
/// that opens a write transaction. The body is written once and type-checked per backend.
macro_rules! with_writer {
    ($store:expr, |$pool:ident, $begin:ident| $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite { writer: $pool, .. } => {
                // Take the write lock at BEGIN, so a transaction never has to upgrade a read
                // lock (which SQLite may refuse without waiting).
                #[allow(unused_variables)]
                let $begin = "BEGIN IMMEDIATE";
                $body
            }
            $crate::Pools::Postgres { writer: $pool, .. } => {
                #[allow(unused_variables)]
                let $begin = "BEGIN";
                $body
            }
        }
    };
}

/// Run `$body` with `$pool` bound to the pool for reads.
macro_rules! with_reader {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite { reader: $pool, .. } => $body,
            $crate::Pools::Postgres { reader: $pool, .. } => $body,
        }
    };
}

pub mod email;
mod error;
pub mod export;
mod schema;
mod secret;
mod signers;
pub mod testing;
mod url;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::Connection;
use sqlx::postgres::{PgPool, PgPoolOptions, PgSslMode};
use sqlx::sqlite::{SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use crate::email::EmailSecret;
pub use crate::error::StoreError;
pub use crate::schema::{MigrationReport, SchemaMigration};
pub use crate::secret::{EmailSecretSource, MissingSecret, SECRET_FILE_SUFFIX};
pub use crate::url::{backend_of, redact_url, scrub as scrub_url_secrets};

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// How to open a store. Build it from `StoreOptions::default()` and the setters.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StoreOptions {
    /// Connections for reads. Writes have their own: one on SQLite (it has one writer at a
    /// time), a small separate pool on PostgreSQL, so a flood of reads (the public list) can
    /// never take the connection the signature writer needs. Default 8.
    pub max_connections: u32,
    /// Create a SQLite file that does not exist yet (default true). The CLI's export and
    /// delete turn this off so a mistyped path is an error, not a new empty database.
    pub create_if_missing: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 8,
            create_if_missing: true,
        }
    }
}

impl StoreOptions {
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    pub fn create_if_missing(mut self, create: bool) -> Self {
        self.create_if_missing = create;
        self
    }
}

/// A handle on the signature database. Cheap to clone (the pools are shared).
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    /// The URL with any password redacted, for messages.
    url: String,
    /// The database file, on SQLite (the email secret file lives beside it).
    sqlite_path: Option<PathBuf>,
}

#[derive(Clone)]
enum Pools {
    /// SQLite allows one writer at a time: every write goes through the single `writer`
    /// connection, queued fairly by the pool, instead of many connections spinning on the
    /// busy handler. Reads use `reader` connections, which WAL lets run beside the writer.
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    /// Writes (and the reads that must see every commit) use `writer`, a few connections of
    /// their own; everything else uses `reader`. However many readers wait, the signature
    /// writer always finds a connection.
    Postgres { writer: PgPool, reader: PgPool },
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// How long a SQLite connection waits for another process's write lock (the CLI deleting a
/// signer while the server runs) before reporting the database as busy.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long opening a PostgreSQL store waits for the server to answer.
const POSTGRES_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections reserved for writes on PostgreSQL: the group-commit writer needs one, the
/// signers' confirmations and edits share the rest.
const POSTGRES_WRITE_CONNECTIONS: u32 = 3;

impl Store {
    /// Open the database named by `url`:
    /// - `sqlite:PATH` or `sqlite://PATH`: the file is created on first run, put in WAL mode
    ///   with `synchronous=FULL`, and migrated on open.
    /// - `postgres://…` or `postgresql://…`: never migrated implicitly; a missing or older
    ///   schema is [`StoreError::SchemaOutdated`] (run `missive migrate`).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, &StoreOptions::default()).await
    }

    /// [`Store::open`] with options.
    pub async fn open_with(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        let store = Store::connect_with(url, options).await?;
        match store.backend() {
            Backend::Sqlite => store.migrate().await?,
            Backend::Postgres => store.check_schema().await?,
        }
        Ok(store)
    }

    /// Connect without checking or migrating the schema: for `missive migrate`, which must
    /// reach a database whose schema is missing or old.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Store::connect_with(url, &StoreOptions::default()).await
    }

    /// [`Store::connect`] with options.
    pub async fn connect_with(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        let shown = redact_url(url.trim());
        // Driver messages may quote the URL: scrub its secrets from every reason.
        let cannot_open = |reason: String| StoreError::CannotOpen {
            url: shown.clone(),
            reason: url::scrub(&reason, url),
        };
        let mut sqlite_path = None;
        let pools = match url::parse(url)? {
            url::Target::Sqlite(connect) => {
                if is_in_memory(url) {
                    return Err(StoreError::InvalidUrl {
                        url: shown,
                        reason: "an in-memory database loses every signature when the program \
                                 stops; use sqlite:PATH"
                            .into(),
                    });
                }
                let path = connect.get_filename().to_path_buf();
                sqlite_path = Some(path.clone());
                if !options.create_if_missing && !path.exists() {
                    return Err(cannot_open(format!(
                        "there is no file {}; check the path, or run `missive migrate` to create \
                         the database",
                        path.display()
                    )));
                }
                let connect = connect
                    .create_if_missing(options.create_if_missing)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true);
                let sqlite_hint = |err: sqlx::Error| {
                    cannot_open(format!(
                        "{err}; check that the folder of {} exists and is writable",
                        path.display()
                    ))
                };
                // A local file cannot go stale like a network connection: skip the ping
                // before every acquire, a round trip to the connection's thread per write.
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .connect_with(connect.clone())
                    .await
                    .map_err(sqlite_hint)?;
                let reader = SqlitePoolOptions::new()
                    .max_connections(options.max_connections.max(1))
                    .test_before_acquire(false)
                    .connect_with(connect)
                    .await
                    .map_err(sqlite_hint)?;
                Pools::Sqlite { writer, reader }
            }
            url::Target::Postgres(connect) => {
                let tls_required = matches!(
                    connect.get_ssl_mode(),
                    PgSslMode::Require | PgSslMode::VerifyCa | PgSslMode::VerifyFull
                );
                let pg_hint = |err: String| {
                    let tls_hint = if tls_required {
                        ", and that sslmode and sslrootcert fit the server's certificate"
                    } else {
                        ""
                    };
                    cannot_open(format!(
                        "{err}; check that PostgreSQL is running and reachable, the user, \
                         password and database name in the URL{tls_hint}"
                    ))
                };
                // One plain connection first: the pool would retry a refused connection until
                // its acquire timeout, leaving a mistyped port silent for half a minute.
                let probe = tokio::time::timeout(
                    POSTGRES_CONNECT_TIMEOUT,
                    sqlx::PgConnection::connect_with(&connect),
                )
                .await
                .map_err(|_| {
                    pg_hint(format!(
                        "no answer within {} seconds",
                        POSTGRES_CONNECT_TIMEOUT.as_secs()
                    ))
                })?
                .map_err(|err| pg_hint(err.to_string()))?;
                probe.close().await.ok();
                let writer = PgPoolOptions::new()
                    .max_connections(POSTGRES_WRITE_CONNECTIONS)
                    .after_connect(|conn, _meta| Box::pin(ensure_durable_commits(conn)))
                    .connect_with(connect.clone())
                    .await
                    .map_err(|err| pg_hint(err.to_string()))?;
                let reader = PgPoolOptions::new()
                    .max_connections(options.max_connections.max(1))
                    .connect_with(connect)
                    .await
                    .map_err(|err| pg_hint(err.to_string()))?;
                Pools::Postgres { writer, reader }
            }
        };
        Ok(Store {
            pools,
            url: shown,
            sqlite_path,
        })
    }

    /// Apply the migrations this program knows and the database lacks.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.apply_migrations().await.map(|_| ())
    }

    /// [`Store::migrate`], reporting what was applied (for `missive migrate`).
    pub async fn apply_migrations(&self) -> Result<MigrationReport, StoreError> {
        schema::apply(self).await
    }

    /// Fail unless the schema is exactly the one this program knows (PostgreSQL's check on
    /// open; SQLite migrates instead).
    pub async fn check_schema(&self) -> Result<(), StoreError> {
        schema::check(self).await
    }

    /// The durability settings in force on the connection that commits writes, read back from
    /// the database (e.g. `journal_mode=wal synchronous=full`, `synchronous_commit=on`), for
    /// the server's startup log and for tests.
    pub async fn durability(&self) -> Result<String, StoreError> {
        Ok(match &self.pools {
            Pools::Sqlite { writer, .. } => {
                let mut conn = writer.acquire().await?;
                let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
                    .fetch_one(&mut *conn)
                    .await?;
                let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                    .fetch_one(&mut *conn)
                    .await?;
                let synchronous = match synchronous {
                    0 => "off",
                    1 => "normal",
                    2 => "full",
                    3 => "extra",
                    _ => "unknown",
                };
                format!(
                    "journal_mode={} synchronous={synchronous}",
                    journal.to_lowercase()
                )
            }
            Pools::Postgres { writer, .. } => {
                let setting: String =
                    sqlx::query_scalar("SELECT current_setting('synchronous_commit')")
                        .fetch_one(writer)
                        .await?;
                format!("synchronous_commit={setting}")
            }
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The database URL with any password redacted, for messages and logs.
    pub fn redacted_url(&self) -> &str {
        &self.url
    }

    /// Close every connection, waiting for those in use to be returned. Call at shutdown so
    /// SQLite checkpoints its WAL; later calls on any clone fail as unavailable.
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Pools::Postgres { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
        }
    }
}

fn is_in_memory(url: &str) -> bool {
    let rest = url.trim().get("sqlite:".len()..).unwrap_or_default();
    let rest = rest.trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    path == ":memory:" || query.split('&').any(|p| p == "mode=memory")
}

/// An operator may have turned `synchronous_commit` off server-wide for speed; a signature is
/// acknowledged only when durable, so such a session is switched back on. Stronger settings
/// (`remote_write`, `remote_apply`, `local`) are kept.
async fn ensure_durable_commits(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    let setting: String = sqlx::query_scalar("SELECT current_setting('synchronous_commit')")
        .fetch_one(&mut *conn)
        .await?;
    if setting == "off" {
        sqlx::query("SET synchronous_commit = on")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// SHA-256 of a secret token (confirmation or edit link). Only the hash is stored, so a copy
/// of the database does not hold working links. `Debug` shows a short prefix only.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// The hash of a secret as sent to the signer (e.g. the token in a link).
    pub fn of_secret(secret: &[u8]) -> TokenHash {
        TokenHash(Sha256::digest(secret).into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(")?;
        for byte in &self.0[..4] {
            write!(f, "{byte:02x}")?;
        }
        f.write_str("…)")
    }
}

/// A signature to store.
#[derive(Clone, Debug)]
pub struct NewSigner {
    pub letter: String,
    pub lang: String,
    /// `None`: "count me, don't show my name".
    pub name: Option<String>,
    pub affiliation: Option<String>,
    pub country: Option<String>,
    /// `email::key(&secret, &email::normalize(..)?)`: unique per letter; a second signer with
    /// the same key gets [`InsertOutcome::DuplicateEmail`]. The address itself has no field:
    /// the store never keeps it.
    pub email_key: Option<[u8; 32]>,
    /// `None`: counted at once (confirmed, `confirmed_at = created_at`).
    pub confirmation: Option<PendingConfirmation>,
    pub edit_token: TokenHash,
    pub created_at: jiff::Timestamp,
}

/// The email confirmation a new signer still owes.
#[derive(Clone, Debug)]
pub struct PendingConfirmation {
    pub token: TokenHash,
    /// Confirming at or after this instant is [`ConfirmOutcome::Expired`].
    pub expires_at: jiff::Timestamp,
}

/// What became of one signer of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InsertOutcome {
    Stored {
        id: i64,
    },
    /// The letter already has a signer with this email key (stored earlier, or earlier in
    /// the same batch) that is confirmed or still within its confirmation window.
    DuplicateEmail,
}

/// What a confirmation attempt did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Confirmed { id: i64, letter: String },
    AlreadyConfirmed,
    Expired,
    NotFound,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignerStatus {
    /// Waiting for email confirmation; not counted.
    Pending,
    /// Counted.
    Confirmed,
}

/// A stored signer, as the coalition sees it (export) and the signer sees it (edit page).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Signer {
    pub id: i64,
    pub letter: String,
    pub lang: String,
    pub name: Option<String>,
    pub affiliation: Option<String>,
    pub country: Option<String>,
    /// Whether the signer gave an email address (only its keyed hash is kept).
    pub email_given: bool,
    pub status: SignerStatus,
    pub created_at: jiff::Timestamp,
    pub confirmed_at: Option<jiff::Timestamp>,
}

/// New values for a signer's public fields; replaces all three (`None` clears; a `None`
/// name hides the signer from the public list but keeps them counted).
#[derive(Clone, Debug)]
pub struct SignerUpdate {
    pub name: Option<String>,
    pub affiliation: Option<String>,
    pub country: Option<String>,
}

/// One entry of the public list of names.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PublicSigner {
    pub name: String,
    pub affiliation: Option<String>,
    pub country: Option<String>,
    pub confirmed_at: jiff::Timestamp,
}

/// Which signer of a letter to delete on request.
#[derive(Clone, Debug)]
pub enum SignerSelector {
    Id(i64),
    /// Matched through `email::normalize` and `email::key` under the same secret the server
    /// used ([`Store::email_secret`]), so any spelling of the address that normalizes the
    /// same way finds the signer.
    Email {
        address: String,
        secret: EmailSecret,
    },
}

impl fmt::Display for SignerSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignerSelector::Id(id) => write!(f, "id {id}"),
            SignerSelector::Email { address, .. } => write!(f, "email {address}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    #[test]
    fn token_hash_debug_shows_only_a_prefix() {
        let token = TokenHash([0xab; 32]);
        let shown = format!("{token:?}");
        assert_eq!(shown, "TokenHash(abababab…)");
    }

    #[test]
    fn token_hash_of_secret_is_sha256() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        let hash = TokenHash::of_secret(b"abc");
        assert_eq!(hash.0[..4], [0xba, 0x78, 0x16, 0xbf]);
    }

    /// The signature writer must find a connection however many reads are waiting: hold every
    /// reader connection, and a write still commits.
    #[tokio::test]
    async fn postgres_writes_do_not_wait_for_readers() {
        let Some(admin) = testing::postgres_url_or_skip("postgres_writes_do_not_wait_for_readers")
        else {
            return;
        };
        let scratch = testing::ScratchDatabase::create(&admin)
            .await
            .expect("scratch");
        Store::connect(scratch.url())
            .await
            .expect("connect")
            .migrate()
            .await
            .expect("migrate");
        let store = Store::open_with(scratch.url(), &StoreOptions::default().max_connections(2))
            .await
            .expect("open");
        let Pools::Postgres { reader, .. } = &store.pools else {
            panic!("a PostgreSQL store");
        };
        let held = [
            reader.acquire().await.expect("reader 1"),
            reader.acquire().await.expect("reader 2"),
        ];
        let signer = NewSigner {
            letter: "letter".into(),
            lang: "en".into(),
            name: Some("Ann".into()),
            affiliation: None,
            country: None,
            email_key: None,
            confirmation: None,
            edit_token: TokenHash::of_secret(b"ann"),
            created_at: jiff::Timestamp::now(),
        };
        let written = tokio::time::timeout(
            Duration::from_secs(5),
            store.insert_batch(std::slice::from_ref(&signer)),
        )
        .await
        .expect("the write did not wait for the readers")
        .expect("stored");
        assert!(matches!(written[0], InsertOutcome::Stored { .. }));
        drop(held);
        assert_eq!(store.count("letter").await.expect("count"), 1);
        store.close().await;
    }

    #[test]
    fn in_memory_urls_are_recognized() {
        assert!(is_in_memory("sqlite::memory:"));
        assert!(is_in_memory("sqlite://:memory:"));
        assert!(is_in_memory("sqlite://x.db?mode=memory"));
        assert!(!is_in_memory("sqlite:memory.db"));
    }
}
