//! The store's one error type. Database errors are classified here, at the boundary, into
//! outcomes callers can act on (not found, conflict, unavailable, schema to migrate); nothing
//! upstream string-matches a database message. No message carries a password: URLs are redacted.

use sqlx::error::ErrorKind;
use sqlx::migrate::MigrateError;

use crate::email::InvalidEmail;

/// What went wrong in the store, and what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No signer matches the token or id (wrong link, or withdrawn / deleted).
    #[error("no such signer: the link may be wrong, or the signature was withdrawn or deleted")]
    NotFound,

    /// A write broke a uniqueness rule other than the per-letter email key (which is an
    /// outcome, [`crate::InsertOutcome::DuplicateEmail`], not an error). Nothing was written.
    #[error("conflicting write, nothing was stored: {0}")]
    Conflict(String),

    /// The database cannot serve the request right now (connection lost, busy, disk full,
    /// shutting down). Nothing was committed; retrying later may succeed.
    #[error(
        "the signature database is unavailable ({0}); nothing was committed. Check that it is running, reachable and has disk space, then retry"
    )]
    Unavailable(sqlx::Error),

    /// The database could not be opened at all.
    #[error("cannot open the signature database {url}: {reason}")]
    CannotOpen { url: String, reason: String },

    /// The PostgreSQL schema is missing or older than this program (migrations are never
    /// applied implicitly there).
    #[error(
        "the signature database {url} needs its schema created or updated ({pending} migration(s) not applied); run `missive migrate --database URL` first"
    )]
    SchemaOutdated { url: String, pending: usize },

    /// The database was migrated by a newer release: this one does not know its schema.
    #[error(
        "the signature database {url} was migrated by a newer version of missive (schema migration {version} is unknown to this one); upgrade missive"
    )]
    SchemaNewer { url: String, version: i64 },

    /// A migration recorded as applied differs from the one built into this program.
    #[error(
        "schema migration {version} recorded in the signature database {url} differs from the one built into missive: the schema was changed outside missive. Restore the database from a backup, or compare the migrations table by hand"
    )]
    SchemaModified { url: String, version: i64 },

    /// A migration failed part-way (PostgreSQL applies each in a transaction, so this is rare).
    #[error(
        "schema migration {version} of the signature database {url} failed part-way; fix the schema by hand and remove that row from _sqlx_migrations, then run `missive migrate` again"
    )]
    SchemaDirty { url: String, version: i64 },

    /// A migration could not be applied.
    #[error("migrating the signature database {url} failed: {reason}")]
    Migration { url: String, reason: String },

    /// The URL names no supported database, or cannot be parsed.
    #[error("invalid database URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// An email address given to select a signer is malformed.
    #[error(transparent)]
    InvalidEmail(#[from] InvalidEmail),

    /// The secret of the email duplicate keys is missing, unreadable or unusable; the message
    /// says where it was looked for and how to provide one. It never quotes the secret.
    #[error("{0}")]
    EmailSecret(String),

    /// A stored row cannot be read back (edited by hand, or written by a buggy program).
    #[error("signer row {id} in the signature database is unreadable: {what}")]
    CorruptRow { id: i64, what: String },

    /// Any other database error: a bug in missive, or a schema edited by hand.
    #[error("unexpected database error: {0}")]
    Database(sqlx::Error),
}

impl StoreError {
    /// True when the same request may succeed later (the database was busy or unreachable).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        classify(err)
    }
}

/// Classify a driver error into an outcome.
pub(crate) fn classify(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => StoreError::Unavailable(err),
        sqlx::Error::Database(db) => {
            if db.kind() == ErrorKind::UniqueViolation {
                StoreError::Conflict(db.message().to_owned())
            } else if db_error_is_transient(db.as_ref()) {
                StoreError::Unavailable(err)
            } else {
                StoreError::Database(err)
            }
        }
        _ => StoreError::Database(err),
    }
}

fn db_error_is_transient(db: &dyn sqlx::error::DatabaseError) -> bool {
    let Some(code) = db.code() else {
        return false;
    };
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // Extended result code; the primary code is its low byte.
        // https://www.sqlite.org/rescode.html
        const BUSY: i64 = 5;
        const LOCKED: i64 = 6;
        const READONLY: i64 = 8;
        const IOERR: i64 = 10;
        const FULL: i64 = 13;
        const CANTOPEN: i64 = 14;
        let primary = code.parse::<i64>().map(|c| c & 0xff).unwrap_or(0);
        matches!(primary, BUSY | LOCKED | READONLY | IOERR | FULL | CANTOPEN)
    } else {
        // PostgreSQL SQLSTATE: connection exceptions, insufficient resources, operator
        // intervention (shutdown), serialization failures and deadlocks, read-only standby.
        // https://www.postgresql.org/docs/current/errcodes-appendix.html
        code.starts_with("08")
            || code.starts_with("53")
            || code.starts_with("57")
            || code == "40001"
            || code == "40P01"
            || code == "25006"
    }
}

/// Map a migration error, naming the database by its redacted URL.
pub(crate) fn migration_error(url: &str, err: MigrateError) -> StoreError {
    let url = url.to_owned();
    match err {
        MigrateError::VersionMissing(version) => StoreError::SchemaNewer { url, version },
        MigrateError::VersionMismatch(version) => StoreError::SchemaModified { url, version },
        MigrateError::Dirty(version) => StoreError::SchemaDirty { url, version },
        MigrateError::Execute(err) | MigrateError::ExecuteMigration(err, _) => {
            match classify(err) {
                StoreError::Database(err) => StoreError::Migration {
                    url,
                    reason: err.to_string(),
                },
                other => other,
            }
        }
        other => StoreError::Migration {
            url,
            reason: other.to_string(),
        },
    }
}
