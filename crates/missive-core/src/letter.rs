//! A letter folder: `letter.toml`, one Markdown file per language, and the organizations'
//! signatures under `signatures/<lang>/<member>.minisig`.
//!
//! Loading a letter validates everything a later step relies on (ids, language tags, the
//! Markdown subset, the release time), so `sign` and `publish` work only on checked input.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::canonical::{CanonicalText, canonicalize};
use crate::ids::{InvalidId, LetterId};
use crate::lang::{LanguageTag, LanguageTagError};
use crate::markdown::{self, Block, UnsupportedMarkdown};

pub const MANIFEST: &str = "letter.toml";
pub const SIGNATURES_DIR: &str = "signatures";

/// A loaded, validated letter.
#[derive(Debug, Clone)]
pub struct Letter {
    pub dir: PathBuf,
    pub id: LetterId,
    pub version: u32,
    pub release_at: jiff::Timestamp,
    /// The release date as written (in the letter's own time zone), `YYYY-MM-DD`.
    pub release_date: String,
    pub audience: String,
    /// The roster file, resolved against the letter folder.
    pub roster_path: PathBuf,
    /// In `languages` order; the first is the original.
    pub translations: Vec<Translation>,
}

/// One language of a letter.
#[derive(Debug, Clone)]
pub struct Translation {
    pub lang: LanguageTag,
    pub title: String,
    /// The Markdown file it was read from.
    pub source: PathBuf,
    pub blocks: Vec<Block>,
    /// Title, a blank line, then the blocks separated by blank lines, canonicalized.
    pub canonical: CanonicalText,
}

#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error("{dir} is not a letter folder: it has no {MANIFEST} (create one with `missive new`)")]
    NotALetter { dir: PathBuf },
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid UTF-8 text")]
    NotUtf8 { path: PathBuf },
    #[error("{path} is not a valid letter manifest: {message}")]
    Malformed { path: PathBuf, message: String },
    #[error("{file}: {source}")]
    Language {
        file: PathBuf,
        #[source]
        source: LanguageTagError,
    },
    #[error("{path}: language '{lang}' is listed twice")]
    DuplicateLanguage { path: PathBuf, lang: String },
    #[error("{path}: no language is listed; add e.g. languages = [\"ko\", \"en\"]")]
    NoLanguages { path: PathBuf },
    #[error("{path}: [titles] has no title for '{lang}'")]
    MissingTitle { path: PathBuf, lang: LanguageTag },
    #[error("{path}: the title for '{lang}' {reason}")]
    InvalidTitle {
        path: PathBuf,
        lang: LanguageTag,
        reason: &'static str,
    },
    #[error("{path}: [titles] has a title for '{lang}', which is not in languages")]
    StrayTitle { path: PathBuf, lang: String },
    #[error("the translation for '{lang}' is missing: expected {path}")]
    MissingTranslation { lang: LanguageTag, path: PathBuf },
    #[error(
        "{path} is not listed in {MANIFEST} languages: add '{lang}' there, or move the file out of the letter folder"
    )]
    UnlistedTranslation { path: PathBuf, lang: LanguageTag },
    #[error("{path}: {source}")]
    Markdown {
        path: PathBuf,
        #[source]
        source: UnsupportedMarkdown,
    },
    #[error("{path} has no text")]
    EmptyTranslation { path: PathBuf },
    #[error("{path}: release_at {reason}")]
    InvalidRelease { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    InvalidId {
        path: PathBuf,
        #[source]
        source: InvalidId,
    },
    #[error("{path}: version must be 1 or more")]
    InvalidVersion { path: PathBuf },
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{dir} already exists and is not empty; choose a new folder")]
    FolderNotEmpty { dir: PathBuf },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LetterFile {
    id: String,
    version: i64,
    release_at: toml::value::Datetime,
    #[serde(default)]
    audience: String,
    roster: PathBuf,
    languages: Vec<String>,
    #[serde(default)]
    titles: BTreeMap<String, String>,
}

/// Reads a UTF-8 text file, naming the file in any error.
pub fn read_text(path: &Path) -> Result<String, LetterError> {
    let bytes = fs::read(path).map_err(|source| LetterError::Read {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| LetterError::NotUtf8 {
        path: path.to_owned(),
    })
}

impl Letter {
    /// Loads and validates a letter folder.
    pub fn load(dir: &Path) -> Result<Self, LetterError> {
        let manifest_path = dir.join(MANIFEST);
        if !manifest_path.is_file() {
            return Err(LetterError::NotALetter {
                dir: dir.to_owned(),
            });
        }
        let text = read_text(&manifest_path)?;
        let file: LetterFile = toml::from_str(&text).map_err(|err| LetterError::Malformed {
            path: manifest_path.clone(),
            message: err.to_string().trim_end().to_owned(),
        })?;
        let id = LetterId::parse(&file.id).map_err(|source| LetterError::InvalidId {
            path: manifest_path.clone(),
            source,
        })?;
        let version = u32::try_from(file.version)
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(|| LetterError::InvalidVersion {
                path: manifest_path.clone(),
            })?;
        let release_at = parse_release(&manifest_path, &file.release_at)?;

        let mut languages: Vec<LanguageTag> = Vec::new();
        for raw in &file.languages {
            let lang = LanguageTag::parse(raw).map_err(|source| LetterError::Language {
                file: manifest_path.clone(),
                source,
            })?;
            if languages.contains(&lang) {
                return Err(LetterError::DuplicateLanguage {
                    path: manifest_path.clone(),
                    lang: lang.to_string(),
                });
            }
            languages.push(lang);
        }
        if languages.is_empty() {
            return Err(LetterError::NoLanguages {
                path: manifest_path,
            });
        }
        let mut titles: BTreeMap<LanguageTag, String> = BTreeMap::new();
        for (raw, title) in &file.titles {
            let lang = LanguageTag::parse(raw).map_err(|source| LetterError::Language {
                file: manifest_path.clone(),
                source,
            })?;
            if !languages.contains(&lang) {
                return Err(LetterError::StrayTitle {
                    path: manifest_path.clone(),
                    lang: raw.clone(),
                });
            }
            titles.insert(lang, title.clone());
        }
        check_markdown_files(dir, &languages)?;

        let mut translations = Vec::with_capacity(languages.len());
        for lang in languages {
            let title = titles.get(&lang).ok_or_else(|| LetterError::MissingTitle {
                path: manifest_path.clone(),
                lang: lang.clone(),
            })?;
            let title = check_title(&manifest_path, &lang, title)?;
            translations.push(Translation::load(dir, lang, title)?);
        }
        Ok(Self {
            dir: dir.to_owned(),
            id,
            version,
            release_at,
            release_date: file
                .release_at
                .date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            audience: file.audience.trim().to_owned(),
            roster_path: dir.join(file.roster),
            translations,
        })
    }

    pub fn translation(&self, lang: &LanguageTag) -> Option<&Translation> {
        self.translations.iter().find(|t| &t.lang == lang)
    }

    /// Where an organization's signature for one language is kept.
    pub fn signature_path(&self, lang: &LanguageTag, member: &crate::ids::MemberId) -> PathBuf {
        self.dir
            .join(SIGNATURES_DIR)
            .join(lang.as_str())
            .join(format!("{member}.minisig"))
    }
}

fn parse_release(
    path: &Path,
    value: &toml::value::Datetime,
) -> Result<jiff::Timestamp, LetterError> {
    let invalid = |reason: String| LetterError::InvalidRelease {
        path: path.to_owned(),
        reason,
    };
    if value.date.is_none() || value.time.is_none() || value.offset.is_none() {
        return Err(invalid(format!(
            "'{value}' needs a date, a time and a time zone offset, e.g. 2026-12-10T09:00:00+09:00"
        )));
    }
    value
        .to_string()
        .parse::<jiff::Timestamp>()
        .map_err(|err| invalid(format!("'{value}' is not a valid time: {err}")))
}

fn check_title(path: &Path, lang: &LanguageTag, title: &str) -> Result<String, LetterError> {
    let canonical = canonicalize(title);
    let reason = if canonical.is_empty() {
        Some("is empty")
    } else if canonical.trim_end().contains('\n') {
        Some("must be one line")
    } else if canonical.chars().count() > 200 {
        Some("is longer than 200 characters")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(LetterError::InvalidTitle {
            path: path.to_owned(),
            lang: lang.clone(),
            reason,
        }),
        None => Ok(canonical.trim_end().to_owned()),
    }
}

/// Every `*.md` file named like a language must be a known, listed language: a translation
/// that is silently left out of a release is worse than an error.
fn check_markdown_files(dir: &Path, languages: &[LanguageTag]) -> Result<(), LetterError> {
    let entries = fs::read_dir(dir).map_err(|source| LetterError::Read {
        path: dir.to_owned(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let primary_len = stem.split('-').next().map_or(0, str::len);
        if !(2..=3).contains(&primary_len) {
            continue; // README.md, NOTES.md: not a translation
        }
        let lang = LanguageTag::parse(stem).map_err(|source| LetterError::Language {
            file: path.clone(),
            source,
        })?;
        if !languages.contains(&lang) {
            return Err(LetterError::UnlistedTranslation { path, lang });
        }
    }
    Ok(())
}

impl Translation {
    fn load(dir: &Path, lang: LanguageTag, title: String) -> Result<Self, LetterError> {
        let source = dir.join(format!("{lang}.md"));
        if !source.is_file() {
            return Err(LetterError::MissingTranslation { lang, path: source });
        }
        let markdown = read_text(&source)?;
        let blocks = markdown::parse(&markdown).map_err(|err| LetterError::Markdown {
            path: source.clone(),
            source: err,
        })?;
        if blocks.is_empty() {
            return Err(LetterError::EmptyTranslation { path: source });
        }
        let canonical = canonical_text(&title, &blocks);
        Ok(Self {
            lang,
            title,
            source,
            blocks,
            canonical,
        })
    }

    /// The canonical text of each block, in order (title excluded).
    pub fn block_texts(&self) -> Vec<String> {
        self.blocks
            .iter()
            .map(|b| canonicalize(&b.plain_text()).trim_end().to_owned())
            .collect()
    }
}

/// Title, blank line, blocks separated by blank lines — canonicalized.
pub fn canonical_text(title: &str, blocks: &[Block]) -> CanonicalText {
    let mut text = String::from(title);
    for block in blocks {
        text.push_str("\n\n");
        text.push_str(&block.plain_text());
    }
    CanonicalText::new(&text)
}

/// Writes a new letter folder: `letter.toml` and a Markdown file per language.
pub fn scaffold(
    dir: &Path,
    id: &LetterId,
    languages: &[LanguageTag],
    roster: &Path,
) -> Result<Vec<PathBuf>, LetterError> {
    if dir.exists() {
        let empty = fs::read_dir(dir)
            .map(|mut entries| entries.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(LetterError::FolderNotEmpty {
                dir: dir.to_owned(),
            });
        }
    }
    let release = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * 7))
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let release = release.strftime("%Y-%m-%dT09:00:00+00:00");
    let langs: Vec<String> = languages.iter().map(|l| format!("\"{l}\"")).collect();
    let mut manifest = format!(
        "# A Missive letter. Every organization signs the exact text of every language;\n\
         # after any change to the text, raise `version` and collect the signatures again.\n\
         id = \"{id}\"\n\
         version = 1\n\
         # The moment the letter is released, with a time zone offset.\n\
         release_at = {release}\n\
         audience = \"Who the letter is for\"\n\
         # The coalition roster the letter is signed under, relative to this folder.\n\
         roster = \"{roster}\"\n\
         # The original first.\n\
         languages = [{langs}]\n\n[titles]\n",
        roster = roster
            .display()
            .to_string()
            .replace('\\', "/")
            .replace('"', "\\\""),
        langs = langs.join(", "),
    );
    for lang in languages {
        manifest.push_str(&format!(
            "{} = \"{}\"\n",
            toml_key(lang.as_str()),
            placeholder_title(lang)
        ));
    }
    fs::create_dir_all(dir).map_err(|source| LetterError::Write {
        path: dir.to_owned(),
        source,
    })?;
    let mut written = Vec::new();
    let mut files = vec![(dir.join(MANIFEST), manifest)];
    for lang in languages {
        files.push((dir.join(format!("{lang}.md")), placeholder_body(lang)));
    }
    for (path, contents) in files {
        fs::write(&path, contents).map_err(|source| LetterError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

fn toml_key(tag: &str) -> String {
    if tag.contains('-') {
        format!("\"{tag}\"")
    } else {
        tag.to_owned()
    }
}

fn placeholder_title(lang: &LanguageTag) -> &'static str {
    match lang.primary() {
        "ko" => "편지 제목",
        "ru" => "Заголовок письма",
        "uk" => "Заголовок листа",
        _ => "Title of the letter",
    }
}

fn placeholder_body(lang: &LanguageTag) -> String {
    let text = match lang.primary() {
        "ko" => "여기에 편지를 쓰십시오. 문단 사이에는 빈 줄을 두십시오.",
        "ru" => "Напишите здесь текст письма. Разделяйте абзацы пустой строкой.",
        "uk" => "Напишіть тут текст листа. Розділяйте абзаци порожнім рядком.",
        _ => "Write the letter here. Separate paragraphs with a blank line.",
    };
    format!("{text}\n")
}
