//! Email addresses as duplicate-detection keys: one signature per person per letter, however
//! the address is written. `normalize` folds the spellings that reach the same mailbox;
//! `key` turns the result into a keyed hash (HMAC-SHA256 under an [`EmailSecret`] kept outside
//! the database), so the uniqueness check never depends on how the address was typed, and a
//! copy of the database alone cannot be used to test whether a known address signed.
//!
//! The rules, in order (they are part of the storage format: changing them changes keys):
//! 1. trim surrounding whitespace;
//! 2. reject an address that is empty, longer than 254 bytes, contains whitespace or a control
//!    character, or does not have exactly one `@` with a non-empty part on each side;
//! 3. lowercase the whole address (Unicode lowercase);
//! 4. map the domain `googlemail.com` to `gmail.com`;
//! 5. drop a `+tag` from the local part (everything from the first `+`), for every domain;
//! 6. drop the dots of the local part for `gmail.com` only;
//! 7. reject the address if the local part is now empty (`+tag@x.org`, `...@gmail.com`).
//!
//! Not folded: Unicode normalization forms, IDNA (punycode vs Unicode domains), and other
//! providers' aliasing rules. Those addresses count as different people.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Why a string is not accepted as an email address. Messages say what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEmail {
    #[error("the email address is empty")]
    Empty,
    #[error("the email address is longer than 254 characters")]
    TooLong,
    #[error("the email address contains a space or a control character")]
    Whitespace,
    #[error("the email address needs exactly one '@' between a name and a domain")]
    At,
    #[error("the email address has nothing before the '@'")]
    EmptyLocal,
    #[error("the email address has nothing after the '@'")]
    EmptyDomain,
}

/// Longest address SMTP can carry (RFC 5321 path limit minus the angle brackets).
const MAX_LEN: usize = 254;

/// Prefix hashed before the address, so an email key can never be confused with a MAC of the
/// same bytes made for anything else under the same secret.
const KEY_DOMAIN: &[u8] = b"missive/email-key/v2\0";

/// Fewest bytes a configured secret may have.
pub const MIN_SECRET_LEN: usize = 32;

/// The secret key of the email duplicate keys. It is never stored in the database: without it,
/// the keys in a copy of the database cannot be matched against known addresses. `Debug`
/// never shows it.
#[derive(Clone)]
pub struct EmailSecret(Hmac<Sha256>);

impl EmailSecret {
    /// A secret from configured text (`email_secret`, `MISSIVE_EMAIL_SECRET`, or the secret
    /// file): surrounding whitespace is ignored; at least [`MIN_SECRET_LEN`] bytes must remain.
    /// The error never quotes the value.
    pub fn from_text(text: &str) -> Result<EmailSecret, String> {
        let text = text.trim();
        if text.len() < MIN_SECRET_LEN {
            return Err(format!(
                "it has {} characters; use a random value of at least {MIN_SECRET_LEN} \
                 (e.g. the output of `openssl rand -hex 32`)",
                text.len()
            ));
        }
        <Hmac<Sha256> as KeyInit>::new_from_slice(text.as_bytes())
            .map(EmailSecret)
            .map_err(|_| "HMAC-SHA256 cannot be keyed with it".to_owned())
    }
}

impl fmt::Debug for EmailSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmailSecret([redacted])")
    }
}

/// The canonical form of an address, used only to detect duplicates (see the module rules).
/// The address as typed is what gets stored and exported.
pub fn normalize(raw: &str) -> Result<String, InvalidEmail> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(InvalidEmail::Empty);
    }
    if trimmed.len() > MAX_LEN {
        return Err(InvalidEmail::TooLong);
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidEmail::Whitespace);
    }
    let lower = trimmed.to_lowercase();
    let mut parts = lower.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(InvalidEmail::At);
    };
    if local.is_empty() {
        return Err(InvalidEmail::EmptyLocal);
    }
    if domain.is_empty() {
        return Err(InvalidEmail::EmptyDomain);
    }
    let domain = match domain {
        "googlemail.com" => "gmail.com",
        other => other,
    };
    let local = match local.find('+') {
        Some(plus) => &local[..plus],
        None => local,
    };
    let local = if domain == "gmail.com" {
        local.replace('.', "")
    } else {
        local.to_owned()
    };
    if local.is_empty() {
        return Err(InvalidEmail::EmptyLocal);
    }
    Ok(format!("{local}@{domain}"))
}

/// The duplicate-detection key of a normalized address: HMAC-SHA256 under `secret` over a
/// fixed domain-separation prefix and the address. Unique per letter in the database. Another
/// secret gives other keys: changing the secret forgets who signed before.
pub fn key(secret: &EmailSecret, normalized: &str) -> [u8; 32] {
    let mut mac = secret.0.clone();
    mac.update(KEY_DOMAIN);
    mac.update(normalized.as_bytes());
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    #[test]
    fn folds_case_plus_tags_and_gmail_dots() {
        let cases = [
            ("Ann.Smith@Example.org", "ann.smith@example.org"),
            ("  ann.smith+news@example.org ", "ann.smith@example.org"),
            ("A.N.N+x+y@GoogleMail.com", "ann@gmail.com"),
            ("ann.smith@gmail.com", "annsmith@gmail.com"),
            ("Ирина@Пример.рф", "ирина@пример.рф"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn dots_matter_outside_gmail() {
        assert_ne!(
            normalize("ann.smith@example.org"),
            normalize("annsmith@example.org")
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        let cases = [
            ("", InvalidEmail::Empty),
            ("   ", InvalidEmail::Empty),
            ("ann", InvalidEmail::At),
            ("a@b@c", InvalidEmail::At),
            ("@example.org", InvalidEmail::EmptyLocal),
            ("ann@", InvalidEmail::EmptyDomain),
            ("ann smith@example.org", InvalidEmail::Whitespace),
            ("ann\u{0}@example.org", InvalidEmail::Whitespace),
            ("+news@example.org", InvalidEmail::EmptyLocal),
            ("...@gmail.com", InvalidEmail::EmptyLocal),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize(raw), Err(want), "{raw:?}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(normalize(&long), Err(InvalidEmail::TooLong));
    }

    fn secret(text: &str) -> EmailSecret {
        EmailSecret::from_text(text).expect("a long enough test secret")
    }

    #[test]
    fn key_is_keyed_domain_separated_and_stable() {
        use sha2::Digest;
        let s = secret("0123456789abcdef0123456789abcdef");
        let k = key(&s, "ann@example.org");
        assert_eq!(k, key(&s, "ann@example.org"));
        assert_ne!(k, key(&s, "bob@example.org"));
        // Without the secret, the public recipe no longer reproduces the key.
        let other = secret("fedcba9876543210fedcba9876543210");
        assert_ne!(k, key(&other, "ann@example.org"));
        for public in [
            Sha256::digest(b"ann@example.org"),
            Sha256::new()
                .chain_update(b"missive/email-key/v1\0")
                .chain_update(b"ann@example.org")
                .finalize(),
        ] {
            let public: [u8; 32] = public.into();
            assert_ne!(
                k, public,
                "the key must not be an unkeyed hash of the address"
            );
        }
        // RFC 2104 HMAC-SHA256 by construction: check against a known vector of the crate.
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(b"0123456789abcdef0123456789abcdef")
                .expect("any key length");
        mac.update(b"missive/email-key/v2\0ann@example.org");
        let want: [u8; 32] = mac.finalize().into_bytes().into();
        assert_eq!(k, want);
    }

    #[test]
    fn short_secrets_are_refused_and_never_shown() {
        let err = EmailSecret::from_text("  short-secret  ").expect_err("too short");
        assert!(err.contains("at least 32"), "{err}");
        assert!(!err.contains("short-secret"), "{err}");
        let s = secret("a-secret-that-must-stay-hidden-0123456789");
        assert_eq!(format!("{s:?}"), "EmailSecret([redacted])");
    }
}
