//! The published bundle: its manifest, `bundle.toml` — what marks a folder as a Missive bundle
//! and names its letter, version and translations — and checking a whole bundle on disk.
//! Written by `missive publish`, read by `missive verify` and `missive serve`.

use std::path::Path;

use sha2::Digest;

use serde::{Deserialize, Serialize};

pub const MANIFEST: &str = "bundle.toml";
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleManifest {
    pub format: u32,
    pub letter: String,
    pub version: u32,
    pub coalition: String,
    /// RFC 3339, UTC.
    pub release_at: String,
    /// True when any translation was published without every member's signature.
    pub draft: bool,
    #[serde(rename = "translation")]
    pub translations: Vec<BundleTranslation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleTranslation {
    pub lang: String,
    pub language_name: String,
    pub title: String,
    pub sha256: String,
    pub short_code: String,
    /// How many roster members signed this translation.
    pub signed_by: usize,
    pub draft: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(
        "{dir} is not a Missive bundle: it has no {MANIFEST}. Give a published bundle folder, \
         or a file from one (LANG/letter.txt)"
    )]
    NotABundle { dir: std::path::PathBuf },
    #[error("could not read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is damaged: {message}")]
    Malformed {
        path: std::path::PathBuf,
        message: String,
    },
}

impl BundleManifest {
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    pub fn read(dir: &Path) -> Result<Self, BundleError> {
        let path = dir.join(MANIFEST);
        if !path.is_file() {
            return Err(BundleError::NotABundle {
                dir: dir.to_owned(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| BundleError::Read {
            path: path.clone(),
            source,
        })?;
        let manifest: Self = toml::from_str(&text).map_err(|err| BundleError::Malformed {
            path: path.clone(),
            message: err.to_string().trim_end().to_owned(),
        })?;
        if manifest.format != FORMAT {
            return Err(BundleError::Malformed {
                path,
                message: format!(
                    "bundle format {} is not one this Missive reads ({FORMAT})",
                    manifest.format
                ),
            });
        }
        Ok(manifest)
    }
}

/// What checking a whole bundle found. `SHA256SUMS` and `bundle.toml` are not signed: they
/// catch damage, not forgery. The signed texts, pages and detached signatures carry the proof.
#[derive(Debug, Clone)]
pub struct BundleReport {
    pub manifest: BundleManifest,
    /// True when no trusted keys were given and the bundle's own roster was used.
    pub keys_from_copy: bool,
    pub checksums: ChecksumReport,
    pub translations: Vec<TranslationReport>,
    /// Language folders on disk that `bundle.toml` does not list.
    pub unlisted: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ChecksumReport {
    pub matched: usize,
    /// Files whose hash differs, files listed but missing, files present but not listed,
    /// and lines that could not be read.
    pub altered: Vec<String>,
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    pub unreadable: Vec<String>,
}

impl ChecksumReport {
    pub fn is_clean(&self) -> bool {
        self.altered.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.unreadable.is_empty()
    }
}

/// One language of a bundle.
#[derive(Debug, Clone)]
pub struct TranslationReport {
    pub lang: String,
    /// `letter.txt` and `index.html`, each with its verdict.
    pub copies: Vec<(String, crate::verify::Verdict)>,
    /// The detached `.minisig` files over `letter.canonical.txt`.
    pub detached: Vec<(String, Result<(), String>)>,
    /// What disagrees between the files of this language and `bundle.toml`.
    pub problems: Vec<String>,
}

impl TranslationReport {
    pub fn is_authentic(&self) -> bool {
        self.problems.is_empty()
            && !self.copies.is_empty()
            && self.copies.iter().all(|(_, v)| v.is_authentic())
            && self.detached.iter().all(|(_, r)| r.is_ok())
    }
}

impl BundleReport {
    pub fn is_authentic(&self) -> bool {
        self.checksums.is_clean()
            && self.unlisted.is_empty()
            && !self.translations.is_empty()
            && self
                .translations
                .iter()
                .all(TranslationReport::is_authentic)
    }
}

fn read_bundle_text(path: &Path) -> Result<String, BundleError> {
    let bytes = std::fs::read(path).map_err(|source| BundleError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Checks every file of a bundle: checksums, and for every language folder on disk its signed
/// text, page and detached signatures against the trust (the bundle's own roster when the
/// trust is empty — reported as `keys_from_copy`).
pub fn verify_bundle(
    dir: &Path,
    trust: &crate::verify::Trust,
    references: &[crate::verify::Reference],
) -> Result<BundleReport, BundleError> {
    use crate::verify::{Trust, Verdict, verify_copy};

    let manifest = BundleManifest::read(dir)?;
    let keys_from_copy = trust.is_from_copy();
    let trust = if keys_from_copy {
        let path = dir.join("roster.toml");
        let roster = crate::roster::Roster::parse(&read_bundle_text(&path)?).map_err(|err| {
            BundleError::Malformed {
                path,
                message: err.to_string(),
            }
        })?;
        Trust {
            roster: Some(roster),
            keys: Vec::new(),
        }
    } else {
        trust.clone()
    };

    let on_disk = language_folders(dir)?;
    let listed: Vec<&str> = manifest
        .translations
        .iter()
        .map(|t| t.lang.as_str())
        .collect();
    let unlisted = on_disk
        .iter()
        .filter(|lang| !listed.contains(&lang.as_str()))
        .cloned()
        .collect();

    let mut translations = Vec::new();
    for t in &manifest.translations {
        let lang_dir = dir.join(&t.lang);
        let mut report = TranslationReport {
            lang: t.lang.clone(),
            copies: Vec::new(),
            detached: Vec::new(),
            problems: Vec::new(),
        };
        let mut verified_text = None;
        for file in ["letter.txt", "index.html"] {
            let path = lang_dir.join(file);
            let rel = format!("{}/{file}", t.lang);
            let Ok(text) = read_bundle_text(&path) else {
                report.problems.push(format!("{rel} is missing"));
                continue;
            };
            let text = if file.ends_with(".html") {
                crate::html_text::html_to_text(&text)
            } else {
                text
            };
            let verdict = verify_copy(&text, &trust, references);
            if let Verdict::Authentic(a) = &verdict {
                if a.identity.sha256 != t.sha256
                    || a.identity.language != t.lang
                    || a.identity.letter != manifest.letter
                    || a.identity.version != manifest.version.to_string()
                {
                    report.problems.push(format!(
                        "{rel} is another text than bundle.toml names for '{}'",
                        t.lang
                    ));
                }
                verified_text.get_or_insert_with(|| a.canonical.clone());
            }
            report.copies.push((rel, verdict));
        }
        check_detached(
            &lang_dir,
            t,
            &manifest,
            &trust,
            verified_text.as_ref(),
            &mut report,
        )?;
        translations.push(report);
    }
    Ok(BundleReport {
        checksums: check_sums(dir)?,
        manifest,
        keys_from_copy,
        translations,
        unlisted,
    })
}

/// Folders holding a `letter.txt`.
fn language_folders(dir: &Path) -> Result<Vec<String>, BundleError> {
    let entries = std::fs::read_dir(dir).map_err(|source| BundleError::Read {
        path: dir.to_owned(),
        source,
    })?;
    let mut langs: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join("letter.txt").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    langs.sort();
    Ok(langs)
}

/// Every trusted member's `.minisig` must verify over `letter.canonical.txt`, which must be the
/// text that verified, and bind this letter, version, language and hash.
fn check_detached(
    lang_dir: &Path,
    t: &BundleTranslation,
    manifest: &BundleManifest,
    trust: &crate::verify::Trust,
    verified: Option<&crate::canonical::CanonicalText>,
    report: &mut TranslationReport,
) -> Result<(), BundleError> {
    let canonical_path = lang_dir.join("letter.canonical.txt");
    let Ok(canonical) = std::fs::read(&canonical_path) else {
        report
            .problems
            .push(format!("{}/letter.canonical.txt is missing", t.lang));
        return Ok(());
    };
    if verified.is_none_or(|v| v.as_bytes() != canonical.as_slice()) {
        report.problems.push(format!(
            "{}/letter.canonical.txt is not the verified text of letter.txt",
            t.lang
        ));
    }
    let Some(roster) = &trust.roster else {
        return Ok(());
    };
    for member in &roster.members {
        let name = format!("letter.canonical.txt.{}.minisig", member.id);
        let rel = format!("{}/{name}", t.lang);
        let Ok(minisig) = std::fs::read_to_string(lang_dir.join(&name)) else {
            // A draft lacks some; the signed text says how many signed.
            if !t.draft {
                report.detached.push((
                    rel,
                    Err("missing although the language is not a draft".to_owned()),
                ));
            }
            continue;
        };
        let result = crate::keys::verify_detached(&member.public_key, &minisig, &canonical)
            .map_err(|err| err.to_string())
            .and_then(|comment| {
                let claim = crate::claim::LetterClaim::parse(&comment)
                    .ok_or_else(|| "not a Missive letter signature".to_owned())?;
                let binds = claim.letter.as_str() == manifest.letter
                    && claim.version == manifest.version
                    && claim.lang.as_str() == t.lang
                    && claim.sha256.to_hex() == t.sha256
                    && claim.member == member.id
                    && claim.name == member.name;
                if binds {
                    Ok(())
                } else {
                    Err(format!("it binds something else: {comment}"))
                }
            });
        report.detached.push((rel, result));
    }
    Ok(())
}

/// `SHA256SUMS` lists every other file, and every listed file has that hash.
fn check_sums(dir: &Path) -> Result<ChecksumReport, BundleError> {
    let sums = read_bundle_text(&dir.join("SHA256SUMS"))?;
    let mut report = ChecksumReport::default();
    let mut listed = std::collections::BTreeSet::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let Some((hash, name)) = line.split_once("  ") else {
            report.unreadable.push(line.to_owned());
            continue;
        };
        listed.insert(name.to_owned());
        match std::fs::read(dir.join(name)) {
            Ok(bytes) if hex::encode(sha2::Sha256::digest(&bytes)) == hash => report.matched += 1,
            Ok(_) => report.altered.push(name.to_owned()),
            Err(_) => report.missing.push(name.to_owned()),
        }
    }
    for file in files_under(dir)? {
        if file != "SHA256SUMS" && !listed.contains(&file) {
            report.extra.push(file);
        }
    }
    Ok(report)
}

fn files_under(dir: &Path) -> Result<Vec<String>, BundleError> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_owned(), String::new())];
    while let Some((path, prefix)) = stack.pop() {
        let entries = std::fs::read_dir(&path).map_err(|source| BundleError::Read {
            path: path.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.path().is_dir() {
                stack.push((entry.path(), format!("{name}/")));
            } else {
                out.push(name);
            }
        }
    }
    out.sort();
    Ok(out)
}
