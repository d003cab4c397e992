//! Language tags: validated BCP 47, normalized case, and limited to the languages Missive can
//! present (it needs the page's own words — "signed by", "how to verify" — in that language).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The languages Missive can present a letter in: primary subtag, native name, writing system.
const KNOWN: &[(&str, &str, Script)] = &[
    ("ko", "한국어", Script::Hangul),
    ("en", "English", Script::Latin),
    ("ru", "Русский", Script::Cyrillic),
    ("uk", "Українська", Script::Cyrillic),
];

/// The writing system a language is set in; renditions choose fonts and line breaking by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    Hangul,
    Latin,
    Cyrillic,
}

/// A well-formed BCP 47 tag (`ko`, `ko-KP`, `en`, `ru`, `uk`) whose language Missive knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageTag(String);

/// Why a string is not a usable language tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LanguageTagError {
    #[error("'{tag}' is not a well-formed BCP 47 language tag ({reason})")]
    Malformed { tag: String, reason: String },
    #[error("'{tag}' is a language Missive cannot present yet (known: {known})")]
    Unknown { tag: String, known: String },
}

impl LanguageTag {
    pub fn parse(tag: &str) -> Result<Self, LanguageTagError> {
        let parsed = oxilangtag::LanguageTag::parse_and_normalize(tag).map_err(|err| {
            LanguageTagError::Malformed {
                tag: tag.to_owned(),
                reason: err.to_string(),
            }
        })?;
        if parsed.private_use().is_some() && parsed.primary_language().is_empty() {
            return Err(LanguageTagError::Malformed {
                tag: tag.to_owned(),
                reason: "private-use tags name no language".to_owned(),
            });
        }
        let primary = parsed.primary_language().to_ascii_lowercase();
        if !KNOWN.iter().any(|(code, _, _)| *code == primary) {
            return Err(LanguageTagError::Unknown {
                tag: tag.to_owned(),
                known: KNOWN
                    .iter()
                    .map(|(code, _, _)| *code)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(Self(parsed.into_inner()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag: `ko` for `ko-KP`.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    fn known(&self) -> (&'static str, Script) {
        let primary = self.primary();
        KNOWN
            .iter()
            .find(|(code, _, _)| code.eq_ignore_ascii_case(primary))
            .map(|(_, name, script)| (*name, *script))
            // Every constructed tag was checked against KNOWN.
            .unwrap_or(("English", Script::Latin))
    }

    /// The language's name in itself: `한국어`, `Русский`.
    pub fn native_name(&self) -> &'static str {
        self.known().0
    }

    pub fn script(&self) -> Script {
        self.known().1
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for LanguageTag {
    type Err = LanguageTagError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for LanguageTag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for LanguageTag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_coalition_languages_and_normalizes_case() {
        for (raw, want) in [
            ("ko", "ko"),
            ("ko-KP", "ko-KP"),
            ("KO-kp", "ko-KP"),
            ("en", "en"),
            ("ru", "ru"),
            ("uk", "uk"),
        ] {
            assert_eq!(LanguageTag::parse(raw).map(|t| t.0), Ok(want.to_owned()));
        }
        assert_eq!(
            LanguageTag::parse("ko-KP").map(|t| t.native_name()),
            Ok("한국어")
        );
    }

    #[test]
    fn rejects_malformed_and_unknown_tags() {
        assert!(matches!(
            LanguageTag::parse("k o"),
            Err(LanguageTagError::Malformed { .. })
        ));
        assert!(matches!(
            LanguageTag::parse(""),
            Err(LanguageTagError::Malformed { .. })
        ));
        assert!(matches!(
            LanguageTag::parse("xx"),
            Err(LanguageTagError::Unknown { .. })
        ));
        assert!(matches!(
            LanguageTag::parse("korean"),
            Err(LanguageTagError::Unknown { .. })
        ));
    }
}
