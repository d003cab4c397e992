//! Schema migrations, one folder per backend (`migrations/sqlite`, `migrations/postgres`),
//! embedded in the binary so `missive` needs no files beside it. sqlx's migrator applies them
//! and records each in `_sqlx_migrations` (version, checksum), the table the `sqlx` CLI uses.
//! Both folders hold the same versions with the same meaning.

use std::borrow::Cow;
use std::collections::BTreeMap;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::error::migration_error;
use crate::{Backend, Store, StoreError};

/// (version, description, SQL) per backend. Add a file to both folders and a line to both lists.
const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "signers",
        include_str!("../migrations/sqlite/0001_signers.sql"),
    ),
    (
        2,
        "email_keyed",
        include_str!("../migrations/sqlite/0002_email_keyed.sql"),
    ),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "signers",
        include_str!("../migrations/postgres/0001_signers.sql"),
    ),
    (
        2,
        "email_keyed",
        include_str!("../migrations/postgres/0002_email_keyed.sql"),
    ),
];

/// A migration this program knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaMigration {
    pub version: i64,
    pub description: String,
}

/// What [`Store::apply_migrations`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationReport {
    /// Applied by this call, oldest first; empty when the schema was already up to date.
    pub applied: Vec<SchemaMigration>,
    /// The newest migration now in the database.
    pub schema_version: i64,
}

fn migrator(backend: Backend) -> Migrator {
    let list = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    Migrator::with_migrations(
        list.iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// One row of `_sqlx_migrations`.
struct Applied {
    checksum: Vec<u8>,
    success: bool,
}

/// The migrations recorded in the database (empty when it has no migrations table yet).
async fn applied(store: &Store) -> Result<BTreeMap<i64, Applied>, StoreError> {
    let rows: Vec<(i64, Vec<u8>, bool)> = with_writer!(store, |pool, _begin| {
        let exists: bool = match store.backend() {
            Backend::Sqlite => sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master \
                 WHERE type = 'table' AND name = '_sqlx_migrations')",
            )
            .fetch_one(pool)
            .await
            .map_err(StoreError::from)?,
            Backend::Postgres => {
                sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                    .fetch_one(pool)
                    .await
                    .map_err(StoreError::from)?
            }
        };
        if exists {
            sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations")
                .fetch_all(pool)
                .await
                .map_err(StoreError::from)?
        } else {
            Vec::new()
        }
    });
    Ok(rows
        .into_iter()
        .map(|(version, checksum, success)| (version, Applied { checksum, success }))
        .collect())
}

/// Compare the database's migrations with ours; returns how many of ours are not applied.
fn compare(
    store: &Store,
    migrator: &Migrator,
    applied: &BTreeMap<i64, Applied>,
) -> Result<usize, StoreError> {
    let url = store.redacted_url().to_owned();
    for (&version, row) in applied {
        if !row.success {
            return Err(StoreError::SchemaDirty { url, version });
        }
        match migrator.iter().find(|m| m.version == version) {
            None => return Err(StoreError::SchemaNewer { url, version }),
            Some(ours) if *ours.checksum != *row.checksum => {
                return Err(StoreError::SchemaModified { url, version });
            }
            Some(_) => {}
        }
    }
    Ok(migrator
        .iter()
        .filter(|m| !applied.contains_key(&m.version))
        .count())
}

pub(crate) async fn check(store: &Store) -> Result<(), StoreError> {
    let migrator = migrator(store.backend());
    let applied = applied(store).await?;
    match compare(store, &migrator, &applied)? {
        0 => Ok(()),
        pending => Err(StoreError::SchemaOutdated {
            url: store.redacted_url().to_owned(),
            pending,
        }),
    }
}

pub(crate) async fn apply(store: &Store) -> Result<MigrationReport, StoreError> {
    let migrator = migrator(store.backend());
    let before = applied(store).await?;
    // Refuse a newer or modified schema with our own error before sqlx's migrator sees it.
    compare(store, &migrator, &before)?;
    let url = store.redacted_url();
    with_writer!(store, |pool, _begin| migrator
        .run(pool)
        .await
        .map_err(|err| migration_error(url, err)))?;
    let applied = migrator
        .iter()
        .filter(|m| !before.contains_key(&m.version))
        .map(|m| SchemaMigration {
            version: m.version,
            description: m.description.to_string(),
        })
        .collect();
    let schema_version = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    Ok(MigrationReport {
        applied,
        schema_version,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    /// Every file in a migrations folder is listed, in order, with its version; a file added
    /// without a line in the list (or the other way round) fails here.
    #[test]
    fn embedded_lists_match_the_folders() {
        for (folder, list) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(folder);
            let mut files: Vec<String> = std::fs::read_dir(&dir)
                .expect("migrations folder")
                .map(|entry| {
                    entry
                        .expect("dir entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            files.sort();
            let listed: Vec<String> = list
                .iter()
                .map(|(version, description, _)| format!("{version:04}_{description}.sql"))
                .collect();
            assert_eq!(files, listed, "{folder}");
        }
        let versions = |list: &[(i64, &str, &str)]| -> Vec<(i64, String)> {
            list.iter().map(|(v, d, _)| (*v, d.to_string())).collect()
        };
        assert_eq!(
            versions(SQLITE),
            versions(POSTGRES),
            "both backends need the same migrations"
        );
    }
}
