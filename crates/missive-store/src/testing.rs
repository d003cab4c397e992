//! Helpers for tests of this crate and of crates that use it: a scratch PostgreSQL database per
//! test run, created under a random name and dropped afterwards (also when the test panics),
//! and the loud skip line printed when no PostgreSQL server is configured.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;

use sqlx::{Connection, PgConnection};

use crate::{StoreError, redact_url};

/// The environment variable naming a PostgreSQL server tests may create databases on, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_ENV: &str = "MISSIVE_TEST_POSTGRES_URL";

/// The admin URL from [`POSTGRES_ENV`], or `None` after printing a loud `SKIPPED` line to
/// stderr naming the test (past the test harness's capture), so a skipped PostgreSQL half
/// never passes silently.
pub fn postgres_url_or_skip(test: &str) -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            // Straight to the stderr handle: the test harness captures `eprintln!` of passing
            // tests, and a skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED (PostgreSQL half of {test}): {POSTGRES_ENV} is not set. \
                 Set it to e.g. postgres://postgres@127.0.0.1:5432/test to run it. ***\n"
            );
            None
        }
    }
}

/// A fresh PostgreSQL database with a random name, dropped when this value is dropped.
#[derive(Debug)]
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Create an empty database on the server `admin_url` points at (its user needs
    /// `CREATEDB`). The new database has no schema: run [`crate::Store::migrate`] on it.
    pub async fn create(admin_url: &str) -> Result<ScratchDatabase, StoreError> {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        let name = format!("missive_test_{:016x}", hasher.finish());
        let mut admin =
            PgConnection::connect(admin_url)
                .await
                .map_err(|err| StoreError::CannotOpen {
                    url: redact_url(admin_url),
                    reason: err.to_string(),
                })?;
        // The name is ours (lowercase hex), never input: safe to splice into the statement.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await?;
        admin.close().await.ok();
        let url = with_database(admin_url, &name);
        Ok(ScratchDatabase {
            admin_url: admin_url.to_owned(),
            name,
            url,
        })
    }

    /// The URL of the scratch database.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop may run inside a runtime (or while unwinding from a panic): use a thread of its
        // own with a runtime of its own. `WITH (FORCE)` ends connections a test left open.
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|err| err.to_string())?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url)
                    .await
                    .map_err(|err| err.to_string())?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await
                .map_err(|err| err.to_string())?;
                admin.close().await.ok();
                Ok(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!(
                "warning: could not drop scratch database {}: {err}",
                self.name
            ),
            Err(_) => eprintln!("warning: dropping scratch database {} panicked", self.name),
        }
    }
}

/// `url` with its database name replaced by `name`, keeping user, host and query parameters.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    // The authority ends at the first '/' after the user information.
    let host_start = rest.rfind('@').map_or(0, |at| at + 1);
    let authority_end = rest[host_start..]
        .find('/')
        .map_or(rest.len(), |slash| host_start + slash);
    let mut out = format!("{scheme}://{}/{name}", &rest[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    #[test]
    fn replaces_only_the_database_name() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/test",
                "postgres://postgres@127.0.0.1:5432/x",
            ),
            (
                "postgres://u:p/w@h/db?sslmode=disable",
                "postgres://u:p/w@h/x?sslmode=disable",
            ),
            ("postgresql://h", "postgresql://h/x"),
            ("postgres://h:5432/", "postgres://h:5432/x"),
        ];
        for (url, want) in cases {
            assert_eq!(with_database(url, "x"), want, "{url}");
        }
    }
}
