//! `missive serve`: serve a published bundle and take public co-signatures.
//!
//! Configuration is layered: built-in defaults, then the `[serve]` table of the config file
//! (`missive.toml` when present, or `--config`), then `MISSIVE_*` environment variables, then
//! flags. Unknown keys in `[serve]` are refused; the SMTP URL (it holds a password) and the
//! email secret are never printed. The email secret has no flag (a command line is visible to
//! every user of the machine): `email_secret` in the file, or `MISSIVE_EMAIL_SECRET`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use missive_server::{AbuseConfig, ConfirmationMode, MailTransport, ServerConfig};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The published bundle folder (made by `missive publish … --out DIR`).
    #[arg(long, env = "MISSIVE_BUNDLE", value_name = "DIR")]
    pub bundle: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, env = "MISSIVE_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,
    /// The signature database: sqlite:PATH (created on first run) or postgres://… (run
    /// `missive migrate` first). Default sqlite:missive.db.
    #[arg(
        long,
        env = "MISSIVE_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// A config file with a [serve] table. Default: missive.toml in the current folder, if any.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The public address readers use (for links in confirmation mail), e.g.
    /// https://letter.example.org/
    #[arg(long, env = "MISSIVE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// An onion address; every response then carries an Onion-Location header.
    #[arg(long, env = "MISSIVE_ONION", value_name = "HOST.onion")]
    pub onion: Option<String>,
    /// Require an email address and count a signature only once its link is confirmed.
    #[arg(long)]
    pub confirm_email: bool,
    /// Folder where confirmation mail is written as .eml files (the default transport).
    #[arg(long, env = "MISSIVE_OUTBOX", value_name = "DIR")]
    pub outbox: Option<PathBuf>,
    /// Send confirmation mail through SMTP instead of the outbox:
    /// smtps://USER:PASSWORD@HOST:465 or smtp://USER:PASSWORD@HOST:587?tls=required
    #[arg(
        long,
        env = "MISSIVE_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// Sender of confirmation mail, e.g. "Coalition <noreply@example.org>".
    #[arg(long, env = "MISSIVE_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    /// Write client addresses into the access log (off by default: signers may be in danger).
    #[arg(long)]
    pub log_client_addresses: bool,
    /// Take the client address from X-Forwarded-For (only behind your own reverse proxy).
    #[arg(long)]
    pub trust_forwarded_for: bool,
    /// For load tests on a private machine only: no proof-of-work, no form tokens and no
    /// per-source limit. Validation, the writer and durability stay as in production.
    #[arg(long)]
    pub load_test: bool,
}

impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeArgs")
            .field("bundle", &self.bundle)
            .field("addr", &self.addr)
            .field(
                "database",
                &self.database.as_deref().map(missive_store::redact_url),
            )
            .field("config", &self.config)
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

pub fn run(args: ServeArgs) -> Result<u8> {
    let config = config(&args)?;
    // One worker per core: pages are served from memory, and the signature writer is one task.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}; is another server using it?",
                    config.listen
                )
            })?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let bundle = config.bundle.display().to_string();
        let database = missive_store::redact_url(&config.database);
        if args.load_test {
            eprintln!(
                "warning: --load-test: proof-of-work, form tokens and per-source limits are OFF"
            );
        }
        let mut config = config;
        config.listen = addr;
        let state = missive_server::AppState::start(config)
            .await
            .with_context(|| format!("starting the server for {bundle}"))?;
        // Say whether an acknowledged signature survives a power loss, read back from the
        // database rather than assumed.
        let durability = match state.store.durability().await {
            Ok(settings) => format!("durable writes: {settings}"),
            Err(err) => format!("durability unknown: {err}"),
        };
        println!(
            "missive: serving {bundle} on http://{addr}/ (signatures in {database}, \
             {durability}); Ctrl-C stops"
        );
        missive_server::serve_state(listener, state, shutdown_signal())
            .await
            .context("the server stopped with an error")?;
        println!("missive: stopped; every acknowledged signature is stored");
        Ok(0)
    })
}

/// The environment variable holding the secret of email duplicate keys.
pub const EMAIL_SECRET_ENV: &str = "MISSIVE_EMAIL_SECRET";

/// The email secret from its layers, as `missive serve` resolves it (the environment wins
/// over the file's `email_secret`); `None` leaves it to the store (the file beside a SQLite
/// database). `missive signers delete --email` uses the same function, so both key alike.
pub fn email_secret(file: Option<&ServerConfig>) -> Option<String> {
    match std::env::var(EMAIL_SECRET_ENV) {
        Ok(value) if !value.trim().is_empty() => Some(value),
        _ => file.and_then(|config| config.email_secret.clone()),
    }
}

/// Builds the configuration from its layers.
pub fn config(args: &ServeArgs) -> Result<ServerConfig> {
    let mut config = config_file(args.config.as_deref())?.unwrap_or_default();
    config.email_secret = email_secret(Some(&config));
    if let Some(bundle) = &args.bundle {
        config.bundle = bundle.clone();
    } else if args.config.is_none() && !Path::new("missive.toml").is_file() {
        bail!(
            "which bundle should be served? Give --bundle DIR (a folder made by `missive publish`)"
        );
    }
    if let Some(addr) = args.addr {
        config.listen = addr;
    }
    if let Some(database) = &args.database {
        config.database = database.clone();
    }
    if let Some(url) = &args.public_url {
        config.public_url = Some(url.clone());
    }
    if let Some(onion) = &args.onion {
        config.onion = Some(onion.clone());
    }
    if args.confirm_email {
        config.confirmation.mode = ConfirmationMode::Email;
    }
    if let Some(outbox) = &args.outbox {
        config.confirmation.outbox = outbox.clone();
    }
    if let Some(url) = &args.smtp_url {
        config.confirmation.smtp_url = Some(url.clone());
        config.confirmation.transport = MailTransport::Smtp;
    }
    if let Some(from) = &args.mail_from {
        config.confirmation.from = from.clone();
    }
    config.log_client_addresses |= args.log_client_addresses;
    config.trust_forwarded_for |= args.trust_forwarded_for;
    if args.load_test {
        config.abuse = AbuseConfig {
            pow_difficulty: config.abuse.pow_difficulty,
            ..AbuseConfig::load_test()
        };
    }
    config
        .validate()
        .map_err(|reason| anyhow::anyhow!("the server configuration is not usable: {reason}"))?;
    Ok(config)
}

#[derive(serde::Deserialize)]
struct ConfigFile {
    serve: Option<ServerConfig>,
}

/// The `[serve]` table of the config file (`path`, or `missive.toml` in the current folder
/// when there is one), if there is one.
pub fn config_file(path: Option<&Path>) -> Result<Option<ServerConfig>> {
    let (path, required) = match path {
        Some(path) => (path.to_path_buf(), true),
        None => (PathBuf::from("missive.toml"), false),
    };
    if !path.is_file() {
        if required {
            bail!("config file {} not found", path.display());
        }
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let file: ConfigFile =
        toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
    Ok(file.serve)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
