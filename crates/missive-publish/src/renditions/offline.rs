//! The offline folder for USB sticks and SD cards: the signed text of each language under a
//! plain "read me" name in that language, and per language the single-file page, the card
//! and the leaflet under neutral names, plus `SHA256SUMS`. Nothing in it names who made the
//! copy or when; two folders made from one letter are byte-identical.

use sha2::{Digest, Sha256};

use super::{RenderedFile, RenditionInput};

/// What goes into the offline folder for one translation.
#[derive(Debug, Clone, Copy)]
pub struct OfflineItem<'a> {
    pub input: &'a RenditionInput,
    /// The single-file HTML page.
    pub page_html: &'a [u8],
    pub card_png: Option<&'a [u8]>,
    pub leaflet_pdf: Option<&'a [u8]>,
}

/// The name of the signed-text file at the folder's root, in the translation's language.
pub fn read_me_name(lang: &str) -> String {
    match lang.split('-').next().unwrap_or(lang) {
        "ko" => "읽어보세요.txt".to_string(),
        "en" => "READ-ME.txt".to_string(),
        "ru" => "ПРОЧТИТЕ.txt".to_string(),
        "uk" => "ПРОЧИТАЙТЕ.txt".to_string(),
        _ => format!("READ-ME.{lang}.txt"),
    }
}

/// The offline folder's files, paths relative to its root:
///
/// ```text
/// 읽어보세요.txt  READ-ME.txt  ПРОЧТИТЕ.txt  ПРОЧИТАЙТЕ.txt   the signed texts
/// ko/letter.html  ko/card.png  ko/leaflet.pdf                  per language
/// SHA256SUMS                                                   of every file above
/// ```
pub fn offline_folder(items: &[OfflineItem<'_>]) -> Vec<RenderedFile> {
    let mut files = Vec::new();
    for item in items {
        // A language tag becomes a folder name: keep only what a BCP 47 tag may hold.
        let lang: String = item
            .input
            .lang
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let lang = if lang.is_empty() {
            "und".to_string()
        } else {
            lang
        };
        let lang = &lang;
        files.push(RenderedFile {
            path: read_me_name(lang),
            bytes: item.input.signed_text.as_bytes().to_vec(),
        });
        files.push(RenderedFile {
            path: format!("{lang}/letter.html"),
            bytes: item.page_html.to_vec(),
        });
        if let Some(card) = item.card_png {
            files.push(RenderedFile {
                path: format!("{lang}/card.png"),
                bytes: card.to_vec(),
            });
        }
        if let Some(leaflet) = item.leaflet_pdf {
            files.push(RenderedFile {
                path: format!("{lang}/leaflet.pdf"),
                bytes: leaflet.to_vec(),
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    let sums: String = files
        .iter()
        .map(|f| format!("{}  {}\n", hex::encode(Sha256::digest(&f.bytes)), f.path))
        .collect();
    files.push(RenderedFile {
        path: "SHA256SUMS".to_string(),
        bytes: sums.into_bytes(),
    });
    files
}
