//! Organizations signing a letter: which signatures a letter folder holds, whether each still
//! binds the current text, and adding one organization's signatures.
//!
//! A signature binds letter id, version, language, the SHA-256 of the canonical text and the
//! organization (see [`crate::claim`]). Changing the text without raising the version would
//! leave two different texts under one version: signing refuses that.

use std::fs;
use std::path::PathBuf;

use crate::claim::LetterClaim;
use crate::ids::MemberId;
use crate::keys::{SecretKey, SignatureError, read_trusted_comment, verify_detached};
use crate::lang::LanguageTag;
use crate::letter::{Letter, LetterError, Translation, read_text};
use crate::roster::{Member, Roster, RosterError};

/// The state of one member's signature over one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureState {
    Missing,
    /// Verifies over the current text and binds the current id, version and language.
    Valid {
        minisig: String,
    },
    /// Made for an earlier version; the member must sign again.
    OlderVersion {
        version: u32,
    },
    /// Made for this version but a different text: the text changed without a version bump.
    TextChanged,
    /// Anything else: wrong key, damaged file, another letter or language.
    Invalid {
        reason: String,
    },
}

/// Every roster member's signature state for one language.
#[derive(Debug, Clone)]
pub struct TranslationSignatures {
    pub lang: LanguageTag,
    pub states: Vec<(Member, SignatureState)>,
}

impl TranslationSignatures {
    pub fn valid(&self) -> impl Iterator<Item = (&Member, &str)> {
        self.states.iter().filter_map(|(m, s)| match s {
            SignatureState::Valid { minisig } => Some((m, minisig.as_str())),
            _ => None,
        })
    }

    pub fn is_complete(&self) -> bool {
        self.states
            .iter()
            .all(|(_, s)| matches!(s, SignatureState::Valid { .. }))
    }

    pub fn missing(&self) -> impl Iterator<Item = &Member> {
        self.states
            .iter()
            .filter(|(_, s)| !matches!(s, SignatureState::Valid { .. }))
            .map(|(m, _)| m)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error(transparent)]
    Letter(#[from] LetterError),
    #[error(transparent)]
    Roster(#[from] RosterError),
    #[error("the letter has no language '{0}'")]
    NoSuchLanguage(String),
    #[error(
        "{source_file} changed after it was signed for version {version} (by {signed_by}). \
         Signatures bind the exact text, so one version cannot have two texts: raise `version` \
         in letter.toml, then every organization signs again"
    )]
    TextChangedWithoutVersionBump {
        source_file: PathBuf,
        version: u32,
        signed_by: String,
    },
    #[error("could not sign: {0}")]
    Key(#[from] crate::keys::KeyError),
}

/// What signing did for one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignOutcome {
    Signed { lang: LanguageTag, path: PathBuf },
    AlreadySigned { lang: LanguageTag },
}

/// The claim a member's signature over a translation must make.
pub fn expected_claim(letter: &Letter, translation: &Translation, member: &Member) -> LetterClaim {
    LetterClaim {
        letter: letter.id.clone(),
        version: letter.version,
        lang: translation.lang.clone(),
        sha256: translation.canonical.sha256(),
        member: member.id.clone(),
        name: member.name.clone(),
    }
}

/// Reads and classifies every member's signature for one translation.
pub fn translation_signatures(
    letter: &Letter,
    roster: &Roster,
    translation: &Translation,
) -> Result<TranslationSignatures, LetterError> {
    let mut states = Vec::with_capacity(roster.members.len());
    for member in &roster.members {
        let path = letter.signature_path(&translation.lang, &member.id);
        let state = if path.is_file() {
            let minisig = read_text(&path)?;
            classify(letter, translation, member, minisig)
        } else {
            SignatureState::Missing
        };
        states.push((member.clone(), state));
    }
    Ok(TranslationSignatures {
        lang: translation.lang.clone(),
        states,
    })
}

/// All languages' signature states.
pub fn letter_signatures(
    letter: &Letter,
    roster: &Roster,
) -> Result<Vec<TranslationSignatures>, LetterError> {
    letter
        .translations
        .iter()
        .map(|t| translation_signatures(letter, roster, t))
        .collect()
}

fn classify(
    letter: &Letter,
    translation: &Translation,
    member: &Member,
    minisig: String,
) -> SignatureState {
    let expected = expected_claim(letter, translation, member);
    match verify_detached(
        &member.public_key,
        &minisig,
        translation.canonical.as_bytes(),
    ) {
        Ok(comment) if LetterClaim::parse(&comment).as_ref() == Some(&expected) => {
            SignatureState::Valid { minisig }
        }
        Ok(comment) => SignatureState::Invalid {
            reason: format!("it binds something else: {comment}"),
        },
        Err(SignatureError::Mismatch) => {
            match read_trusted_comment(&minisig).and_then(|c| LetterClaim::parse(&c)) {
                Some(claim) if claim.letter == letter.id && claim.version < letter.version => {
                    SignatureState::OlderVersion {
                        version: claim.version,
                    }
                }
                Some(claim)
                    if claim.letter == letter.id
                        && claim.version == letter.version
                        && claim.lang == translation.lang =>
                {
                    SignatureState::TextChanged
                }
                _ => SignatureState::Invalid {
                    reason: "it does not match the text".to_owned(),
                },
            }
        }
        Err(err) => SignatureState::Invalid {
            reason: err.to_string(),
        },
    }
}

/// The signature block for a text signed by `signers` (keys with their roster entries):
/// what the tests, benches and any tool that signs outside a letter folder build.
pub fn sign_text(
    canonical: &crate::canonical::CanonicalText,
    letter: &crate::ids::LetterId,
    version: u32,
    lang: &LanguageTag,
    coalition: &str,
    signers: &[(&SecretKey, &Member)],
) -> Result<crate::signed_text::SignatureBlock, crate::keys::KeyError> {
    use crate::signed_text::{BlockEntry, BlockHeader, SignatureBlock};
    let hash = canonical.sha256();
    let entries = signers
        .iter()
        .map(|(key, member)| {
            let claim = LetterClaim {
                letter: letter.clone(),
                version,
                lang: lang.clone(),
                sha256: hash,
                member: member.id.clone(),
                name: member.name.clone(),
            };
            BlockEntry::sign(key, member, &claim, canonical)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SignatureBlock {
        header: BlockHeader {
            letter: letter.to_string(),
            version: version.to_string(),
            language: lang.to_string(),
            sha256: hash.to_hex(),
            short_code: hash.short_code().to_string(),
            coalition: coalition.to_owned(),
            length: Some(canonical.as_bytes().len()),
            status: None,
        },
        declared: entries.len(),
        entries,
    })
}

/// Signs the chosen languages (all when `langs` is empty) as the member holding `key`.
/// Nothing is written unless every chosen language can be signed.
pub fn sign_letter(
    letter: &Letter,
    roster: &Roster,
    key: &SecretKey,
    langs: &[LanguageTag],
) -> Result<(MemberId, Vec<SignOutcome>), SignError> {
    let member = roster
        .member_by_key(key.public())
        .ok_or_else(|| RosterError::NotAMember {
            fingerprint: key.public().fingerprint().to_string(),
        })?
        .clone();
    let chosen: Vec<&Translation> = if langs.is_empty() {
        letter.translations.iter().collect()
    } else {
        langs
            .iter()
            .map(|lang| {
                letter
                    .translation(lang)
                    .ok_or_else(|| SignError::NoSuchLanguage(lang.to_string()))
            })
            .collect::<Result<_, _>>()?
    };

    let mut planned = Vec::new();
    let mut outcomes = Vec::new();
    for translation in chosen {
        let states = translation_signatures(letter, roster, translation)?;
        let changed: Vec<&str> = states
            .states
            .iter()
            .filter(|(_, s)| *s == SignatureState::TextChanged)
            .map(|(m, _)| m.name.as_str())
            .collect();
        if !changed.is_empty() {
            return Err(SignError::TextChangedWithoutVersionBump {
                source_file: translation.source.clone(),
                version: letter.version,
                signed_by: changed.join(", "),
            });
        }
        let own = states.states.iter().find(|(m, _)| m.id == member.id);
        if matches!(own, Some((_, SignatureState::Valid { .. }))) {
            outcomes.push(SignOutcome::AlreadySigned {
                lang: translation.lang.clone(),
            });
            continue;
        }
        let claim = expected_claim(letter, translation, &member);
        let minisig = key.sign(translation.canonical.as_bytes(), &claim.to_string())?;
        planned.push((
            translation.lang.clone(),
            letter.signature_path(&translation.lang, &member.id),
            minisig,
        ));
    }
    for (lang, path, minisig) in planned {
        write_atomically(&path, minisig.as_bytes())?;
        outcomes.push(SignOutcome::Signed { lang, path });
    }
    Ok((member.id, outcomes))
}

/// Writes through a temporary file and a rename, so a crash never leaves half a file.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<(), LetterError> {
    let write_err = |source| LetterError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(write_err)?;
    }
    let tmp = path.with_extension("partial");
    fs::write(&tmp, bytes).map_err(write_err)?;
    fs::rename(&tmp, path).map_err(|source| {
        let _ = fs::remove_file(&tmp);
        LetterError::Write {
            path: path.to_owned(),
            source,
        }
    })
}

/// The signature block for one translation: every valid member signature, in roster order.
/// `status` marks an unsigned or partly signed draft.
pub fn signature_block(
    letter: &Letter,
    roster: &Roster,
    translation: &Translation,
    signatures: &TranslationSignatures,
    status: Option<String>,
) -> crate::signed_text::SignatureBlock {
    use crate::signed_text::{BlockEntry, BlockHeader, SignatureBlock};
    let hash = translation.canonical.sha256();
    let entries: Vec<BlockEntry> = signatures
        .valid()
        .filter_map(|(member, minisig)| {
            BlockEntry::from_minisig(
                &member.name,
                member.id.as_str(),
                &member.public_key.to_base64(),
                &member.public_key.fingerprint().to_string(),
                minisig,
            )
        })
        .collect();
    SignatureBlock {
        header: BlockHeader {
            letter: letter.id.to_string(),
            version: letter.version.to_string(),
            language: translation.lang.to_string(),
            sha256: hash.to_hex(),
            short_code: hash.short_code().to_string(),
            coalition: roster.coalition.clone(),
            length: Some(translation.canonical.as_bytes().len()),
            status,
        },
        declared: entries.len(),
        entries,
    }
}
