//! Loading a published bundle folder into memory: the manifest (`bundle.toml`), every file
//! pre-compressed once, and each language page split at its `<!-- missive:sign-form -->` line
//! so the server can put its form and the live count there. A bundle is immutable once loaded;
//! a re-publish builds a new one and swaps it in whole.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::asset::{Asset, CachePolicy, content_type_for, is_hashed_name};
use crate::error::BundleError;

/// The line a published page carries where the signature form goes.
pub const FORM_MARKER: &str = "<!-- missive:sign-form -->";

/// Largest bundle held in memory (identity bytes), so a mistaken `--bundle /` fails clearly.
const MAX_BUNDLE_BYTES: u64 = 512 * 1024 * 1024;

/// `bundle.toml`: what the publisher says this bundle is.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub letter: String,
    pub version: u32,
    #[serde(default)]
    pub coalition: String,
    #[serde(default)]
    pub release_at: Option<String>,
    #[serde(default)]
    pub draft: bool,
    #[serde(rename = "translation", default)]
    pub translations: Vec<Translation>,
}

/// One language of the letter, as listed in the manifest (the original first).
#[derive(Debug, Clone, Deserialize)]
pub struct Translation {
    pub lang: String,
    #[serde(default)]
    pub language_name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub sha256: String,
    #[serde(default)]
    pub short_code: String,
}

/// A language page cut at the form marker.
#[derive(Debug)]
pub struct PageTemplate {
    pub lang: String,
    pub before: String,
    pub after: String,
    /// CSP sources for the page's own inline `<style>` elements (`'sha256-…'`), or
    /// `'unsafe-inline'` when it uses `style=` attributes.
    pub style_sources: Vec<String>,
    /// Hashes of inline `<script>` elements the publisher put in, if any.
    pub script_sources: Vec<String>,
}

/// A loaded bundle: manifest, static files and page templates.
#[derive(Debug)]
pub struct Bundle {
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// Files by URL path without the leading `/` (`ko/letter.txt`); language pages are not
    /// here but in `pages`, because they are rendered with the form and count.
    pub files: HashMap<String, Arc<Asset>>,
    pub pages: Vec<PageTemplate>,
    pub identity: BundleIdentity,
}

/// What tells one published bundle from the next without reading every file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleIdentity {
    /// Inode of the bundle folder (a publish replaces it by rename).
    pub dir_inode: u64,
    pub manifest_modified: Option<std::time::SystemTime>,
    pub manifest_sha256: [u8; 32],
}

impl BundleIdentity {
    /// Reads the identity of the bundle at `dir` now.
    pub fn read(dir: &Path) -> Result<Self, BundleError> {
        let manifest_path = dir.join("bundle.toml");
        let bytes = std::fs::read(&manifest_path).map_err(|source| BundleError::NoManifest {
            dir: dir.to_path_buf(),
            source,
        })?;
        let dir_meta = std::fs::metadata(dir).map_err(|source| BundleError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let manifest_meta = std::fs::metadata(&manifest_path).ok();
        Ok(BundleIdentity {
            dir_inode: inode(&dir_meta),
            manifest_modified: manifest_meta.and_then(|m| m.modified().ok()),
            manifest_sha256: Sha256::digest(&bytes).into(),
        })
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

impl Bundle {
    /// Reads and compresses a whole bundle. Blocking and CPU-heavy: call from a blocking task.
    pub fn load(dir: &Path, brotli_quality: u32) -> Result<Self, BundleError> {
        // Read the identity before and after: if a publish renamed a new bundle into place
        // while we were reading, the files may be a mix, so try again.
        for _ in 0..5 {
            let before = BundleIdentity::read(dir)?;
            let bundle = Self::load_once(dir, brotli_quality, before.clone())?;
            if BundleIdentity::read(dir)? == before {
                return Ok(bundle);
            }
        }
        Err(BundleError::Unstable {
            path: dir.to_path_buf(),
        })
    }

    fn load_once(
        dir: &Path,
        brotli_quality: u32,
        identity: BundleIdentity,
    ) -> Result<Self, BundleError> {
        let manifest_path = dir.join("bundle.toml");
        let text =
            std::fs::read_to_string(&manifest_path).map_err(|source| BundleError::NoManifest {
                dir: dir.to_path_buf(),
                source,
            })?;
        let manifest: Manifest = toml::from_str(&text).map_err(|err| BundleError::BadManifest {
            path: manifest_path.clone(),
            reason: err.to_string(),
        })?;
        if manifest.format != 1 {
            return Err(BundleError::BadManifest {
                path: manifest_path,
                reason: format!(
                    "format = {} is not understood by this server (it reads format 1); upgrade missive",
                    manifest.format
                ),
            });
        }
        if manifest.translations.is_empty() {
            return Err(BundleError::BadManifest {
                path: manifest_path,
                reason: "it lists no [[translation]]".into(),
            });
        }
        for t in &manifest.translations {
            if !is_safe_segment(&t.lang) {
                return Err(BundleError::BadManifest {
                    path: manifest_path,
                    reason: format!("language tag {:?} is not a plain BCP 47 tag", t.lang),
                });
            }
        }

        let mut raw = Vec::new();
        let mut total = 0u64;
        walk(dir, dir, &mut raw, &mut total)?;

        let page_paths: HashMap<String, &str> = manifest
            .translations
            .iter()
            .map(|t| (format!("{}/index.html", t.lang), t.lang.as_str()))
            .collect();
        let mut files = HashMap::new();
        let mut pages = Vec::new();
        for (url_path, bytes) in raw {
            if let Some(lang) = page_paths.get(&url_path) {
                let text = String::from_utf8(bytes).map_err(|_| BundleError::BadPage {
                    path: dir.join(&url_path),
                    reason: "it is not UTF-8".into(),
                })?;
                pages.push(PageTemplate::split(lang, &text).map_err(|reason| {
                    BundleError::BadPage {
                        path: dir.join(&url_path),
                        reason,
                    }
                })?);
                continue;
            }
            let content_type = content_type_for(&url_path);
            let cache = if is_hashed_name(&url_path) {
                CachePolicy::Immutable
            } else if content_type.starts_with("text/html") {
                CachePolicy::Page
            } else {
                CachePolicy::File
            };
            let csp = if content_type.starts_with("text/html") {
                let text = String::from_utf8_lossy(&bytes);
                let (styles, scripts) = inline_sources(&text);
                Some(crate::headers::page_csp(&styles, &scripts))
            } else {
                None
            };
            let asset = Asset::new(bytes, content_type, cache, csp, brotli_quality);
            files.insert(url_path, Arc::new(asset));
        }
        for t in &manifest.translations {
            if !pages.iter().any(|p| p.lang == t.lang) {
                return Err(BundleError::BadPage {
                    path: dir.join(&t.lang).join("index.html"),
                    reason: "the manifest lists this language but its page is missing".into(),
                });
            }
        }
        // Keep the manifest's order (the original language first).
        pages.sort_by_key(|p| manifest.translations.iter().position(|t| t.lang == p.lang));
        Ok(Bundle {
            dir: dir.to_path_buf(),
            manifest,
            files,
            pages,
            identity,
        })
    }

    /// Languages in the manifest's order.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.manifest.translations.iter().map(|t| t.lang.as_str())
    }

    pub fn translation(&self, lang: &str) -> Option<&Translation> {
        self.manifest.translations.iter().find(|t| t.lang == lang)
    }
}

impl PageTemplate {
    /// Cuts a page at its one marker line.
    pub fn split(lang: &str, text: &str) -> Result<Self, String> {
        let mut found = None;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if line.trim() == FORM_MARKER {
                if found.is_some() {
                    return Err(format!("it has more than one `{FORM_MARKER}` line"));
                }
                found = Some((offset, offset + line.len()));
            }
            offset += line.len();
        }
        let Some((start, end)) = found else {
            return Err(format!(
                "it has no `{FORM_MARKER}` line where the signature form goes; re-publish it with this version of missive"
            ));
        };
        let (style_sources, script_sources) = inline_sources(text);
        Ok(PageTemplate {
            lang: lang.to_string(),
            before: text[..start].to_string(),
            after: text[end..].to_string(),
            style_sources,
            script_sources,
        })
    }
}

/// CSP sources that allow exactly the inline `<style>` and `<script>` elements of a page.
pub fn inline_sources(html: &str) -> (Vec<String>, Vec<String>) {
    let styles = element_bodies(html, "style");
    let scripts = element_bodies(html, "script");
    let mut style_sources: Vec<String> = styles.iter().map(|s| hash_source(s)).collect();
    if has_style_attribute(html) {
        // Hashes and 'unsafe-inline' cannot be combined (browsers ignore the latter when a
        // hash is present), and style attributes cannot be hashed without 'unsafe-hashes'.
        style_sources = vec!["'unsafe-inline'".to_string()];
    }
    let script_sources = scripts
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| hash_source(s))
        .collect();
    (style_sources, script_sources)
}

fn hash_source(body: &str) -> String {
    format!(
        "'sha256-{}'",
        BASE64.encode(Sha256::digest(body.as_bytes()))
    )
}

/// The text between `<tag …>` and `</tag>` for every such element.
fn element_bodies<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let close = format!("</{tag}");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = lower[from..].find(&open) {
        let start = from + rel;
        let after_name = start + open.len();
        // `<styles>` or `<scripted>` are not our elements.
        match lower.as_bytes().get(after_name) {
            Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/') => {}
            _ => {
                from = after_name;
                continue;
            }
        }
        let Some(gt) = lower[after_name..].find('>') else {
            break;
        };
        let body_start = after_name + gt + 1;
        let Some(end_rel) = lower[body_start..].find(&close) else {
            break;
        };
        let body_end = body_start + end_rel;
        out.push(&html[body_start..body_end]);
        from = body_end;
    }
    out
}

fn has_style_attribute(html: &str) -> bool {
    let lower = html.to_ascii_lowercase();
    lower
        .match_indices("style=")
        .any(|(i, _)| i > 0 && matches!(lower.as_bytes()[i - 1], b' ' | b'\t' | b'\n' | b'\r'))
}

/// A path segment or language tag that cannot climb out of the bundle or confuse a URL.
pub fn is_safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn walk(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, Vec<u8>)>,
    total: &mut u64,
) -> Result<(), BundleError> {
    let entries = std::fs::read_dir(dir).map_err(|source| BundleError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        // Symbolic links are not followed: a bundle is plain files.
        let meta = std::fs::symlink_metadata(&path).map_err(|source| BundleError::Io {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(root, &path, out, total)?;
        } else if meta.is_file() {
            *total += meta.len();
            if *total > MAX_BUNDLE_BYTES {
                return Err(BundleError::TooLarge {
                    path: root.to_path_buf(),
                    limit: MAX_BUNDLE_BYTES,
                });
            }
            let bytes = std::fs::read(&path).map_err(|source| BundleError::Io {
                path: path.clone(),
                source,
            })?;
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let url: Vec<&str> = rel.iter().filter_map(|c| c.to_str()).collect();
            out.push((url.join("/"), bytes));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_page_splits_at_its_one_marker() {
        let page = "<main>\n<p>letter</p>\n  <!-- missive:sign-form -->\n</main>\n";
        let t = PageTemplate::split("en", page).unwrap();
        assert_eq!(t.before, "<main>\n<p>letter</p>\n");
        assert_eq!(t.after, "</main>\n");
    }

    #[test]
    fn a_page_without_or_with_two_markers_is_refused() {
        assert!(
            PageTemplate::split("en", "<main></main>")
                .unwrap_err()
                .contains("no `")
        );
        let two = format!("{FORM_MARKER}\n{FORM_MARKER}\n");
        assert!(
            PageTemplate::split("en", &two)
                .unwrap_err()
                .contains("more than one")
        );
    }

    #[test]
    fn inline_styles_are_hashed_for_the_csp() {
        let (styles, scripts) = inline_sources("<style>p{color:red}</style><styles>x</styles>");
        assert_eq!(styles.len(), 1);
        assert!(styles[0].starts_with("'sha256-"));
        assert!(scripts.is_empty());
        let (styles, _) = inline_sources("<p style=\"color:red\">x</p>");
        assert_eq!(styles, vec!["'unsafe-inline'"]);
    }
}
