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
        /// The SMTP URL, kept only to scrub its password from error messages.
        url: String,
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
                // The URL holds a password: it is shown redacted, and the parser's message is
                // scrubbed of it.
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|err| {
                        format!(
                            "smtp_url {} is not a usable SMTP URL ({}); write \
                             smtps://USER:PASSWORD@HOST:465 or \
                             smtp://USER:PASSWORD@HOST:587?tls=required",
                            missive_store::redact_url(url),
                            missive_store::scrub_url_secrets(&err.to_string(), url)
                        )
                    })?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                Ok(Mailer::Smtp {
                    transport: Box::new(transport),
                    from,
                    url: url.to_owned(),
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
            // An SMTP server may quote what it was sent, credentials included: scrub them.
            Mailer::Smtp { transport, url, .. } => {
                transport.send(message).await.map(|_| ()).map_err(|err| {
                    MailError::Smtp(missive_store::scrub_url_secrets(&err.to_string(), url))
                })
            }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::config::ConfirmationMode;

    fn smtp_config(url: &str) -> ConfirmationConfig {
        ConfirmationConfig {
            mode: ConfirmationMode::Email,
            transport: MailTransport::Smtp,
            smtp_url: Some(url.into()),
            ..ConfirmationConfig::default()
        }
    }

    #[test]
    fn a_bad_smtp_url_is_explained_without_its_password() {
        for url in [
            "smtps://me:hunter2@mail.example.org:notaport",
            "gopher://me:hunter2@mail.example.org",
        ] {
            let err = Mailer::new(&smtp_config(url)).unwrap_err();
            assert!(!err.contains("hunter2"), "{err}");
            assert!(err.contains("me:***@mail.example.org"), "{err}");
            assert!(err.contains("smtps://USER:PASSWORD@HOST:465"), "{err}");
        }
    }

    /// An SMTP server that answers the login by quoting the password back: the error the
    /// server logs must not carry it.
    #[tokio::test]
    async fn smtp_errors_never_carry_the_password() {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
            while let Some(line) = lines.next_line().await.unwrap() {
                let verb = line
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase();
                let answer: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250-fake\r\n250 AUTH PLAIN LOGIN\r\n",
                    "AUTH" => b"535 5.7.8 password hunter2 (hunter%32) rejected for me\r\n",
                    "QUIT" => break,
                    _ => b"502 no\r\n",
                };
                write.write_all(answer).await.unwrap();
            }
        });
        let mailer = Mailer::new(&smtp_config(&format!(
            "smtp://me:hunter%32@127.0.0.1:{port}"
        )))
        .unwrap();
        let err = mailer
            .send_confirmation(
                &crate::i18n::EN,
                "ann@example.org",
                "http://x/c",
                "http://x/e",
                7,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rejected"),
            "the server's answer is kept: {err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        assert!(!err.contains("hunter%32"), "{err}");
    }
}
