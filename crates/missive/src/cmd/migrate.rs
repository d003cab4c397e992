//! `missive migrate`: create or update the signature database's schema. SQLite is also
//! migrated whenever the server opens it; PostgreSQL only here, so a schema change happens
//! when the operator says so. Also home of the `--database` flag the `signers` commands share.

use std::fmt;
use std::future::Future;

use anyhow::{Context, Result};
use missive_store::{Store, redact_url};

/// The signature database, as a URL. `Debug` redacts a password in it.
#[derive(clap::Args)]
pub struct DatabaseArg {
    /// The signature database: sqlite:PATH (a file, created by `migrate` or the server if
    /// missing) or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE.
    #[arg(
        long = "database",
        value_name = "URL",
        env = "MISSIVE_DATABASE_URL",
        default_value = "sqlite:missive.db",
        hide_env_values = true
    )]
    pub url: String,
}

impl DatabaseArg {
    /// The URL with any password replaced by `***`, for messages.
    pub fn shown(&self) -> String {
        redact_url(&self.url)
    }
}

impl fmt::Debug for DatabaseArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseArg")
            .field("url", &self.shown())
            .finish()
    }
}

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub database: DatabaseArg,
}

pub fn run(args: MigrateArgs) -> Result<u8> {
    let shown = args.database.shown();
    block_on(async {
        // `connect`, not `open`: opening PostgreSQL refuses a schema that needs migrating.
        let store = Store::connect(&args.database.url).await?;
        let report = store
            .apply_migrations()
            .await
            .with_context(|| format!("migrating {shown}"));
        store.close().await;
        let report = report?;
        if report.applied.is_empty() {
            println!(
                "{shown}: already up to date (schema version {}); nothing to do.",
                report.schema_version
            );
        } else {
            let names: Vec<String> = report
                .applied
                .iter()
                .map(|m| format!("{:04}_{}", m.version, m.description))
                .collect();
            println!(
                "{shown}: applied {} migration{} ({}); schema version is now {}.",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                names.join(", "),
                report.schema_version
            );
        }
        Ok(crate::exit::OK)
    })
}

/// Run one database command to completion on a small runtime of its own.
pub(crate) fn block_on<T>(work: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")?
        .block_on(work)
}
