//! Verifying a copy: is this the coalition's signed text, word for word?
//!
//! A copy is any text — a signed text file, a page's text, a paste out of a messenger. It is
//! canonicalized, its signature block found, and the letter located as the lines just before
//! the block whose hash the block names (so page chrome or a "forwarded from" line in front
//! does not matter). Each signature must verify over those exact bytes and bind the same
//! letter, version, language and hash; each key must be one the user trusts.
//!
//! Verdicts: AUTHENTIC, ALTERED (with a word diff when an authentic reference is known),
//! NOT SIGNED, UNKNOWN (signed, but by no key the user trusts).

use crate::canonical::{CanonicalText, TextHash};
use crate::claim::LetterClaim;
use crate::diff::{WordDiff, similarity, word_diff};
use crate::keys::{PublicKey, verify_detached};
use crate::roster::Roster;
use crate::signed_text::{self, BlockEntry, SplitCopy};

/// Below this word similarity a text is not "a changed copy of" a reference.
const RESEMBLANCE: f32 = 0.5;

/// Which keys the user trusts. Empty: the keys carried inside the copy are used, which proves
/// nothing until their fingerprints are compared with a trusted source.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    pub roster: Option<Roster>,
    pub keys: Vec<PublicKey>,
}

impl Trust {
    pub fn from_copy() -> Self {
        Self::default()
    }

    pub fn is_from_copy(&self) -> bool {
        self.roster.is_none() && self.keys.is_empty()
    }
}

/// An authentic text known to the verifier (from a trusted bundle or signed text), used to
/// recognize an unsigned paste and to show what an altered copy changed.
#[derive(Debug, Clone)]
pub struct Reference {
    pub identity: Identity,
    pub canonical: CanonicalText,
    pub signers: Vec<SignerReport>,
    /// Where it came from, for messages: a path.
    pub origin: String,
}

/// Which letter a copy is (or claims to be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub letter: String,
    pub version: String,
    pub language: String,
    pub sha256: String,
    pub short_code: String,
    pub coalition: String,
}

impl Identity {
    pub fn describe(&self) -> String {
        format!(
            "letter '{}', version {}, language {}",
            self.letter, self.version, self.language
        )
    }
}

/// One organization's signature as the verifier saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerReport {
    pub member: String,
    pub organization: String,
    pub fingerprint: String,
    pub key_id: String,
}

#[derive(Debug, Clone)]
pub enum Verdict {
    Authentic(Authentic),
    Altered(Altered),
    NotSigned(NotSigned),
    Unknown(Unknown),
}

impl Verdict {
    pub fn is_authentic(&self) -> bool {
        matches!(self, Verdict::Authentic(_))
    }

    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Authentic(_) => "AUTHENTIC",
            Verdict::Altered(_) => "ALTERED",
            Verdict::NotSigned(_) => "NOT SIGNED",
            Verdict::Unknown(_) => "UNKNOWN",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Authentic {
    pub identity: Identity,
    /// Signatures that verify with a trusted key (or, from the copy, with its own keys).
    pub signers: Vec<SignerReport>,
    /// K signers of N members (N from the trusted roster, else from the copy).
    pub signed: usize,
    pub of: usize,
    /// True when no trusted keys were given: the keys came from the copy itself.
    pub keys_from_copy: bool,
    /// The block's `Status:` line, present on unsigned drafts.
    pub draft: Option<String>,
    /// The canonical text that verified.
    pub canonical: CanonicalText,
    /// Set when the copy had no signatures and matched a trusted reference word for word.
    pub matched_reference: Option<String>,
    /// Lines of the copy before the signed letter (page chrome, a forwarded-from line — or
    /// words a forger put in front). They are not part of what was verified.
    pub outside_letter: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Altered {
    pub claimed: Option<Identity>,
    pub reasons: Vec<String>,
    /// The authentic reference the copy resembles, and what changed.
    pub resembles: Option<Identity>,
    pub reference_origin: Option<String>,
    pub diff: Option<WordDiff>,
}

#[derive(Debug, Clone)]
pub struct NotSigned {
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Unknown {
    pub claimed: Option<Identity>,
    pub reason: String,
    pub signers: Vec<SignerReport>,
}

/// Verifies one copy.
pub fn verify_copy(copy: &str, trust: &Trust, references: &[Reference]) -> Verdict {
    match signed_text::split(copy) {
        Err(err) => {
            let text = text_before_any_marker(copy);
            altered_against_references(None, vec![err.to_string()], &text, references)
        }
        Ok(None) => unsigned(copy, references),
        Ok(Some(split)) => signed(&split, trust, references),
    }
}

fn text_before_any_marker(copy: &str) -> String {
    let canonical = crate::canonical::canonicalize(copy);
    canonical
        .lines()
        .take_while(|l| !l.to_ascii_uppercase().contains("MISSIVE SIGNATURES"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn unsigned(copy: &str, references: &[Reference]) -> Verdict {
    let text = CanonicalText::new(copy);
    let lines: Vec<&str> = text.as_str().lines().collect();
    for reference in references {
        if contains_lines(&lines, reference.canonical.as_str()) {
            return Verdict::Authentic(Authentic {
                identity: reference.identity.clone(),
                signed: reference.signers.len(),
                of: reference.signers.len(),
                signers: reference.signers.clone(),
                keys_from_copy: false,
                draft: None,
                canonical: reference.canonical.clone(),
                matched_reference: Some(reference.origin.clone()),
                outside_letter: Vec::new(),
                notes: vec![
                    "this copy carries no signatures; its words are exactly those of the \
                     signed reference"
                        .to_owned(),
                ],
            });
        }
    }
    if let Some((reference, candidate)) = best_reference(text.as_str(), references, None) {
        let diff = word_diff(reference.canonical.as_str(), &candidate);
        return Verdict::Altered(Altered {
            claimed: None,
            reasons: vec![
                "this copy carries no signatures, and its words differ from the authentic letter"
                    .to_owned(),
            ],
            resembles: Some(reference.identity.clone()),
            reference_origin: Some(reference.origin.clone()),
            diff: Some(diff),
        });
    }
    Verdict::NotSigned(NotSigned {
        reason: if text.is_empty() {
            "the copy is empty".to_owned()
        } else {
            "the copy has no Missive signature block, so nothing vouches for it. Ask for the \
             signed text (letter.txt), or compare it with an authentic copy (--against)"
                .to_owned()
        },
    })
}

/// Whether `needle`'s lines appear, in order and contiguous, among `haystack`.
fn contains_lines(haystack: &[&str], needle: &str) -> bool {
    let needle: Vec<&str> = needle.lines().collect();
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle.as_slice())
}

fn identity_of(split: &SplitCopy) -> Identity {
    let h = &split.block.header;
    Identity {
        letter: h.letter.clone(),
        version: h.version.clone(),
        language: h.language.clone(),
        sha256: h.sha256.to_ascii_lowercase(),
        short_code: h.short_code.clone(),
        coalition: h.coalition.clone(),
    }
}

fn signed(split: &SplitCopy, trust: &Trust, references: &[Reference]) -> Verdict {
    let identity = identity_of(split);
    let Some(claimed_hash) = TextHash::from_hex(&identity.sha256) else {
        let text = split.before.join("\n");
        return altered_against_references(
            Some(identity),
            vec!["the signature block's SHA-256 line is damaged".to_owned()],
            &text,
            references,
        );
    };
    let Some((start, letter)) = locate_letter(&split.before, &claimed_hash) else {
        let text = split.before.join("\n");
        return altered_against_references(
            Some(identity),
            vec!["the text does not match its signatures: it was changed after the \
                  organizations signed it"
                .to_owned()],
            &text,
            references,
        );
    };

    let mut problems = Vec::new();
    if claimed_hash.short_code().to_string() != identity.short_code {
        problems.push(format!(
            "the block's short code {} is not the text's ({})",
            identity.short_code,
            claimed_hash.short_code()
        ));
    }
    let mut verified = Vec::new();
    for entry in &split.block.entries {
        match check_entry(entry, &identity, &letter) {
            Ok(signer) => verified.push((entry, signer)),
            Err(problem) => problems.push(problem),
        }
    }

    let mut trusted = Vec::new();
    let mut strangers = Vec::new();
    for (entry, (key, signer)) in verified {
        match judge_key(trust, entry, &key, &signer) {
            KeyJudgement::Trusted => trusted.push(signer),
            KeyJudgement::Impersonation(problem) => problems.push(problem),
            KeyJudgement::Stranger => strangers.push(signer),
        }
    }
    if !problems.is_empty() {
        let text = letter.as_str().to_owned();
        return altered_against_references(Some(identity), problems, &text, references);
    }
    if trusted.is_empty() {
        let reason = if split.block.entries.is_empty() {
            "the copy's signature block holds no signatures".to_owned()
        } else {
            "the signatures are valid, but none is by a key you trust: they are not the \
             coalition's keys"
                .to_owned()
        };
        return Verdict::Unknown(Unknown {
            claimed: Some(identity),
            reason,
            signers: strangers,
        });
    }

    let (of, keys_from_copy) = match &trust.roster {
        Some(roster) => (roster.members.len(), false),
        None if !trust.keys.is_empty() => (trust.keys.len(), false),
        None => (split.block.entries.len(), true),
    };
    let mut notes: Vec<String> = strangers
        .iter()
        .map(|s| {
            format!(
                "also signed by '{}' (fingerprint {}), a key you do not trust; not counted",
                s.organization, s.fingerprint
            )
        })
        .collect();
    if let Some(newer) = references.iter().find(|r| {
        r.identity.letter == identity.letter
            && r.identity.language == identity.language
            && r.identity.version.parse::<u32>().ok() > identity.version.parse::<u32>().ok()
    }) {
        notes.push(format!(
            "a newer version ({}) of this letter exists in {}",
            newer.identity.version, newer.origin
        ));
    }
    Verdict::Authentic(Authentic {
        identity,
        signed: trusted.len(),
        of,
        signers: trusted,
        keys_from_copy,
        draft: split.block.header.status.clone(),
        canonical: letter,
        matched_reference: None,
        outside_letter: split.before[..start]
            .iter()
            .filter(|l| !l.is_empty())
            .cloned()
            .collect(),
        notes,
    })
}

/// The letter is the run of lines ending just before the block whose hash the block names;
/// returns where it starts and its text.
fn locate_letter(before: &[String], hash: &TextHash) -> Option<(usize, CanonicalText)> {
    (0..before.len())
        .filter(|&i| !before[i].is_empty())
        .map(|i| (i, CanonicalText::new(&before[i..].join("\n"))))
        .find(|(_, candidate)| &candidate.sha256() == hash)
}

fn check_entry(
    entry: &BlockEntry,
    identity: &Identity,
    letter: &CanonicalText,
) -> Result<(PublicKey, SignerReport), String> {
    let who = &entry.organization;
    let key = PublicKey::from_base64(&entry.public_key)
        .map_err(|err| format!("the public key given for '{who}' is damaged ({err})"))?;
    let comment = verify_detached(&key, &entry.minisig(), letter.as_bytes())
        .map_err(|err| format!("the signature of '{who}' is not valid: {err}"))?;
    let claim = LetterClaim::parse(&comment)
        .ok_or_else(|| format!("the signature of '{who}' is not a Missive letter signature"))?;
    let consistent = claim.letter.as_str() == identity.letter
        && claim.version.to_string() == identity.version
        && claim.lang.as_str() == identity.language
        && claim.sha256.to_hex() == identity.sha256
        && claim.member.as_str() == entry.member
        && claim.name == entry.organization;
    if !consistent {
        return Err(format!(
            "the signature of '{who}' binds something else than the block says: {comment}"
        ));
    }
    if key.fingerprint().to_string() != entry.fingerprint {
        return Err(format!(
            "the fingerprint printed for '{who}' is not its key's ({})",
            key.fingerprint()
        ));
    }
    let signer = SignerReport {
        member: entry.member.clone(),
        organization: entry.organization.clone(),
        fingerprint: key.fingerprint().to_string(),
        key_id: key.key_id(),
    };
    Ok((key, signer))
}

enum KeyJudgement {
    Trusted,
    /// The copy claims a trusted organization signed, with a key that is not theirs.
    Impersonation(String),
    /// A key the user does not trust, not claiming to be anyone the user trusts.
    Stranger,
}

fn judge_key(trust: &Trust, entry: &BlockEntry, key: &PublicKey, signer: &SignerReport) -> KeyJudgement {
    if let Some(roster) = &trust.roster {
        let by_id = roster.members.iter().find(|m| m.id.as_str() == entry.member);
        let by_name = roster.members.iter().find(|m| m.name == entry.organization);
        return match by_id.or(by_name) {
            Some(member) if &member.public_key == key && member.id.as_str() == entry.member => {
                KeyJudgement::Trusted
            }
            Some(member) => KeyJudgement::Impersonation(format!(
                "the copy carries a key for '{}' that is not the one in your roster \
                 (copy: {}, roster: {}): someone else signed in its name",
                member.name,
                signer.fingerprint,
                member.public_key.fingerprint()
            )),
            None => KeyJudgement::Stranger,
        };
    }
    if !trust.keys.is_empty() {
        return if trust.keys.contains(key) {
            KeyJudgement::Trusted
        } else {
            KeyJudgement::Stranger
        };
    }
    KeyJudgement::Trusted
}

/// The reference a text most resembles, with the part of the text aligned to it.
fn best_reference<'r>(
    text: &str,
    references: &'r [Reference],
    claimed: Option<&Identity>,
) -> Option<(&'r Reference, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut best: Option<(&Reference, String, f32)> = None;
    for reference in references {
        let candidate = align(&lines, reference.canonical.as_str());
        let mut score = similarity(reference.canonical.as_str(), &candidate);
        if let Some(claimed) = claimed {
            if claimed.sha256 == reference.identity.sha256 {
                score += 1.0;
            } else if claimed.letter == reference.identity.letter
                && claimed.language == reference.identity.language
            {
                score += 0.5;
            }
        }
        if score >= RESEMBLANCE && best.as_ref().is_none_or(|(_, _, s)| score > *s) {
            best = Some((reference, candidate, score));
        }
    }
    best.map(|(r, c, _)| (r, c))
}

/// Drops leading lines (page chrome, a forwarded-from line) that come before the line most
/// like the reference's first line.
fn align(lines: &[&str], reference: &str) -> String {
    let first = reference.lines().next().unwrap_or_default();
    let start = lines
        .iter()
        .enumerate()
        .map(|(i, line)| (i, similarity(first, line)))
        .fold((0, 0.0f32), |best, (i, s)| if s > best.1 { (i, s) } else { best })
        .0;
    let mut text = lines[start.min(lines.len())..].join("\n");
    text.push('\n');
    text
}

fn altered_against_references(
    claimed: Option<Identity>,
    reasons: Vec<String>,
    text: &str,
    references: &[Reference],
) -> Verdict {
    let text = crate::canonical::canonicalize(text);
    let found = best_reference(&text, references, claimed.as_ref());
    let (resembles, reference_origin, diff) = match found {
        Some((reference, candidate)) => (
            Some(reference.identity.clone()),
            Some(reference.origin.clone()),
            Some(word_diff(reference.canonical.as_str(), &candidate)),
        ),
        None => (None, None, None),
    };
    Verdict::Altered(Altered {
        claimed,
        reasons,
        resembles,
        reference_origin,
        diff,
    })
}
