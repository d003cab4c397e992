//! Building a bundle — every file of a published letter, in memory — and writing it to a
//! folder in one atomic step. The bundle works from any plain file server, CDN or USB stick:
//! every link in it is relative.
//!
//! ```text
//! bundle.toml  index.html  roster.toml  keys.txt  keys/<member>.pub  SHA256SUMS
//! <lang>/index.html  letter.txt  letter.canonical.txt  letter.canonical.txt.<member>.minisig
//! <lang>/card.png …  (renditions)   feed.atom  feed.json
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use missive_core::bundle::{BundleManifest, BundleTranslation, FORMAT, MANIFEST};
use missive_core::signing::{TranslationSignatures, signature_block};
use missive_core::verify::{Trust, Verdict, verify_copy};
use missive_core::{Letter, Roster, Translation, signed_text};
use sha2::{Digest, Sha256};

use crate::page::{self, FileLink, LanguageLink, OpenGraph, PageContent, SignerView};
use crate::renditions::{self, RenditionInput, RenditionOptions, SignerLine};
use crate::strings;

/// How to publish.
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    /// Publish languages not every member has signed, marked as drafts everywhere.
    pub allow_unsigned: bool,
    /// The public address the bundle is served from, ending in `/`.
    pub base_url: Option<String>,
    /// Renditions beyond the page and signed text; `None` makes none.
    pub renditions: Option<RenditionOptions>,
}

/// A complete bundle in memory.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: BundleManifest,
    /// Path (relative, `/`-separated) → contents. `SHA256SUMS` lists all the others.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Fallbacks the renditions had to take (fonts, QR size, Telegram length).
    pub warnings: Vec<String>,
    /// Per translation, what renditions are made from: for offline folders.
    pub inputs: Vec<RenditionInput>,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(
        "not every member of {coalition} has signed: {missing}. Collect the signatures with \
         `missive sign`, or publish a marked draft with --allow-unsigned"
    )]
    Unsigned { coalition: String, missing: String },
    #[error("--base-url '{0}' is not an absolute https:// or http:// address")]
    BaseUrl(String),
    #[error("could not render a page: {0}")]
    Template(#[from] askama::Error),
    #[error(transparent)]
    Rendition(#[from] renditions::RenditionError),
    #[error(
        "the bundle for '{lang}' did not verify after it was built ({verdict}); nothing was written"
    )]
    SelfCheck { lang: String, verdict: String },
    #[error("{dir} exists and is not {what}; refusing to replace it (choose another folder)")]
    NotOurs { dir: PathBuf, what: &'static str },
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Normalizes `--base-url` to end in `/`.
pub fn check_base_url(raw: &str) -> Result<String, PublishError> {
    let lower = raw.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && raw.len() > "https://".len()
        && !raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'));
    if !ok {
        return Err(PublishError::BaseUrl(raw.to_owned()));
    }
    Ok(if raw.ends_with('/') {
        raw.to_owned()
    } else {
        format!("{raw}/")
    })
}

/// Builds every file of the bundle. Checks signatures first: an unsigned language is refused
/// unless `allow_unsigned`, and every signed text is verified before it is returned.
pub fn build(
    letter: &Letter,
    roster: &Roster,
    signatures: &[TranslationSignatures],
    options: &PublishOptions,
) -> Result<Bundle, PublishError> {
    let base_url = options
        .base_url
        .as_deref()
        .map(check_base_url)
        .transpose()?;
    let incomplete: Vec<String> = signatures
        .iter()
        .filter(|s| !s.is_complete())
        .map(|s| {
            let names: Vec<&str> = s.missing().map(|m| m.name.as_str()).collect();
            format!("{} lacks {}", s.lang, names.join(", "))
        })
        .collect();
    if !incomplete.is_empty() && !options.allow_unsigned {
        return Err(PublishError::Unsigned {
            coalition: roster.coalition.clone(),
            missing: incomplete.join("; "),
        });
    }

    let mut files = BTreeMap::new();
    let mut manifest_translations = Vec::new();
    let mut prepared = Vec::new();
    for (translation, sigs) in letter.translations.iter().zip(signatures) {
        let draft = !sigs.is_complete();
        let signed = sigs.valid().count();
        let status = draft.then(|| {
            format!(
                "UNSIGNED DRAFT: signed by {signed} of {} members, not approved by every member",
                roster.members.len()
            )
        });
        let block = signature_block(letter, roster, translation, sigs, status);
        let signed_text = signed_text::render(&translation.canonical, &block);
        self_check(roster, translation, &signed_text, signed)?;

        let lang = translation.lang.as_str();
        files.insert(
            format!("{lang}/letter.txt"),
            signed_text.clone().into_bytes(),
        );
        files.insert(
            format!("{lang}/letter.canonical.txt"),
            translation.canonical.as_bytes().to_vec(),
        );
        for (member, minisig) in sigs.valid() {
            files.insert(
                format!("{lang}/letter.canonical.txt.{}.minisig", member.id),
                minisig.as_bytes().to_vec(),
            );
        }
        let hash = translation.canonical.sha256();
        manifest_translations.push(BundleTranslation {
            lang: lang.to_owned(),
            language_name: translation.lang.native_name().to_owned(),
            title: translation.title.clone(),
            sha256: hash.to_hex(),
            short_code: hash.short_code().to_string(),
            signed_by: signed,
            draft,
        });
        let input = rendition_input(
            letter,
            roster,
            translation,
            sigs,
            &signed_text,
            draft,
            base_url.as_deref(),
        );
        prepared.push((translation, sigs, block.render(), input));
    }

    let mut warnings = Vec::new();
    let mut rendered_by_lang: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(rendition_options) = &options.renditions {
        let mut rendition_options = rendition_options.clone();
        rendition_options.base_url = base_url.clone();
        let inputs: Vec<RenditionInput> = prepared.iter().map(|p| p.3.clone()).collect();
        // One thread per language, then the feeds.
        let (rendered, rendition_warnings) =
            renditions::render_translations(&inputs, &rendition_options)?;
        warnings.extend(rendition_warnings.iter().map(ToString::to_string));
        for file in rendered {
            if let Some((lang, _)) = file.path.split_once('/') {
                rendered_by_lang
                    .entry(lang.to_owned())
                    .or_default()
                    .push(file.path.clone());
            }
            files.insert(file.path, file.bytes);
        }
    }

    let links = language_links(letter, &manifest_translations, "../");
    for (translation, sigs, block_text, input) in &prepared {
        let lang = translation.lang.as_str();
        let extra = rendered_by_lang.get(lang).map(Vec::as_slice).unwrap_or(&[]);
        let html = page::render_page(&PageContent {
            lang,
            strings: strings::for_language(translation.lang.primary()),
            title: &translation.title,
            blocks: &translation.blocks,
            coalition: &roster.coalition,
            release_date: letter.release_date.clone(),
            short_code: input.short_code.clone(),
            other_languages: links.iter().filter(|l| l.lang != lang).cloned().collect(),
            signature_block: block_text,
            signers: sigs
                .valid()
                .map(|(m, _)| SignerView {
                    name: m.name.clone(),
                    fingerprint: m.public_key.fingerprint().to_string(),
                    contact: Some(m.contact.clone()),
                })
                .collect(),
            member_count: roster.members.len(),
            draft: input.draft,
            open_graph: base_url.as_ref().map(|base| OpenGraph {
                url: format!("{base}{lang}/"),
                image: format!("{base}{lang}/card.png"),
                locale: lang.replace('-', "_"),
            }),
            extra_files: file_links(lang, extra),
        })?;
        check_page(translation, &html)?;
        files.insert(format!("{lang}/index.html"), html.into_bytes());
    }

    files.insert(
        "index.html".to_owned(),
        page::render_index(
            &roster.coalition,
            &language_links(letter, &manifest_translations, ""),
        )?
        .into_bytes(),
    );
    files.insert("roster.toml".to_owned(), roster.to_toml().into_bytes());
    files.insert("keys.txt".to_owned(), keys_text(roster).into_bytes());
    for member in &roster.members {
        files.insert(
            format!("keys/{}.pub", member.id),
            member.public_key.to_file_text(&member.name).into_bytes(),
        );
    }
    let manifest = BundleManifest {
        format: FORMAT,
        letter: letter.id.to_string(),
        version: letter.version,
        coalition: roster.coalition.clone(),
        release_at: letter.release_at.to_string(),
        draft: manifest_translations.iter().any(|t| t.draft),
        translations: manifest_translations,
    };
    files.insert(MANIFEST.to_owned(), manifest.to_toml().into_bytes());
    let sums = sha256sums(&files);
    files.insert("SHA256SUMS".to_owned(), sums.into_bytes());
    Ok(Bundle {
        manifest,
        files,
        warnings,
        inputs: prepared.into_iter().map(|p| p.3).collect(),
    })
}

/// Never publish a signed text that does not verify against the roster it was made from.
fn self_check(
    roster: &Roster,
    translation: &Translation,
    signed_text: &str,
    signed: usize,
) -> Result<(), PublishError> {
    let trust = Trust {
        roster: Some(roster.clone()),
        keys: Vec::new(),
    };
    let verdict = verify_copy(signed_text, &trust, &[]);
    let ok = match &verdict {
        Verdict::Authentic(a) => a.signed == signed && a.canonical == translation.canonical,
        Verdict::Unknown(_) => signed == 0,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(PublishError::SelfCheck {
            lang: translation.lang.to_string(),
            verdict: verdict.label().to_owned(),
        })
    }
}

/// A page whose text does not read back as the signed text would fail every reader who
/// copies it: refuse to publish it.
fn check_page(translation: &Translation, html: &str) -> Result<(), PublishError> {
    let text = missive_core::canonicalize(&missive_core::html_text::html_to_text(html));
    let lines: Vec<&str> = text.lines().collect();
    let letter: Vec<&str> = translation.canonical.as_str().lines().collect();
    if lines.windows(letter.len()).any(|w| w == letter.as_slice()) {
        Ok(())
    } else {
        Err(PublishError::SelfCheck {
            lang: translation.lang.to_string(),
            verdict: "its page's text is not the signed text".to_owned(),
        })
    }
}

fn rendition_input(
    letter: &Letter,
    roster: &Roster,
    translation: &Translation,
    sigs: &TranslationSignatures,
    signed_text: &str,
    draft: bool,
    base_url: Option<&str>,
) -> RenditionInput {
    let hash = translation.canonical.sha256();
    RenditionInput {
        letter_id: letter.id.to_string(),
        version: letter.version,
        lang: translation.lang.to_string(),
        language_name: translation.lang.native_name().to_owned(),
        title: translation.title.clone(),
        paragraphs: translation.block_texts(),
        canonical_text: translation.canonical.as_str().to_owned(),
        signed_text: signed_text.to_owned(),
        sha256_hex: hash.to_hex(),
        short_code: hash.short_code().to_string(),
        coalition: roster.coalition.clone(),
        signers: sigs
            .valid()
            .map(|(m, _)| SignerLine {
                name: m.name.clone(),
                fingerprint: m.public_key.fingerprint().to_string(),
            })
            .collect(),
        page_url: base_url.map(|base| format!("{base}{}/", translation.lang)),
        draft,
        release_date: letter.release_date.clone(),
    }
}

/// Links to every translation; `prefix` is `../` from a language folder, empty from the root.
fn language_links(
    letter: &Letter,
    translations: &[BundleTranslation],
    prefix: &str,
) -> Vec<LanguageLink> {
    letter
        .translations
        .iter()
        .zip(translations)
        .map(|(t, m)| LanguageLink {
            lang: m.lang.clone(),
            name: m.language_name.clone(),
            href: format!("{prefix}{}/index.html", m.lang),
            title: m.title.clone(),
            short_code: m.short_code.clone(),
            short_code_label: strings::for_language(t.lang.primary())
                .short_code
                .to_owned(),
        })
        .collect()
}

fn file_links(lang: &str, paths: &[String]) -> Vec<FileLink> {
    paths
        .iter()
        .filter_map(|path| path.strip_prefix(&format!("{lang}/")))
        // Readers get what they can use on a phone or print; partners' files (Telegram post,
        // radio script, QR sources) are in the bundle, not on the reader's page.
        .filter(|name| matches!(*name, "card.png" | "card-portrait.png" | "leaflet.pdf"))
        .map(|name| FileLink {
            href: name.to_owned(),
            label: name.to_owned(),
        })
        .collect()
}

/// The roster in plain text, for people comparing fingerprints.
pub fn keys_text(roster: &Roster) -> String {
    let check = roster.check();
    let mut text = format!(
        "{}\n{}\n\nCompare these fingerprints with the ones each organization publishes itself.\n",
        roster.coalition,
        check.summary(roster)
    );
    for m in &roster.members {
        let signed = if check.signed.contains(&m.id) {
            "signed the roster"
        } else {
            "has not signed the roster"
        };
        text.push_str(&format!(
            "\n{}\n  member:      {}\n  contact:     {}\n  fingerprint: {}\n  key id:      {}\n  public key:  {}\n  file:        keys/{}.pub ({signed})\n",
            m.name,
            m.id,
            m.contact,
            m.public_key.fingerprint(),
            m.public_key.key_id(),
            m.public_key.to_base64(),
            m.id
        ));
    }
    text
}

/// `sha256sum -c` compatible list of every file.
fn sha256sums(files: &BTreeMap<String, Vec<u8>>) -> String {
    files
        .iter()
        .filter(|(path, _)| path.as_str() != "SHA256SUMS")
        .map(|(path, bytes)| format!("{}  {path}\n", hex::encode(Sha256::digest(bytes))))
        .collect()
}

impl Bundle {
    /// Writes the bundle to `out`, replacing an earlier bundle there in one atomic step:
    /// readers and servers see either the old bundle or the new one, never a mix.
    pub fn write_to(&self, out: &Path) -> Result<(), PublishError> {
        write_tree(&self.files, out, BUNDLE, is_bundle)
    }

    /// Checks that `write_to(out)` may replace what is at `out`, before anything is written.
    pub fn check_target(out: &Path) -> Result<(), PublishError> {
        check_target(out, BUNDLE, is_bundle)
    }
}

const BUNDLE: &str = "a Missive bundle";

fn is_bundle(dir: &Path) -> bool {
    dir.join(MANIFEST).is_file()
}

/// Whether `write_tree` would accept `out`: absent, empty, or a folder `is_ours` recognizes.
pub fn check_target(
    out: &Path,
    what: &'static str,
    is_ours: impl Fn(&Path) -> bool,
) -> Result<(), PublishError> {
    if out.exists() {
        let empty = fs::read_dir(out)
            .map(|mut e| e.next().is_none())
            .unwrap_or(false);
        if !out.is_dir() || !(empty || is_ours(out)) {
            return Err(PublishError::NotOurs {
                dir: out.to_owned(),
                what,
            });
        }
    }
    Ok(())
}

/// Writes `files` to `out` atomically and durably. `out` may be absent, empty, or a folder
/// `is_ours` recognizes (`what` names it in the error); anything else is refused.
pub fn write_tree(
    files: &BTreeMap<String, Vec<u8>>,
    out: &Path,
    what: &'static str,
    is_ours: impl Fn(&Path) -> bool,
) -> Result<(), PublishError> {
    check_target(out, what, is_ours)?;
    let exists = out.exists();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let write_err = |path: &Path| {
        let path = path.to_owned();
        move |source| PublishError::Write { path, source }
    };
    fs::create_dir_all(&parent).map_err(write_err(&parent))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".to_owned());
    let staging = parent.join(format!(".{name}.publishing-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let result = (|| {
        for (path, bytes) in files {
            let target = staging.join(path);
            if let Some(dir) = target.parent() {
                fs::create_dir_all(dir).map_err(write_err(dir))?;
            }
            fs::write(&target, bytes).map_err(write_err(&target))?;
        }
        // Everything on disk before the swap, so a crash never exposes empty files.
        flush(&staging).map_err(write_err(&staging))?;
        if exists {
            swap(&staging, out).map_err(write_err(out))?;
            // `staging` now holds the previous bundle.
            let _ = fs::remove_dir_all(&staging);
        } else {
            fs::rename(&staging, out).map_err(write_err(out))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Flushes the files written under `dir` to disk: one `syncfs` on Linux, else each file.
fn flush(dir: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let handle = fs::File::open(dir)?;
        rustix::fs::syncfs(&handle)?;
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                flush(&path)?;
            } else {
                fs::File::open(&path)?.sync_all()?;
            }
        }
        Ok(())
    }
}

/// Exchanges two directories in one step where the system can (Linux), else renames twice.
fn swap(new: &Path, current: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        if renameat_with(CWD, new, CWD, current, RenameFlags::EXCHANGE).is_ok() {
            return Ok(());
        }
    }
    let old = current.with_file_name(format!(
        ".{}.previous-{}",
        current
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    fs::rename(current, &old)?;
    fs::rename(new, current)?;
    fs::rename(&old, new)
}
