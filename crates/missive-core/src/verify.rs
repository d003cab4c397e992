//! Verifying a copy: is this the coalition's signed text, word for word?
//!
//! A copy is any text — a signed text file, a page's text, a paste out of a messenger. It is
//! canonicalized, its signature block found, and the letter located as the lines just before
//! the block whose hash the block names (so page chrome or a "forwarded from" line in front
//! does not matter — but it is reported, as is anything after the block: neither is part of
//! what was signed). Each signature must verify over those exact bytes and bind the same
//! letter, version, language and hash; each key must be one the user trusts.
//!
//! Verdicts: AUTHENTIC, ALTERED (with a word diff when an authentic reference is known),
//! NOT SIGNED, UNKNOWN (signed, but by no key the user trusts).

use sha2::{Digest, Sha256};

use crate::canonical::{CanonicalText, TextHash, canonicalize, is_reordering_control};
use crate::claim::LetterClaim;
use crate::diff::{WordDiff, similarity, word_diff};
use crate::keys::PublicKey;
use crate::roster::Roster;
use crate::signed_text::{self, BlockEntry, SplitCopy};

/// Below this word similarity a text is not "a changed copy of" a reference.
const RESEMBLANCE: f32 = 0.5;

/// Without a usable `Length:` hint, at most this many bytes are hashed looking for the letter:
/// a bound on the work a hostile copy can cause.
const SEARCH_BUDGET: usize = 64 << 20;

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
    /// How the reference itself verified: its signers, out of how many, and on what trust.
    pub signers: Vec<SignerReport>,
    pub of: usize,
    pub keys_from_copy: bool,
    pub claims_draft: bool,
    /// Where it came from, for messages: a path.
    pub origin: String,
}

impl Reference {
    /// A reference from an authentic verdict.
    pub fn from_authentic(verdict: Authentic, origin: String) -> Self {
        Self {
            identity: verdict.identity,
            canonical: verdict.canonical,
            signers: verdict.signers,
            of: verdict.of,
            keys_from_copy: verdict.keys_from_copy,
            claims_draft: verdict.claims_draft,
            origin,
        }
    }
}

/// Which letter a copy is (or claims to be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub letter: String,
    pub version: String,
    pub language: String,
    pub sha256: String,
    pub short_code: String,
    /// As the copy names it; not signed.
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
    /// The roster's name for the member when a roster is trusted, else the copy's.
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
    /// The copy's block carries a `Status:` line (drafts do). Its words are not signed.
    pub claims_draft: bool,
    /// The canonical text that verified.
    pub canonical: CanonicalText,
    /// Set when the copy had no signatures and matched a trusted reference word for word.
    pub matched_reference: Option<String>,
    /// Lines of the copy before the signed letter (page chrome, a forwarded-from line — or
    /// words a forger put in front). They are not part of what was verified.
    pub before_letter: Vec<String>,
    /// Lines after the signatures (or after the letter, for an unsigned match): not part of
    /// what was verified either.
    pub after_letter: Vec<String>,
    pub notes: Vec<String>,
}

impl Authentic {
    /// Fewer members signed than the trusted roster has.
    pub fn is_partly_signed(&self) -> bool {
        self.signed < self.of
    }
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
    let reordering = copy.chars().filter(|c| is_reordering_control(*c)).count();
    if reordering > 0 {
        // Canonicalization drops them, so the signatures would still match: but the reader
        // may be shown the words in another order than the one signed.
        let text = text_before_any_marker(copy);
        return altered_against_references(
            None,
            vec![format!(
                "the copy holds {reordering} invisible bidirectional control character(s) \
                 (U+202A–U+202E, U+2066–U+2069) that can change the order in which words are \
                 shown: what a reader sees may not be what was signed"
            )],
            &text,
            references,
        );
    }
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
    canonicalize(copy)
        .lines()
        .take_while(|l| signed_text::marker(l).is_none())
        .collect::<Vec<_>>()
        .join("\n")
}

fn unsigned(copy: &str, references: &[Reference]) -> Verdict {
    let text = CanonicalText::new(copy);
    let lines: Vec<&str> = text.as_str().lines().collect();
    for reference in references {
        if let Some(at) = find_lines(&lines, reference.canonical.as_str()) {
            let length = reference.canonical.as_str().lines().count();
            let mut notes = vec![
                "this copy carries no signatures; its letter is word for word the signed text \
                 of the reference"
                    .to_owned(),
            ];
            if reference.keys_from_copy {
                notes.push(
                    "the reference was checked only with the keys it carries itself".to_owned(),
                );
            }
            return Verdict::Authentic(Authentic {
                identity: reference.identity.clone(),
                signed: reference.signers.len(),
                of: reference.of,
                signers: reference.signers.clone(),
                keys_from_copy: reference.keys_from_copy,
                claims_draft: reference.claims_draft,
                canonical: reference.canonical.clone(),
                matched_reference: Some(reference.origin.clone()),
                before_letter: non_empty(&lines[..at]),
                after_letter: non_empty(&lines[at + length..]),
                notes,
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

fn non_empty(lines: &[&str]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| (*l).to_owned())
        .collect()
}

/// Where `needle`'s lines appear, in order and contiguous, among `haystack`.
fn find_lines(haystack: &[&str], needle: &str) -> Option<usize> {
    let needle: Vec<&str> = needle.lines().collect();
    if needle.is_empty() {
        return None;
    }
    haystack
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
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
    let Some((start, letter)) =
        locate_letter(&split.before, &claimed_hash, split.block.header.length)
    else {
        let text = split.before.join("\n");
        return altered_against_references(
            Some(identity),
            vec![
                "the text does not match its signatures: it was changed after the \
                  organizations signed it"
                    .to_owned(),
            ],
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
    for (entry, checked) in
        split
            .block
            .entries
            .iter()
            .zip(check_entries(&split.block.entries, &identity, &letter))
    {
        match checked {
            Ok(signer) => verified.push((entry, signer)),
            Err(problem) => problems.push(problem),
        }
    }

    let mut trusted = Vec::new();
    let mut strangers = Vec::new();
    for (entry, (key, signer)) in verified {
        match judge_key(trust, entry, &key, signer) {
            KeyJudgement::Trusted(signer) => trusted.push(signer),
            KeyJudgement::Impersonation(problem) => problems.push(problem),
            KeyJudgement::Stranger(signer) => strangers.push(signer),
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
        claims_draft: split.block.header.status.is_some(),
        canonical: letter,
        matched_reference: None,
        before_letter: non_empty(
            &split.before[..start]
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        ),
        after_letter: split.after.clone(),
        notes,
    })
}

/// The letter is the run of lines ending just before the block whose hash the block names;
/// returns the line it starts at and its text. The lines are already canonical, so each
/// candidate is a byte suffix of their join and needs hashing only. The block's `Length:`
/// hint is tried first; without it the search stops after `SEARCH_BUDGET` bytes.
fn locate_letter(
    before: &[String],
    hash: &TextHash,
    length: Option<usize>,
) -> Option<(usize, CanonicalText)> {
    let end = before.iter().rposition(|l| !l.is_empty())? + 1;
    let lines = &before[..end];
    let mut text = lines.join("\n");
    text.push('\n');
    let mut starts = Vec::with_capacity(lines.len());
    let mut offset = 0;
    for line in lines {
        starts.push(offset);
        offset += line.len() + 1;
    }
    let matches = |i: usize| {
        !lines[i].is_empty() && Sha256::digest(&text.as_bytes()[starts[i]..]).as_slice() == hash.0
    };
    let hinted = length
        .and_then(|len| text.len().checked_sub(len))
        .and_then(|at| starts.binary_search(&at).ok());
    let found = hinted.filter(|&i| matches(i)).or_else(|| {
        let mut spent = 0usize;
        (0..lines.len()).find(|&i| {
            spent += text.len() - starts[i];
            spent <= SEARCH_BUDGET && matches(i)
        })
    })?;
    Some((found, CanonicalText::new(&text[starts[found]..])))
}

/// Checks every entry: its key, its signature over the letter (all in one batch), and that
/// its trusted comment binds what the block and the entry say.
fn check_entries(
    entries: &[BlockEntry],
    identity: &Identity,
    letter: &CanonicalText,
) -> Vec<Result<(PublicKey, SignerReport), String>> {
    let keys: Vec<Result<PublicKey, String>> = entries
        .iter()
        .map(|entry| {
            PublicKey::from_base64(&entry.public_key).map_err(|err| {
                format!(
                    "the public key given for '{}' is damaged ({err})",
                    entry.organization
                )
            })
        })
        .collect();
    let minisigs: Vec<String> = entries.iter().map(BlockEntry::minisig).collect();
    let signed: Vec<(&PublicKey, &str)> = keys
        .iter()
        .zip(&minisigs)
        .filter_map(|(key, minisig)| key.as_ref().ok().map(|k| (k, minisig.as_str())))
        .collect();
    let mut comments = crate::keys::verify_many(&signed, letter.as_bytes()).into_iter();
    entries
        .iter()
        .zip(keys)
        .map(|(entry, key)| {
            let key = key?;
            let comment = comments
                .next()
                .unwrap_or(Err(crate::keys::SignatureError::Mismatch));
            check_claim(entry, identity, key, comment)
        })
        .collect()
}

fn check_claim(
    entry: &BlockEntry,
    identity: &Identity,
    key: PublicKey,
    comment: Result<String, crate::keys::SignatureError>,
) -> Result<(PublicKey, SignerReport), String> {
    let who = &entry.organization;
    let comment = comment.map_err(|err| format!("the signature of '{who}' is not valid: {err}"))?;
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
    let fingerprint = key.fingerprint().to_string();
    if fingerprint != entry.fingerprint {
        return Err(format!(
            "the fingerprint printed for '{who}' is not its key's ({fingerprint})"
        ));
    }
    let signer = SignerReport {
        member: entry.member.clone(),
        organization: entry.organization.clone(),
        fingerprint,
        key_id: key.key_id(),
    };
    Ok((key, signer))
}

enum KeyJudgement {
    Trusted(SignerReport),
    /// The copy claims a trusted organization signed, with a key or name that is not theirs.
    Impersonation(String),
    /// A key the user does not trust, not claiming to be anyone the user trusts.
    Stranger(SignerReport),
}

fn judge_key(
    trust: &Trust,
    entry: &BlockEntry,
    key: &PublicKey,
    signer: SignerReport,
) -> KeyJudgement {
    if let Some(roster) = &trust.roster {
        let by_id = roster
            .members
            .iter()
            .find(|m| m.id.as_str() == entry.member);
        let by_name = roster.members.iter().find(|m| m.name == entry.organization);
        let by_key = roster.member_by_key(key);
        return match (by_id, by_name, by_key) {
            // Id, name and key must all be the same member's.
            (Some(member), Some(named), Some(keyed))
                if member.id == named.id && member.id == keyed.id =>
            {
                KeyJudgement::Trusted(SignerReport {
                    organization: member.name.clone(),
                    ..signer
                })
            }
            (None, None, None) => KeyJudgement::Stranger(signer),
            (by_id, by_name, by_key) => {
                let claimed = by_id
                    .or(by_name)
                    .map_or(entry.organization.as_str(), |m| m.name.as_str());
                KeyJudgement::Impersonation(match by_key {
                    Some(owner) => format!(
                        "the copy presents the key of '{}' as the signature of '{claimed}'",
                        owner.name
                    ),
                    None => format!(
                        "the copy carries a key for '{claimed}' that is not the one in your \
                         roster (copy: {}): someone else signed in its name",
                        signer.fingerprint
                    ),
                })
            }
        };
    }
    if !trust.keys.is_empty() {
        return if trust.keys.contains(key) {
            KeyJudgement::Trusted(signer)
        } else {
            KeyJudgement::Stranger(signer)
        };
    }
    KeyJudgement::Trusted(signer)
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
        .fold(
            (0, 0.0f32),
            |best, (i, s)| if s > best.1 { (i, s) } else { best },
        )
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
    let text = canonicalize(text);
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
