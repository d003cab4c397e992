//! Confirmation mail. The embedded default writes each message as an `.eml` file into an outbox
//! folder (so the demo works with no mail server); production sends through SMTP with TLS.
//! Messages are plain text built by `lettre`, which encodes headers; the only values from the
//! signer are the recipient address (parsed by lettre) and links the server made itself.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{ConfirmationConfig, MailTransport};
use crate::i18n::{Strings, fill};

/// Where mail goes.
pub enum Mailer {
    Outbox {
        dir: PathBuf,
        from: Mailbox,
    },
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP credentials: never shown.
        match self {
            Mailer::Outbox { dir, .. } => {
                f.debug_struct("Mailer::Outbox").field("dir", dir).finish()
            }
            Mailer::Smtp { .. } => f.debug_struct("Mailer::Smtp").finish_non_exhaustive(),
        }
    }
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the recipient address is not usable: {0}")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("could not write to the outbox {path}: {source}")]
    Outbox {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the SMTP server did not take the message: {0}")]
    Smtp(String),
}

impl Mailer {
    /// Sets up the configured transport. Fails on a bad sender, SMTP URL or outbox folder.
    pub fn new(config: &ConfirmationConfig) -> Result<Self, String> {
        let from: Mailbox = config.from.parse().map_err(|err| {
            format!(
                "confirmation.from {:?} is not a mail address: {err}",
                config.from
            )
        })?;
        match config.transport {
            MailTransport::Outbox => {
                std::fs::create_dir_all(&config.outbox).map_err(|err| {
                    format!(
                        "cannot create the mail outbox {}: {err}",
                        config.outbox.display()
                    )
                })?;
                Ok(Mailer::Outbox {
                    dir: config.outbox.clone(),
                    from,
                })
            }
            MailTransport::Smtp => {
                let url = config.smtp_url.as_deref().ok_or("no smtp_url is set")?;
                // The error text of a bad URL is shown without the URL, which holds a password.
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|err| format!("smtp_url is not a usable SMTP URL ({err})"))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                Ok(Mailer::Smtp {
                    transport: Box::new(transport),
                    from,
                })
            }
        }
    }

    /// Sends the confirmation mail with both links.
    pub async fn send_confirmation(
        &self,
        t: &Strings,
        to: &str,
        confirm_url: &str,
        edit_url: &str,
        days: u64,
    ) -> Result<(), MailError> {
        let body = fill(
            t.mail_body,
            &[
                ("confirm_url", confirm_url),
                ("edit_url", edit_url),
                ("days", &days.to_string()),
            ],
        );
        self.send(to, t.mail_subject, body).await
    }

    /// Tells an address that tried to sign again that nothing changed.
    pub async fn send_duplicate_notice(&self, t: &Strings, to: &str) -> Result<(), MailError> {
        self.send(
            to,
            t.mail_duplicate_subject,
            t.mail_duplicate_body.to_string(),
        )
        .await
    }

    async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), MailError> {
        let to: Mailbox = to
            .trim()
            .parse()
            .map_err(|err: lettre::address::AddressError| MailError::Address(err.to_string()))?;
        let from = match self {
            Mailer::Outbox { from, .. } | Mailer::Smtp { from, .. } => from.clone(),
        };
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            // Quoted-printable keeps the (ASCII) links readable in the raw message, where
            // base64 would hide them from a person opening the .eml in a text editor.
            .body(
                Body::new_with_encoding(body, ContentTransferEncoding::QuotedPrintable)
                    .unwrap_or_else(Body::new),
            )
            .map_err(|err| MailError::Build(err.to_string()))?;
        match self {
            Mailer::Outbox { dir, .. } => write_eml(dir, &message.formatted()).await,
            Mailer::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|err| MailError::Smtp(err.to_string())),
        }
    }
}

/// Writes a message atomically (temporary file, then rename) so a reader of the outbox never
/// sees half a message.
async fn write_eml(dir: &std::path::Path, bytes: &[u8]) -> Result<(), MailError> {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|err| MailError::Outbox {
        path: dir.to_path_buf(),
        source: std::io::Error::other(err.to_string()),
    })?;
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%S%.3fZ")
        .to_string();
    let name = format!("{stamp}-{}.eml", hex::encode(random));
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(&name);
    let io = |source| MailError::Outbox {
        path: path.clone(),
        source,
    };
    tokio::fs::write(&tmp, bytes).await.map_err(io)?;
    tokio::fs::rename(&tmp, &path).await.map_err(io)?;
    Ok(())
}
