//! Identifiers that end up in file names and trusted comments: letter ids and member ids.
//! Lowercase ASCII letters, digits and `-`, starting with a letter or digit.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a usable id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{given}' is not a valid {what} id: use 1 to {max} lowercase letters a-z, digits and '-', starting with a letter or digit"
)]
pub struct InvalidId {
    pub what: &'static str,
    pub given: String,
    pub max: usize,
}

fn check(what: &'static str, max: usize, raw: &str) -> Result<String, InvalidId> {
    let ok = !raw.is_empty()
        && raw.len() <= max
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && raw
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(InvalidId {
            what,
            given: raw.to_owned(),
            max,
        })
    }
}

/// Lowercase ASCII slug of a name; empty when the name has no ASCII letters or digits.
pub fn slugify(name: &str, max: usize) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.chars().take(max).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

macro_rules! id_type {
    ($name:ident, $what:literal, $max:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, InvalidId> {
                check($what, $max, raw).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(LetterId, "letter", 64);
id_type!(MemberId, "member", 32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(LetterId::parse("letter-to-soldiers").is_ok());
        assert!(LetterId::parse("Letter").is_err());
        assert!(LetterId::parse("-x").is_err());
        assert!(LetterId::parse("a/b").is_err());
        assert!(MemberId::parse(&"a".repeat(33)).is_err());
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Bridge of Voices!", 32), "bridge-of-voices");
        assert_eq!(slugify("평화의 손길", 32), "");
        assert_eq!(
            slugify("A very long organization name indeed", 12),
            "a-very-long"
        );
    }
}
