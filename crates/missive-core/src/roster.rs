//! The coalition roster: member organizations, their public keys and contacts, signed by the
//! members themselves. A verifier that trusts a roster reports "signed by K of N members".
//!
//! What members sign is the roster's canonical text (see [`Roster::canonical_text`]); the
//! signatures live in the same `roster.toml` under `[[signature]]`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{InvalidId, MemberId};
use crate::keys::{KeyError, PublicKey, SecretKey, verify_detached};

/// A member organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: MemberId,
    pub name: String,
    pub public_key: PublicKey,
    pub contact: String,
}

/// One member's signature over the roster's canonical text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterSignature {
    pub member: MemberId,
    pub minisig: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    pub coalition: String,
    pub members: Vec<Member>,
    pub signatures: Vec<RosterSignature>,
}

#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("not a valid roster: {0}")]
    Malformed(String),
    #[error("{0}")]
    InvalidId(#[from] InvalidId),
    #[error("member '{member}': {source}")]
    BadKey {
        member: String,
        #[source]
        source: KeyError,
    },
    #[error("{field} '{value}' is not usable: {reason}")]
    InvalidField {
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("the roster already has a member with {what} '{value}'")]
    DuplicateMember { what: &'static str, value: String },
    #[error("the signature of member '{0}' names no member of this roster")]
    UnknownSigner(String),
    #[error(
        "this key (fingerprint {fingerprint}) belongs to no member of the roster; add it first with `missive roster add`"
    )]
    NotAMember { fingerprint: String },
    #[error("{0}")]
    Key(#[from] KeyError),
}

/// The outcome of checking a roster's own signatures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterCheck {
    /// Members whose signature over this exact roster verifies.
    pub signed: Vec<MemberId>,
    /// Members with no signature.
    pub unsigned: Vec<MemberId>,
    /// Members whose signature does not verify, with the reason.
    pub invalid: Vec<(MemberId, String)>,
}

impl RosterCheck {
    pub fn summary(&self, roster: &Roster) -> String {
        format!(
            "roster signed by {} of {} members of {}",
            self.signed.len(),
            roster.members.len(),
            roster.coalition
        )
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RosterFile {
    coalition: String,
    #[serde(default)]
    member: Vec<MemberFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    signature: Vec<SignatureFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberFile {
    id: String,
    name: String,
    public_key: String,
    contact: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureFile {
    member: String,
    minisig: String,
}

const MAX_NAME: usize = 120;

/// Checks a display name: one line, printable, not empty, not too long.
/// Names are stored canonical (NFC, single spaces), because they are signed inside trusted
/// comments and a pasted copy is canonicalized before it is checked.
pub fn check_name(field: &'static str, name: &str) -> Result<String, RosterError> {
    let has_hidden = name
        .chars()
        .any(|c| (c.is_control() && !c.is_whitespace()) || crate::canonical::is_invisible(c));
    let canonical = crate::canonical::canonicalize(name);
    let trimmed = canonical.trim_end();
    let reason = if trimmed.is_empty() {
        Some("it is empty")
    } else if trimmed.chars().count() > MAX_NAME {
        Some("it is longer than 120 characters")
    } else if has_hidden {
        Some("it contains control or invisible characters")
    } else if trimmed.contains('\n') {
        Some("it must be one line")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(RosterError::InvalidField {
            field,
            value: name.escape_debug().to_string(),
            reason,
        }),
        None => Ok(trimmed.to_owned()),
    }
}

fn check_contact(contact: &str) -> Result<String, RosterError> {
    let contact = contact.trim();
    let lower = contact.to_ascii_lowercase();
    let ok = (lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:"))
        && contact.len() <= 300
        && !contact.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(contact.to_owned())
    } else {
        Err(RosterError::InvalidField {
            field: "contact",
            value: contact.escape_debug().to_string(),
            reason: "give an https://, http:// or mailto: address without spaces",
        })
    }
}

impl Roster {
    pub fn new(coalition: &str) -> Result<Self, RosterError> {
        Ok(Self {
            coalition: check_name("coalition name", coalition)?,
            members: Vec::new(),
            signatures: Vec::new(),
        })
    }

    pub fn parse(toml_text: &str) -> Result<Self, RosterError> {
        let file: RosterFile =
            toml::from_str(toml_text).map_err(|err| RosterError::Malformed(err.to_string()))?;
        let mut roster = Self::new(&file.coalition)?;
        for member in file.member {
            let key = PublicKey::from_base64(&member.public_key).map_err(|source| {
                RosterError::BadKey {
                    member: member.id.clone(),
                    source,
                }
            })?;
            roster.push_member(&member.id, &member.name, key, &member.contact)?;
        }
        for sig in file.signature {
            let member = MemberId::parse(&sig.member)?;
            if roster.member(&member).is_none() {
                return Err(RosterError::UnknownSigner(sig.member));
            }
            roster.signatures.push(RosterSignature {
                member,
                minisig: sig.minisig,
            });
        }
        Ok(roster)
    }

    pub fn to_toml(&self) -> String {
        let file = RosterFile {
            coalition: self.coalition.clone(),
            member: self
                .members
                .iter()
                .map(|m| MemberFile {
                    id: m.id.to_string(),
                    name: m.name.clone(),
                    public_key: m.public_key.to_base64(),
                    contact: m.contact.clone(),
                })
                .collect(),
            signature: self
                .signatures
                .iter()
                .map(|s| SignatureFile {
                    member: s.member.to_string(),
                    minisig: s.minisig.clone(),
                })
                .collect(),
        };
        let body = toml::to_string_pretty(&file).unwrap_or_default();
        format!(
            "# Missive coalition roster. Members sign the list below with `missive roster sign`;\n\
             # changing the list drops their signatures.\n\n{body}"
        )
    }

    fn push_member(
        &mut self,
        id: &str,
        name: &str,
        public_key: PublicKey,
        contact: &str,
    ) -> Result<(), RosterError> {
        let id = MemberId::parse(id)?;
        let name = check_name("organization name", name)?;
        let contact = check_contact(contact)?;
        if self.members.iter().any(|m| m.id == id) {
            return Err(RosterError::DuplicateMember {
                what: "id",
                value: id.to_string(),
            });
        }
        if self.members.iter().any(|m| m.name == name) {
            return Err(RosterError::DuplicateMember {
                what: "name",
                value: name,
            });
        }
        if self.members.iter().any(|m| m.public_key == public_key) {
            return Err(RosterError::DuplicateMember {
                what: "public key",
                value: public_key.fingerprint().to_string(),
            });
        }
        self.members.push(Member {
            id,
            name,
            public_key,
            contact,
        });
        Ok(())
    }

    /// Adds a member. Returns how many existing member signatures were dropped: they were
    /// made over the previous list.
    pub fn add_member(
        &mut self,
        id: &str,
        name: &str,
        public_key: PublicKey,
        contact: &str,
    ) -> Result<usize, RosterError> {
        self.push_member(id, name, public_key, contact)?;
        let dropped = self.signatures.len();
        self.signatures.clear();
        Ok(dropped)
    }

    pub fn member(&self, id: &MemberId) -> Option<&Member> {
        self.members.iter().find(|m| &m.id == id)
    }

    pub fn member_by_key(&self, key: &PublicKey) -> Option<&Member> {
        self.members.iter().find(|m| &m.public_key == key)
    }

    /// The bytes members sign: a fixed plain-text rendering of the coalition and its members.
    pub fn canonical_text(&self) -> String {
        let mut text = format!("missive-roster 1\ncoalition: {}\n", self.coalition);
        for m in &self.members {
            text.push_str(&format!(
                "\nmember: {}\nname: {}\nkey: {}\ncontact: {}\n",
                m.id,
                m.name,
                m.public_key.to_base64(),
                m.contact
            ));
        }
        text
    }

    fn trusted_comment(&self, member: &MemberId) -> String {
        let digest = Sha256::digest(self.canonical_text().as_bytes());
        format!(
            "missive-roster sha256={} org={}",
            hex::encode(digest),
            member
        )
    }

    /// Signs the roster as the member holding `key`; replaces that member's earlier signature.
    pub fn sign(&mut self, key: &SecretKey) -> Result<MemberId, RosterError> {
        let member = self
            .member_by_key(key.public())
            .ok_or_else(|| RosterError::NotAMember {
                fingerprint: key.public().fingerprint().to_string(),
            })?
            .id
            .clone();
        let minisig = key.sign(
            self.canonical_text().as_bytes(),
            &self.trusted_comment(&member),
        )?;
        self.signatures.retain(|s| s.member != member);
        self.signatures.push(RosterSignature {
            member: member.clone(),
            minisig,
        });
        Ok(member)
    }

    /// Checks every member's signature over this exact roster.
    pub fn check(&self) -> RosterCheck {
        let text = self.canonical_text();
        let mut check = RosterCheck::default();
        for m in &self.members {
            let sigs: Vec<_> = self
                .signatures
                .iter()
                .filter(|s| s.member == m.id)
                .collect();
            match sigs.as_slice() {
                [] => check.unsigned.push(m.id.clone()),
                [sig] => match verify_detached(&m.public_key, &sig.minisig, text.as_bytes()) {
                    Ok(comment) if comment == self.trusted_comment(&m.id) => {
                        check.signed.push(m.id.clone())
                    }
                    Ok(_) => check.invalid.push((
                        m.id.clone(),
                        "its trusted comment is not this roster's".to_owned(),
                    )),
                    Err(err) => check.invalid.push((m.id.clone(), err.to_string())),
                },
                _ => check
                    .invalid
                    .push((m.id.clone(), "signed more than once".to_owned())),
            }
        }
        check
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::generate;

    fn key() -> (SecretKey, PublicKey) {
        let pair = generate("x", None).expect("generate");
        let secret = SecretKey::from_file_text(&pair.secret_file, None).expect("open");
        (secret, pair.public)
    }

    #[test]
    fn members_sign_and_changes_drop_signatures() {
        let (sk_a, pk_a) = key();
        let (sk_b, pk_b) = key();
        let mut roster = Roster::new("Coalition of Seven").expect("new");
        roster
            .add_member(
                "bridge",
                "Bridge of Voices",
                pk_a,
                "https://bridge.example.org/",
            )
            .expect("add");
        assert_eq!(roster.sign(&sk_a).expect("sign").as_str(), "bridge");
        assert_eq!(roster.check().signed.len(), 1);

        let dropped = roster
            .add_member(
                "hands",
                "평화의 손길 연대",
                pk_b,
                "mailto:info@hands.example.org",
            )
            .expect("add");
        assert_eq!(dropped, 1);
        roster.sign(&sk_a).expect("sign a");
        roster.sign(&sk_b).expect("sign b");
        let reparsed = Roster::parse(&roster.to_toml()).expect("parse");
        assert_eq!(reparsed, roster);
        let check = reparsed.check();
        assert_eq!(check.signed.len(), 2);
        assert_eq!(
            check.summary(&reparsed),
            "roster signed by 2 of 2 members of Coalition of Seven"
        );
    }

    #[test]
    fn tampering_and_bad_input_are_caught() {
        let (sk_a, pk_a) = key();
        let (sk_x, _) = key();
        let mut roster = Roster::new("C").expect("new");
        roster
            .add_member("a", "A", pk_a.clone(), "https://a.example.org/")
            .expect("add");
        roster.sign(&sk_a).expect("sign");
        assert!(matches!(
            roster.sign(&sk_x),
            Err(RosterError::NotAMember { .. })
        ));

        let mut tampered = roster.clone();
        tampered.members[0].contact = "https://evil.example.net/".to_owned();
        assert_eq!(tampered.check().invalid.len(), 1);

        assert!(matches!(
            roster.add_member("b", "A", pk_a.clone(), "https://b.example.org/"),
            Err(RosterError::DuplicateMember { .. })
        ));
        assert!(
            roster
                .add_member("c", "C\nD", pk_a.clone(), "https://c.example.org/")
                .is_err()
        );
        assert!(roster.add_member("d", "D", pk_a, "javascript:x").is_err());
        assert!(matches!(
            Roster::parse("coalition = 1"),
            Err(RosterError::Malformed(_))
        ));
        assert!(matches!(
            Roster::parse("coalition = \"C\"\nextra = 1"),
            Err(RosterError::Malformed(_))
        ));
    }
}
