//! The signed text: the canonical text followed by a readable signature block. It is the file
//! that travels by messenger and USB stick, and what `verify` reads first.
//!
//! ```text
//! <canonical text>
//!
//! -----BEGIN MISSIVE SIGNATURES-----
//! Letter: letter-to-soldiers
//! Version: 1
//! Language: ko
//! SHA-256: <64 hex digits>
//! Short code: K7QM-3XPD
//! Coalition: <name>
//! Length: <bytes of the canonical text>
//! Signatures: 7
//!
//! Organization: <name>
//! Member: <member id>
//! Public key: <minisign public key, base64>
//! Fingerprint: <8 groups of 4 hex digits>
//! Signature: <minisign signature line>
//! Trusted comment: <the signed trusted comment>
//! Global signature: <minisign global signature line>
//!
//! Organization: …
//! -----END MISSIVE SIGNATURES-----
//! ```
//!
//! A draft adds `Status: UNSIGNED DRAFT …` after `Signatures:`. Only what the trusted comments
//! bind is signed; `Coalition`, `Length` and `Status` are not. The block is itself canonical
//! text, so canonicalizing a signed text changes nothing.

use crate::canonical::{CanonicalText, canonicalize};

pub const BEGIN: &str = "-----BEGIN MISSIVE SIGNATURES-----";
pub const END: &str = "-----END MISSIVE SIGNATURES-----";

/// Header of a signature block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockHeader {
    pub letter: String,
    pub version: String,
    pub language: String,
    pub sha256: String,
    pub short_code: String,
    pub coalition: String,
    /// Byte length of the canonical text: a hint for finding the letter in a long copy (the
    /// hash decides). Not signed.
    pub length: Option<usize>,
    /// `UNSIGNED DRAFT …` on drafts. Not signed: a verifier must not show it as fact.
    pub status: Option<String>,
}

/// One organization's entry in a signature block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockEntry {
    pub organization: String,
    pub member: String,
    pub public_key: String,
    pub fingerprint: String,
    pub signature: String,
    pub trusted_comment: String,
    pub global_signature: String,
}

impl BlockEntry {
    /// Signs `canonical` as `member` with `key`, binding `claim`: one organization's entry.
    pub fn sign(
        key: &crate::keys::SecretKey,
        member: &crate::roster::Member,
        claim: &crate::claim::LetterClaim,
        canonical: &CanonicalText,
    ) -> Result<Self, crate::keys::KeyError> {
        let minisig = key.sign(canonical.as_bytes(), &claim.to_string())?;
        Self::from_minisig(
            &member.name,
            member.id.as_str(),
            &key.public().to_base64(),
            &key.public().fingerprint().to_string(),
            &minisig,
        )
        .ok_or_else(|| crate::keys::KeyError::Sign("minisign made an unreadable signature".into()))
    }

    /// The entry as a `.minisig` file stock minisign reads.
    pub fn minisig(&self) -> String {
        format!(
            "untrusted comment: signature of {} from a missive signed text\n{}\ntrusted comment: {}\n{}\n",
            self.organization, self.signature, self.trusted_comment, self.global_signature
        )
    }

    /// Builds an entry from a `.minisig` file.
    pub fn from_minisig(
        organization: &str,
        member: &str,
        public_key: &str,
        fingerprint: &str,
        minisig: &str,
    ) -> Option<Self> {
        let mut lines = minisig.lines().map(str::trim).filter(|l| !l.is_empty());
        let _untrusted = lines.next()?.strip_prefix("untrusted comment:")?;
        let signature = lines.next()?.to_owned();
        let trusted_comment = lines
            .next()?
            .strip_prefix("trusted comment:")?
            .trim()
            .to_owned();
        let global_signature = lines.next()?.to_owned();
        Some(Self {
            organization: organization.to_owned(),
            member: member.to_owned(),
            public_key: public_key.to_owned(),
            fingerprint: fingerprint.to_owned(),
            signature,
            trusted_comment,
            global_signature,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureBlock {
    pub header: BlockHeader,
    /// What the `Signatures:` line says; compared with the entries to catch truncation.
    pub declared: usize,
    pub entries: Vec<BlockEntry>,
}

impl SignatureBlock {
    pub fn render(&self) -> String {
        let h = &self.header;
        let mut out = format!(
            "{BEGIN}\nLetter: {}\nVersion: {}\nLanguage: {}\nSHA-256: {}\nShort code: {}\nCoalition: {}\n",
            h.letter, h.version, h.language, h.sha256, h.short_code, h.coalition
        );
        if let Some(length) = h.length {
            out.push_str(&format!("Length: {length}\n"));
        }
        out.push_str(&format!("Signatures: {}\n", self.entries.len()));
        if let Some(status) = &h.status {
            out.push_str(&format!("Status: {status}\n"));
        }
        for e in &self.entries {
            out.push_str(&format!(
                "\nOrganization: {}\nMember: {}\nPublic key: {}\nFingerprint: {}\nSignature: {}\nTrusted comment: {}\nGlobal signature: {}\n",
                e.organization, e.member, e.public_key, e.fingerprint, e.signature, e.trusted_comment, e.global_signature
            ));
        }
        out.push_str(END);
        out.push('\n');
        out
    }
}

/// The signed text of one language.
pub fn render(canonical: &CanonicalText, block: &SignatureBlock) -> String {
    format!("{}\n{}", canonical.as_str(), block.render())
}

/// Why a signature block could not be read. Every one of these means the copy was damaged
/// or tampered with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    #[error("the copy holds more than one signature block")]
    Duplicated,
    #[error("the signature block is cut off: {0}")]
    Truncated(String),
    #[error("the signature block is damaged: {0}")]
    Malformed(String),
}

/// A canonicalized copy split around its signature block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitCopy {
    /// The lines before the block (page chrome, a forwarded-from line, then the letter).
    pub before: Vec<String>,
    pub block: SignatureBlock,
    /// Non-empty lines after the block: never part of the signed letter.
    pub after: Vec<String>,
}

/// Whether a line is the block's BEGIN (`Some(true)`) or END (`Some(false)`) marker: the words
/// with at least one dash on each side, any case, as messengers may turn `--` into `—`.
pub(crate) fn marker(line: &str) -> Option<bool> {
    let is_dash = |c: char| matches!(c, '-' | '—' | '–' | '‒' | '−' | '=');
    let is_edge = |c: char| is_dash(c) || c == ' ';
    let core = line.trim_matches(is_edge);
    let dashed = line.starts_with(is_dash) && line.ends_with(is_dash);
    if !dashed {
        return None;
    }
    match core.to_ascii_uppercase().as_str() {
        "BEGIN MISSIVE SIGNATURES" => Some(true),
        "END MISSIVE SIGNATURES" => Some(false),
        _ => None,
    }
}

/// Finds and parses the signature block in any copy. `Ok(None)` when there is none.
pub fn split(copy: &str) -> Result<Option<SplitCopy>, BlockError> {
    let canonical = canonicalize(copy);
    let lines: Vec<&str> = canonical.lines().collect();
    let begins: Vec<usize> = (0..lines.len())
        .filter(|&i| marker(lines[i]) == Some(true))
        .collect();
    let begin = match begins.as_slice() {
        [] => {
            if lines.iter().any(|l| marker(l) == Some(false)) {
                return Err(BlockError::Truncated(
                    "its first line is missing".to_owned(),
                ));
            }
            return Ok(None);
        }
        [one] => *one,
        _ => return Err(BlockError::Duplicated),
    };
    let end = (begin + 1..lines.len())
        .find(|&i| marker(lines[i]) == Some(false))
        .ok_or_else(|| BlockError::Truncated(format!("no '{END}' line")))?;
    if lines[end + 1..].iter().any(|l| marker(l) == Some(false)) {
        return Err(BlockError::Duplicated);
    }
    let block = parse_block(&lines[begin + 1..end])?;
    Ok(Some(SplitCopy {
        before: lines[..begin].iter().map(|s| (*s).to_owned()).collect(),
        block,
        after: lines[end + 1..]
            .iter()
            .filter(|l| !l.is_empty())
            .map(|s| (*s).to_owned())
            .collect(),
    }))
}

fn field(line: &str) -> Option<(String, &str)> {
    let (label, value) = line.split_once(':')?;
    Some((label.trim().to_ascii_lowercase(), value.trim()))
}

fn parse_block(lines: &[&str]) -> Result<SignatureBlock, BlockError> {
    let mut groups: Vec<Vec<&str>> = vec![Vec::new()];
    for line in lines {
        if line.is_empty() {
            groups.push(Vec::new());
        } else if let Some(group) = groups.last_mut() {
            group.push(line);
        }
    }
    groups.retain(|g| !g.is_empty());
    let mut groups = groups.into_iter();
    let header_lines = groups
        .next()
        .ok_or_else(|| BlockError::Malformed("it is empty".to_owned()))?;

    let mut header = BlockHeader {
        letter: String::new(),
        version: String::new(),
        language: String::new(),
        sha256: String::new(),
        short_code: String::new(),
        coalition: String::new(),
        length: None,
        status: None,
    };
    let mut declared = None;
    for line in header_lines {
        let (label, value) = field(line)
            .ok_or_else(|| BlockError::Malformed(format!("unexpected line '{line}'")))?;
        let slot = match label.as_str() {
            "letter" => &mut header.letter,
            "version" => &mut header.version,
            "language" => &mut header.language,
            "sha-256" => &mut header.sha256,
            "short code" => &mut header.short_code,
            "coalition" => &mut header.coalition,
            "status" => {
                header.status = Some(value.to_owned());
                continue;
            }
            "length" => {
                header.length = Some(value.parse::<usize>().map_err(|_| {
                    BlockError::Malformed(format!("'Length: {value}' is not a number"))
                })?);
                continue;
            }
            "signatures" => {
                declared = Some(value.parse::<usize>().map_err(|_| {
                    BlockError::Malformed(format!("'Signatures: {value}' is not a number"))
                })?);
                continue;
            }
            other => {
                return Err(BlockError::Malformed(format!(
                    "unknown header field '{other}'"
                )));
            }
        };
        if !slot.is_empty() {
            return Err(BlockError::Malformed(format!(
                "header field '{label}' appears twice"
            )));
        }
        *slot = value.to_owned();
    }
    for (name, value) in [
        ("Letter", &header.letter),
        ("Version", &header.version),
        ("Language", &header.language),
        ("SHA-256", &header.sha256),
        ("Short code", &header.short_code),
    ] {
        if value.is_empty() {
            return Err(BlockError::Malformed(format!(
                "the header has no '{name}:' line"
            )));
        }
    }
    let declared = declared
        .ok_or_else(|| BlockError::Malformed("the header has no 'Signatures:' line".to_owned()))?;

    let mut entries = Vec::new();
    for (n, group) in groups.enumerate() {
        entries.push(parse_entry(n + 1, &group)?);
    }
    if entries.len() != declared {
        return Err(BlockError::Truncated(format!(
            "it declares {declared} signatures but holds {}",
            entries.len()
        )));
    }
    for (i, e) in entries.iter().enumerate() {
        if entries[..i]
            .iter()
            .any(|other| other.member == e.member || other.public_key == e.public_key)
        {
            return Err(BlockError::Malformed(format!(
                "organization '{}' appears more than once",
                e.organization
            )));
        }
    }
    Ok(SignatureBlock {
        header,
        declared,
        entries,
    })
}

fn parse_entry(n: usize, lines: &[&str]) -> Result<BlockEntry, BlockError> {
    let mut values: [Option<String>; 7] = Default::default();
    const LABELS: [&str; 7] = [
        "organization",
        "member",
        "public key",
        "fingerprint",
        "signature",
        "trusted comment",
        "global signature",
    ];
    for line in lines {
        let (label, value) = field(line).ok_or_else(|| {
            BlockError::Malformed(format!("signature {n}: unexpected line '{line}'"))
        })?;
        let index = LABELS.iter().position(|l| *l == label).ok_or_else(|| {
            BlockError::Malformed(format!("signature {n}: unknown field '{label}'"))
        })?;
        if values[index].replace(value.to_owned()).is_some() {
            return Err(BlockError::Malformed(format!(
                "signature {n}: '{label}' appears twice"
            )));
        }
    }
    let mut take = |i: usize| {
        values[i].take().ok_or_else(|| {
            BlockError::Truncated(format!("signature {n} has no '{}' line", LABELS[i]))
        })
    };
    Ok(BlockEntry {
        organization: take(0)?,
        member: take(1)?,
        public_key: take(2)?,
        fingerprint: take(3)?,
        signature: take(4)?,
        trusted_comment: take(5)?,
        global_signature: take(6)?,
    })
}
