//! Email addresses as duplicate-detection keys: one signature per person per letter, however
//! the address is written. `normalize` folds the spellings that reach the same mailbox;
//! `key` hashes the result so the uniqueness check never depends on how the address was typed.
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

use sha2::{Digest, Sha256};

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

/// Prefix hashed before the address, so an email key can never be confused with a SHA-256 of
/// the same bytes used for anything else (tokens, canonical texts).
const KEY_DOMAIN: &[u8] = b"missive/email-key/v1\0";

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

/// The duplicate-detection key of a normalized address: SHA-256 over a fixed
/// domain-separation prefix and the address. Unique per letter in the database.
pub fn key(normalized: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(KEY_DOMAIN);
    hasher.update(normalized.as_bytes());
    hasher.finalize().into()
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

    #[test]
    fn key_is_domain_separated_and_stable() {
        let k = key("ann@example.org");
        assert_eq!(k, key("ann@example.org"));
        assert_ne!(k, key("bob@example.org"));
        let plain: [u8; 32] = Sha256::digest(b"ann@example.org").into();
        assert_ne!(
            k, plain,
            "the key must not be a bare SHA-256 of the address"
        );
    }
}
