//! The trusted comment of a letter signature: what exactly an organization put its key to.
//!
//! `missive-letter id=<letter> version=<n> lang=<tag> sha256=<hex> org=<member-id> name=<name>`
//!
//! minisign signs the trusted comment together with the signature, so none of these fields can
//! be edited without the signature failing. `name` is last because it may contain spaces.

use std::fmt;

use crate::canonical::TextHash;
use crate::ids::{LetterId, MemberId};
use crate::keys::one_line;
use crate::lang::LanguageTag;

pub const PREFIX: &str = "missive-letter";

/// What one organization's signature over one language binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterClaim {
    pub letter: LetterId,
    pub version: u32,
    pub lang: LanguageTag,
    pub sha256: TextHash,
    pub member: MemberId,
    pub name: String,
}

impl fmt::Display for LetterClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX} id={} version={} lang={} sha256={} org={} name={}",
            self.letter,
            self.version,
            self.lang,
            self.sha256,
            self.member,
            one_line(&self.name)
        )
    }
}

impl LetterClaim {
    /// Parses a trusted comment; `None` when it is not a Missive letter claim.
    pub fn parse(comment: &str) -> Option<Self> {
        let rest = comment.trim().strip_prefix(PREFIX)?.strip_prefix(' ')?;
        let (fields, name) = rest.split_once(" name=")?;
        let mut fields = fields.split(' ');
        let mut next = |key: &str| {
            fields
                .next()
                .and_then(|field| field.strip_prefix(key))
                .and_then(|v| v.strip_prefix('='))
                .map(str::to_owned)
        };
        let letter = LetterId::parse(&next("id")?).ok()?;
        let version = next("version")?.parse().ok()?;
        let lang = LanguageTag::parse(&next("lang")?).ok()?;
        let sha256 = TextHash::from_hex(&next("sha256")?)?;
        let member = MemberId::parse(&next("org")?).ok()?;
        if fields.next().is_some() {
            return None;
        }
        Some(Self {
            letter,
            version,
            lang,
            sha256,
            member,
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let claim = LetterClaim {
            letter: LetterId::parse("letter-to-soldiers").expect("id"),
            version: 3,
            lang: LanguageTag::parse("ko-KP").expect("lang"),
            sha256: TextHash([7; 32]),
            member: MemberId::parse("bridge").expect("id"),
            name: "평화의 손길 연대".to_owned(),
        };
        let text = claim.to_string();
        assert!(
            text.starts_with(
                "missive-letter id=letter-to-soldiers version=3 lang=ko-KP sha256=0707"
            )
        );
        assert_eq!(LetterClaim::parse(&text), Some(claim));
    }

    #[test]
    fn rejects_other_comments() {
        assert_eq!(LetterClaim::parse("timestamp:1700000000"), None);
        assert_eq!(
            LetterClaim::parse("missive-letter id=x version=one lang=ko sha256=00 org=a name=b"),
            None
        );
    }
}
