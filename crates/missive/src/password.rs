//! Passwords for organization secret keys: from `MISSIVE_KEY_PASSWORD`, or asked on the
//! terminal. Never echoed, logged or printed.

use std::io::IsTerminal;

use anyhow::{Context, Result, bail};
use missive_core::Password;

pub const ENV: &str = "MISSIVE_KEY_PASSWORD";

fn from_env() -> Result<Option<Password>> {
    match std::env::var(ENV) {
        Ok(value) if value.is_empty() => bail!("{ENV} is set but empty; give the key's password"),
        Ok(value) => Ok(Some(Password::new(value))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{ENV} is not valid UTF-8"),
    }
}

fn require_terminal(what: &str) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!("{what}: no terminal to ask for a password; set {ENV}");
    }
    Ok(())
}

/// The password for a new secret key: from the environment, or asked twice.
pub fn for_new_key() -> Result<Password> {
    if let Some(password) = from_env()? {
        return Ok(password);
    }
    require_terminal("cannot protect the new secret key")?;
    let first = rpassword::prompt_password("Password for the new secret key: ")
        .context("could not read the password")?;
    if first.is_empty() {
        bail!("an empty password protects nothing; use --unencrypted if you really mean it");
    }
    let second = rpassword::prompt_password("The same password again: ")
        .context("could not read the password")?;
    if first != second {
        bail!("the two passwords differ; nothing was written");
    }
    Ok(Password::new(first))
}

/// The password to open an existing secret key.
pub fn for_existing_key(path: &std::path::Path) -> Result<Password> {
    if let Some(password) = from_env()? {
        return Ok(password);
    }
    require_terminal(&format!("{} is password-protected", path.display()))?;
    let password = rpassword::prompt_password(format!("Password for {}: ", path.display()))
        .context("could not read the password")?;
    Ok(Password::new(password))
}
