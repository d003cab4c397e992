//! The server's typed configuration. Built in code with [`ServerConfig::new`] (sensible
//! defaults) or read from the `[serve]` table of `missive.toml`; unknown keys are refused, and
//! no secret (database or SMTP password, email secret) ever appears in `Debug` output.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Everything `missive serve` needs. Construct with [`ServerConfig::new`] and adjust fields.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// The published bundle folder (the one holding `bundle.toml`).
    pub bundle: PathBuf,
    /// Where signatures are kept: `sqlite:PATH` (created on first run) or `postgres://…`.
    pub database: String,
    /// Address to listen on (used by the CLI; [`crate::serve`] takes a bound listener).
    pub listen: SocketAddr,
    /// The public address readers use, e.g. `https://letter.example.org/`. Used for links in
    /// confirmation mail. When unset, mail links point at the listening address.
    pub public_url: Option<String>,
    /// An onion address (`xyz….onion`); when set, every response carries `Onion-Location`.
    pub onion: Option<String>,
    /// Write client addresses into the access log. Off unless the operator turns it on.
    pub log_client_addresses: bool,
    /// Take the client address from the last `X-Forwarded-For` entry (only behind a reverse
    /// proxy you run; otherwise anyone can pick their own rate-limit bucket).
    pub trust_forwarded_for: bool,
    /// How often the bundle folder is checked for a re-publish.
    #[serde(with = "millis", rename = "reload_poll_ms")]
    pub reload_poll: Duration,
    /// How often the public count (`count.json` and the number on the pages) is refreshed.
    #[serde(with = "millis", rename = "count_refresh_ms")]
    pub count_refresh: Duration,
    /// Largest form body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Names shown per page of the public list.
    pub signers_per_page: u32,
    /// Brotli quality (0–11) for files compressed once at load.
    pub brotli_quality: u32,
    /// Threads answering HTTP, each with its own event loop (0: one per core). Connections
    /// stay on the thread that accepted them, so answering never hops between threads.
    pub http_threads: usize,
    /// The single signature writer.
    pub writer: WriterConfig,
    /// Abuse control: proof-of-work, time-to-fill, per-source limits.
    pub abuse: AbuseConfig,
    /// Email confirmation of signatures.
    pub confirmation: ConfirmationConfig,
    /// The secret that keys email duplicate keys (at least 32 characters, e.g. the output of
    /// `openssl rand -hex 32`). Unset: on SQLite, the file `<database>.email-secret` beside
    /// the database, made on first start; on PostgreSQL it is required. Never shown.
    pub email_secret: Option<String>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written out so a new field is a compile error here rather than a leaked secret.
        let ServerConfig {
            bundle,
            database,
            listen,
            public_url,
            onion,
            log_client_addresses,
            trust_forwarded_for,
            reload_poll,
            count_refresh,
            max_body_bytes,
            signers_per_page,
            brotli_quality,
            http_threads,
            writer,
            abuse,
            confirmation,
            email_secret,
        } = self;
        f.debug_struct("ServerConfig")
            .field("bundle", bundle)
            .field("database", &missive_store::redact_url(database))
            .field("listen", listen)
            .field("public_url", public_url)
            .field("onion", onion)
            .field("log_client_addresses", log_client_addresses)
            .field("trust_forwarded_for", trust_forwarded_for)
            .field("reload_poll", reload_poll)
            .field("count_refresh", count_refresh)
            .field("max_body_bytes", max_body_bytes)
            .field("signers_per_page", signers_per_page)
            .field("brotli_quality", brotli_quality)
            .field("http_threads", http_threads)
            .field("writer", writer)
            .field("abuse", abuse)
            .field("confirmation", confirmation)
            .field("email_secret", &email_secret.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl ServerConfig {
    /// A configuration with production defaults for the given bundle folder and database URL.
    pub fn new(bundle: impl Into<PathBuf>, database: impl Into<String>) -> Self {
        Self {
            bundle: bundle.into(),
            database: database.into(),
            ..Self::default()
        }
    }

    /// Checks the values that cannot be expressed in types; says what to change.
    pub fn validate(&self) -> Result<(), String> {
        if self.database.trim().is_empty() {
            return Err("the database URL is empty; give `sqlite:PATH` or `postgres://…`".into());
        }
        if self.brotli_quality > 11 {
            return Err(format!(
                "brotli_quality is {}; it must be between 0 and 11",
                self.brotli_quality
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err("max_body_bytes must be at least 1024".into());
        }
        if self.signers_per_page == 0 || self.signers_per_page > 1000 {
            return Err("signers_per_page must be between 1 and 1000".into());
        }
        if self.writer.max_batch == 0 || self.writer.queue == 0 {
            return Err("writer.max_batch and writer.queue must be at least 1".into());
        }
        if self.abuse.pow_difficulty > 28 || self.abuse.pow_max_extra > 8 {
            return Err(
                "abuse.pow_difficulty must be at most 28 bits and pow_max_extra at most 8".into(),
            );
        }
        if self.count_refresh < Duration::from_millis(100) {
            return Err("count_refresh_ms must be at least 100".into());
        }
        if let Some(onion) = &self.onion {
            let host = onion.trim_end_matches('/');
            let host = host.strip_prefix("http://").unwrap_or(host);
            if !host.ends_with(".onion") || host.contains('/') {
                return Err(format!(
                    "onion address {onion:?} must look like `abc…xyz.onion`"
                ));
            }
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(format!(
                "public_url {url:?} must start with https:// or http://"
            ));
        }
        if let ConfirmationMode::Email = self.confirmation.mode {
            if self.public_url.is_none() {
                return Err(
                    "confirmation.mode is \"email\" but public_url is not set: the links \
                            in confirmation mail must reach the server from the signer's \
                            mailbox. Set public_url (or --public-url / MISSIVE_PUBLIC_URL) to \
                            the address readers use, e.g. https://letter.example.org/"
                        .into(),
                );
            }
            if self.confirmation.from.trim().is_empty() {
                return Err(
                    "confirmation.from (the sender address of confirmation mail) is empty".into(),
                );
            }
            if let MailTransport::Smtp = self.confirmation.transport
                && self.confirmation.smtp_url.is_none()
            {
                return Err("confirmation.transport is \"smtp\" but no smtp_url is set (or MISSIVE_SMTP_URL)".into());
            }
        }
        Ok(())
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bundle: PathBuf::from("public"),
            database: "sqlite:missive.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            onion: None,
            log_client_addresses: false,
            trust_forwarded_for: false,
            reload_poll: Duration::from_secs(1),
            count_refresh: Duration::from_secs(2),
            max_body_bytes: 16 * 1024,
            signers_per_page: 100,
            brotli_quality: 11,
            http_threads: 0,
            writer: WriterConfig::default(),
            abuse: AbuseConfig::default(),
            confirmation: ConfirmationConfig::default(),
            email_secret: None,
        }
    }
}

/// The group-commit writer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WriterConfig {
    /// Most signatures committed in one transaction.
    pub max_batch: usize,
    /// Signatures waiting for the writer before new ones wait for room.
    pub queue: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            max_batch: 512,
            queue: 16 * 1024,
        }
    }
}

/// Abuse control. The defaults are for production; load tests turn parts off and say so.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AbuseConfig {
    /// Require a proof: a solved proof-of-work (script) or a signed form token from the review
    /// step (no script). `false` only for load tests.
    pub require_proof: bool,
    /// Base proof-of-work difficulty in leading zero bits of SHA-256.
    pub pow_difficulty: u8,
    /// Extra bits asked of a source that has used up its per-source allowance.
    pub pow_max_extra: u8,
    /// How long a challenge or form token stays valid.
    #[serde(with = "secs", rename = "challenge_ttl_secs")]
    pub challenge_ttl: Duration,
    /// The least time between getting a challenge or token and sending the signature.
    #[serde(with = "millis", rename = "min_fill_ms")]
    pub min_fill: Duration,
    /// Apply the per-source limit.
    pub rate_limit: bool,
    /// Signatures one source may send at once before being slowed down.
    pub per_source_burst: u32,
    /// Time in which a source's full allowance comes back.
    #[serde(with = "secs", rename = "per_source_window_secs")]
    pub per_source_window: Duration,
}

impl Default for AbuseConfig {
    fn default() -> Self {
        Self {
            require_proof: true,
            pow_difficulty: 16,
            pow_max_extra: 6,
            challenge_ttl: Duration::from_secs(15 * 60),
            min_fill: Duration::from_secs(2),
            rate_limit: true,
            per_source_burst: 30,
            per_source_window: Duration::from_secs(10 * 60),
        }
    }
}

impl AbuseConfig {
    /// Generous limits for load tests: no proof and no per-source limit. Validation, the writer
    /// and durability stay exactly as in production.
    pub fn load_test() -> Self {
        Self {
            require_proof: false,
            rate_limit: false,
            min_fill: Duration::ZERO,
            ..Self::default()
        }
    }
}

/// Whether signatures need an emailed confirmation before they count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfirmationMode {
    /// Signatures count at once; email is optional and only used to catch duplicates.
    Off,
    /// An email address is required and the signature counts once its link is confirmed.
    Email,
}

/// How confirmation mail leaves the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    /// Write each message as an `.eml` file into the outbox folder (the embedded default).
    Outbox,
    /// Send through an SMTP server (`smtp_url`).
    Smtp,
}

/// Email confirmation settings.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfirmationConfig {
    /// `off` (default) or `email`.
    pub mode: ConfirmationMode,
    /// `outbox` (default) or `smtp`.
    pub transport: MailTransport,
    /// Sender of confirmation mail, e.g. `Coalition <noreply@example.org>`.
    pub from: String,
    /// Folder for `.eml` files when the transport is `outbox`.
    pub outbox: PathBuf,
    /// `smtps://user:password@host:465` or `smtp://user:password@host:587?tls=required`.
    /// A secret: never logged or shown in `Debug`.
    pub smtp_url: Option<String>,
    /// How long a confirmation link stays valid.
    #[serde(with = "secs", rename = "expires_after_secs")]
    pub expires_after: Duration,
}

impl Default for ConfirmationConfig {
    fn default() -> Self {
        Self {
            mode: ConfirmationMode::Off,
            transport: MailTransport::Outbox,
            from: "Missive <noreply@localhost>".into(),
            outbox: PathBuf::from("outbox"),
            smtp_url: None,
            expires_after: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

impl fmt::Debug for ConfirmationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfirmationConfig")
            .field("mode", &self.mode)
            .field("transport", &self.transport)
            .field("from", &self.from)
            .field("outbox", &self.outbox)
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(missive_store::redact_url),
            )
            .field("expires_after", &self.expires_after)
            .finish()
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_secs(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn debug_never_shows_a_secret() {
        let mut config = ServerConfig::new("b", "postgres://missive:dbpass1@db/missive");
        config.confirmation.smtp_url = Some("smtps://me:hunter2@mail.example.org:465".into());
        config.email_secret = Some("email-secret-0123456789abcdef0123456789".into());
        for shown in [format!("{config:?}"), format!("{config:#?}")] {
            for secret in ["hunter2", "dbpass1", "email-secret-0123"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            // What the operator needs to recognize stays.
            assert!(
                shown.contains("smtps://me:***@mail.example.org:465"),
                "{shown}"
            );
            assert!(
                shown.contains("postgres://missive:***@db/missive"),
                "{shown}"
            );
            assert!(shown.contains("[redacted]"), "{shown}");
        }
        // The redaction holds where the config is embedded, too.
        let confirmation = format!("{:?}", config.confirmation);
        assert!(!confirmation.contains("hunter2"), "{confirmation}");
    }

    #[test]
    fn the_email_secret_is_read_from_the_serve_table() {
        let config: ServerConfig =
            toml::from_str("email_secret = \"0123456789abcdef0123456789abcdef\"\n").unwrap();
        assert_eq!(
            config.email_secret.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
    }

    #[test]
    fn email_confirmation_needs_a_public_url() {
        let mut config = ServerConfig::new("b", "sqlite:x.db");
        config.confirmation.mode = ConfirmationMode::Email;
        let err = config.validate().unwrap_err();
        assert!(err.contains("public_url"), "{err}");
        assert!(err.contains("--public-url"), "{err}");
        config.public_url = Some("https://letter.example.org/".into());
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<ServerConfig>("bundel = \"x\"").unwrap_err();
        assert!(err.to_string().contains("bundel"), "{err}");
    }

    #[test]
    fn durations_read_with_their_unit_in_the_key() {
        let config: ServerConfig =
            toml::from_str("count_refresh_ms = 500\n[abuse]\nmin_fill_ms = 0\n").unwrap();
        assert_eq!(config.count_refresh, Duration::from_millis(500));
        assert_eq!(config.abuse.min_fill, Duration::ZERO);
    }
}
