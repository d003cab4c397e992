//! `missive signers`: what the coalition does with public co-signatures from the command line:
//! export them (CSV safe to open in a spreadsheet, or JSON) and delete one signer's data on
//! request. Neither creates a database: a mistyped path is an error, not a new empty file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use missive_store::{
    EmailSecret, MissingSecret, SignerSelector, SignerStatus, Store, StoreOptions, export,
};

use crate::cmd::migrate::{DatabaseArg, block_on};

#[derive(Debug, clap::Subcommand)]
pub enum SignersCommand {
    /// Export every co-signer of a letter, pending and confirmed, as CSV or JSON. CSV cells
    /// that a spreadsheet would run as a formula are prefixed with a '.
    Export(ExportArgs),
    /// Delete one signer's data on request, found by email address or by id. Nothing of the
    /// signer remains in the database.
    Delete(DeleteArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The letter's id.
    #[arg(long, value_name = "ID")]
    pub letter: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
    /// Write to this file instead of standard output. It is replaced only once the export is
    /// complete, and readable by its owner only: it holds personal data.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub database: DatabaseArg,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["email", "id"])))]
pub struct DeleteArgs {
    /// The letter's id.
    #[arg(long, value_name = "ID")]
    pub letter: String,
    /// The signer's email address, in any spelling that reaches the same mailbox (case,
    /// +tags, dots in Gmail addresses).
    #[arg(long, value_name = "ADDR")]
    pub email: Option<String>,
    /// The signer's id, as in the first column of an export.
    #[arg(long, value_name = "N")]
    pub id: Option<i64>,
    /// With --email: the config file whose [serve] table may hold `email_secret` (default:
    /// missive.toml in the current folder, if any). The address is matched under the same
    /// secret the server uses: MISSIVE_EMAIL_SECRET, else that `email_secret`, else the file
    /// beside a SQLite database (DATABASE.email-secret).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub database: DatabaseArg,
}

pub fn run(command: SignersCommand) -> Result<u8> {
    match command {
        SignersCommand::Export(args) => run_export(args),
        SignersCommand::Delete(args) => run_delete(args),
    }
}

/// Open an existing database (never create one).
async fn open(database: &DatabaseArg) -> Result<Store> {
    let options = StoreOptions::default()
        .create_if_missing(false)
        .max_connections(1);
    Ok(Store::open_with(&database.url, &options).await?)
}

fn run_export(args: ExportArgs) -> Result<u8> {
    let shown = args.database.shown();
    let signers = block_on(async {
        let store = open(&args.database).await?;
        let signers = store
            .export(&args.letter)
            .await
            .with_context(|| format!("reading the signers of {} from {shown}", args.letter));
        store.close().await;
        signers
    })?;

    let mut bytes = Vec::new();
    match args.format {
        ExportFormat::Csv => export::write_csv(&mut bytes, &signers),
        ExportFormat::Json => export::write_json(&mut bytes, &signers),
    }
    .context("formatting the export")?;
    match &args.out {
        Some(path) => write_replacing(path, &bytes)?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&bytes)
                .and_then(|()| stdout.flush())
                .context("writing the export to standard output")?;
        }
    }

    let confirmed = signers
        .iter()
        .filter(|s| s.status == SignerStatus::Confirmed)
        .count();
    let pending = signers.len() - confirmed;
    let target = match &args.out {
        Some(path) => path.display().to_string(),
        None => "standard output".to_owned(),
    };
    if signers.is_empty() {
        eprintln!(
            "warning: letter {} has no signers in {shown}; check the letter id. \
             Wrote an empty export to {target}.",
            args.letter
        );
    } else {
        eprintln!(
            "Exported {} signer{} of {} ({confirmed} confirmed, {pending} pending) to {target}.",
            signers.len(),
            if signers.len() == 1 { "" } else { "s" },
            args.letter
        );
    }
    Ok(crate::exit::OK)
}

fn run_delete(args: DeleteArgs) -> Result<u8> {
    // clap's "who" group requires exactly one of them.
    if args.email.is_some() == args.id.is_some() {
        bail!("give exactly one of --email ADDR or --id N");
    }
    let configured = match &args.email {
        Some(_) => {
            let file = crate::cmd::serve::config_file(args.config.as_deref())?;
            crate::cmd::serve::email_secret(file.as_ref())
        }
        None => None,
    };
    let shown = args.database.shown();
    let letter = args.letter;
    let deleted = block_on(async {
        let store = open(&args.database).await?;
        let who = match (&args.email, args.id) {
            (Some(address), _) => match email_secret(&store, configured.as_deref()) {
                Ok(secret) => SignerSelector::Email {
                    address: address.clone(),
                    secret,
                },
                Err(err) => {
                    store.close().await;
                    return Err(err);
                }
            },
            (None, Some(id)) => SignerSelector::Id(id),
            (None, None) => bail!("give exactly one of --email ADDR or --id N"),
        };
        let deleted = store
            .delete_signer(&letter, &who)
            .await
            .with_context(|| format!("deleting the signer with {who} of {letter} in {shown}"));
        store.close().await;
        deleted.map(|deleted| (deleted, who))
    })?;
    let (deleted, who) = deleted;
    if deleted == 0 {
        let secret_hint = match who {
            SignerSelector::Email { .. } => {
                " (an address is only found under the email secret the server used when it was \
                 signed)"
            }
            _ => "",
        };
        bail!(
            "no signer of letter {letter} has {who} in {shown}; nothing was deleted. Check the \
             letter id, or find the signer's id with `missive signers export --letter \
             {letter}`{secret_hint}"
        );
    }
    println!(
        "Deleted {deleted} signer{} of letter {letter} ({who}) from {shown}.",
        if deleted == 1 { "" } else { "s" }
    );
    Ok(crate::exit::OK)
}

/// The secret the server keys email duplicate keys with; never a new one (it would match
/// nobody).
fn email_secret(store: &Store, configured: Option<&str>) -> Result<EmailSecret> {
    let (secret, _source) = store
        .email_secret(configured, MissingSecret::Refuse)
        .context(
            "cannot match --email without the server's email secret (or delete by --id N, the \
             first column of `missive signers export`)",
        )?;
    Ok(secret)
}

/// Write `bytes` to `path` through a temporary file in the same folder, renamed over `path`
/// only once complete and synced: an error leaves any earlier file untouched and no partial
/// file behind.
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("--out {} does not name a file", path.display()))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        // Make the rename itself durable; not every platform can sync a folder.
        if let Ok(dir) = fs::File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.with_context(|| format!("could not write {}", path.display()))
}
