//! Small helpers the commands share: reading keys and rosters with errors that name the file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use missive_core::letter::read_text;
use missive_core::{PublicKey, Roster, SecretKey};

use crate::password;

pub fn read_file(path: &Path) -> Result<String> {
    Ok(read_text(path)?)
}

pub fn load_roster(path: &Path) -> Result<Roster> {
    let file = roster_file(path);
    if !file.is_file() {
        anyhow::bail!(
            "roster {} not found: create one with `missive roster new`",
            file.display()
        );
    }
    let text = read_file(&file)?;
    Roster::parse(&text).with_context(|| format!("in {}", file.display()))
}

/// A roster path may name the file or a bundle folder holding `roster.toml`.
pub fn roster_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("roster.toml")
    } else {
        path.to_owned()
    }
}

pub fn load_public_key(path: &Path) -> Result<PublicKey> {
    let text = read_file(path)?;
    PublicKey::from_file_text(&text).with_context(|| format!("in {}", path.display()))
}

pub fn load_secret_key(path: &Path) -> Result<SecretKey> {
    let text = read_file(path)?;
    let encrypted = SecretKey::file_is_encrypted(&text)
        .with_context(|| format!("{} is not a usable secret key", path.display()))?;
    let password = if encrypted {
        Some(password::for_existing_key(path)?)
    } else {
        None
    };
    SecretKey::from_file_text(&text, password.as_ref())
        .with_context(|| format!("could not open {}", path.display()))
}

/// Writes a file that must not exist yet.
pub fn write_new(path: &Path, contents: &[u8], secret: bool) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(|err| {
        if err.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists; refusing to overwrite it",
                path.display()
            )
        } else {
            anyhow::Error::new(err).context(format!("could not create {}", path.display()))
        }
    })?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("could not write {}", path.display()))
}

/// Replaces a file through a temporary file and a rename.
pub fn replace_file(path: &Path, contents: &[u8]) -> Result<()> {
    Ok(missive_core::signing::write_atomically(path, contents)?)
}
