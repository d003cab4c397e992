//! Where the secret of the email duplicate keys ([`EmailSecret`]) comes from. It is never kept
//! in the database, so a copy of the database alone cannot be used to test addresses.
//!
//! Resolution, the same for the server and for `missive signers delete --email`: a configured
//! value (`email_secret` in `[serve]`, or `MISSIVE_EMAIL_SECRET`) wins; otherwise, on SQLite,
//! the file `<database path>.email-secret` beside the database (made on first use by the
//! server: 32 random bytes in hex, mode 0600, written atomically and never replaced); on
//! PostgreSQL there is no such place, so a configured value is required.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::email::EmailSecret;
use crate::{Store, StoreError};

/// Appended to the SQLite database path to name its secret file: `signatures.db` keeps its
/// secret in `signatures.db.email-secret`.
pub const SECRET_FILE_SUFFIX: &str = ".email-secret";

/// Where a store's email secret came from (for the server's startup log and for messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmailSecretSource {
    /// The operator's configured value.
    Configured,
    /// Read from the secret file beside the SQLite database.
    File(PathBuf),
    /// Made just now and written to the secret file beside the SQLite database.
    Created(PathBuf),
}

/// Whether [`Store::email_secret`] may create the secret file when there is none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingSecret {
    /// Make one (the server, which is about to key new signatures).
    Create,
    /// Report an error (the CLI: a new secret could match no stored signer).
    Refuse,
}

impl Store {
    /// The secret for email duplicate keys, resolved as the module explains. `configured` is
    /// the operator's value, if any (already layered: config file, then environment).
    pub fn email_secret(
        &self,
        configured: Option<&str>,
        missing: MissingSecret,
    ) -> Result<(EmailSecret, EmailSecretSource), StoreError> {
        if let Some(text) = configured {
            let secret = EmailSecret::from_text(text).map_err(|reason| {
                StoreError::EmailSecret(format!(
                    "the configured email secret (`email_secret` in missive.toml or \
                     MISSIVE_EMAIL_SECRET) is not usable: {reason}"
                ))
            })?;
            return Ok((secret, EmailSecretSource::Configured));
        }
        let Some(db) = &self.sqlite_path else {
            return Err(StoreError::EmailSecret(format!(
                "no email secret is configured for the PostgreSQL database {}. Email duplicate \
                 keys are keyed with a secret kept outside the database: set \
                 MISSIVE_EMAIL_SECRET (or `email_secret` in the [serve] table of missive.toml) \
                 to a random value, e.g. the output of `openssl rand -hex 32`, and keep it with \
                 your configuration backups",
                self.url
            )));
        };
        let path = secret_path(db);
        match fs::read_to_string(&path) {
            Ok(text) => {
                let secret = EmailSecret::from_text(&text).map_err(|reason| {
                    StoreError::EmailSecret(format!(
                        "the email secret file {} holds no usable secret ({reason}); restore it \
                         from a backup, or remove it to have a new one made (which forgets who \
                         signed with which address)",
                        path.display()
                    ))
                })?;
                Ok((secret, EmailSecretSource::File(path)))
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => match missing {
                MissingSecret::Refuse => Err(StoreError::EmailSecret(format!(
                    "there is no email secret file {} beside the database {}, and no secret is \
                     configured: give the secret the server uses (MISSIVE_EMAIL_SECRET, or \
                     `email_secret` in the [serve] table of missive.toml), or check the \
                     database path",
                    path.display(),
                    self.url
                ))),
                MissingSecret::Create => {
                    let (text, created) = create_secret_file(&path).map_err(|err| {
                        StoreError::EmailSecret(format!(
                            "cannot write the email secret file {}: {err}; check that its \
                             folder is writable, or configure MISSIVE_EMAIL_SECRET",
                            path.display()
                        ))
                    })?;
                    let secret = EmailSecret::from_text(&text).map_err(|reason| {
                        StoreError::EmailSecret(format!(
                            "the email secret file {} holds no usable secret ({reason}); remove \
                             it to have a new one made",
                            path.display()
                        ))
                    })?;
                    let source = if created {
                        EmailSecretSource::Created(path)
                    } else {
                        EmailSecretSource::File(path)
                    };
                    Ok((secret, source))
                }
            },
            Err(err) => Err(StoreError::EmailSecret(format!(
                "cannot read the email secret file {}: {err}; check its owner and permissions",
                path.display()
            ))),
        }
    }
}

/// `<db>.email-secret`, beside the database file.
fn secret_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(SECRET_FILE_SUFFIX);
    PathBuf::from(name)
}

/// Write a new random secret to `path` unless one is already there. The text goes to a
/// temporary file (owner-only, synced) that is then hard-linked to `path`: the link either
/// appears complete or fails because another process made the file first, whose secret is
/// then used. Returns the secret text and whether this call made it.
fn create_secret_file(path: &Path) -> io::Result<(String, bool)> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| io::Error::other(format!("no randomness: {err}")))?;
    let text = format!("{}\n", hex::encode(bytes));
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> io::Result<bool> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        let created = match fs::hard_link(&temp, path) {
            Ok(()) => true,
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => false,
            Err(err) => return Err(err),
        };
        // Make the new name durable; not every platform can sync a folder.
        if let Ok(dir) = fs::File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(created)
    })();
    let _ = fs::remove_file(&temp);
    match written? {
        true => Ok((text, true)),
        false => Ok((fs::read_to_string(path)?, false)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    #[test]
    fn the_secret_file_is_made_once_owner_only_and_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = secret_path(&dir.path().join("signatures.db"));
        assert_eq!(
            path.file_name().and_then(|n| n.to_str()),
            Some("signatures.db.email-secret")
        );
        let (first, created) = create_secret_file(&path).expect("create");
        assert!(created);
        assert_eq!(first.trim().len(), 64, "32 bytes in hex");
        assert!(EmailSecret::from_text(&first).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A second attempt (another process racing) keeps the first secret.
        let (second, created) = create_secret_file(&path).expect("second");
        assert!(!created);
        assert_eq!(second, first);
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .expect("read dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
    }
}
