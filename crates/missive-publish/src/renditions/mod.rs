//! Renditions for channels other than the web page: share cards, print leaflets, QR codes,
//! a Telegram post, feeds, a radio script and the offline folder. Every rendition is made from
//! one [`RenditionInput`] — already canonical and signed — so none of them can drift from the
//! words the coalition signed.

/// Everything a rendition of one translation is made from. Plain data: the text is already
/// canonical and the signatures already made.
#[derive(Debug, Clone)]
pub struct RenditionInput {
    /// The letter's id, e.g. `letter-to-soldiers`.
    pub letter_id: String,
    /// The letter version the signatures bind.
    pub version: u32,
    /// BCP 47 language tag, e.g. `ko`.
    pub lang: String,
    /// The language's own name, e.g. `한국어`.
    pub language_name: String,
    /// The title as signed (first line of the canonical text).
    pub title: String,
    /// The canonical text's blocks after the title, in order: one entry per paragraph,
    /// heading or list item, exactly as they appear in the canonical text.
    pub paragraphs: Vec<String>,
    /// The exact canonical text (title, blank line, blocks separated by blank lines, final LF).
    pub canonical_text: String,
    /// The signed text: canonical text followed by the signature block. The offline payload.
    pub signed_text: String,
    /// Lower-case hex SHA-256 of the canonical text.
    pub sha256_hex: String,
    /// The short code, e.g. `K7QM-3XPD`.
    pub short_code: String,
    /// The coalition's name as in the roster.
    pub coalition: String,
    /// The organizations whose signatures the rendition carries, in roster order.
    pub signers: Vec<SignerLine>,
    /// The public address of this translation's page, when the coalition configured one.
    pub page_url: Option<String>,
    /// True when the letter is published with `--allow-unsigned`: every rendition must say so.
    pub draft: bool,
    /// The release date, `YYYY-MM-DD`.
    pub release_date: String,
}

/// One signing organization as shown on a rendition.
#[derive(Debug, Clone)]
pub struct SignerLine {
    pub name: String,
    /// Key fingerprint in groups, e.g. `3F2A 91C0 …`.
    pub fingerprint: String,
}

mod card;
mod feed;
mod fonts;
mod leaflet;
mod offline;
mod png_out;
pub mod qr;
mod radio;
mod telegram;
mod words;

use std::fmt;
use std::str::FromStr;

pub use offline::{OfflineItem, offline_folder};
pub use qr::{ReferencePayload, decode_qr_image, parse_reference_payload, reference_payload};

/// The renditions `missive publish --only` can choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RenditionKind {
    /// `LANG/card.png` (1200×630) and `LANG/card-portrait.png` (1080×1350).
    Card,
    /// `LANG/leaflet.pdf`.
    Leaflet,
    /// `LANG/qr-offline.svg|png` and, when the page URL is known, `LANG/qr-url.svg|png`.
    Qr,
    /// `LANG/telegram.txt` (paste into the app) and `LANG/telegram-html.txt` (Bot API).
    Telegram,
    /// `feed.atom` and `feed.json` at the bundle root.
    Feed,
    /// `LANG/radio.txt`.
    Radio,
}

impl RenditionKind {
    /// Every kind, in the order they are rendered.
    pub fn all() -> [RenditionKind; 6] {
        use RenditionKind::*;
        [Card, Leaflet, Qr, Telegram, Feed, Radio]
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            RenditionKind::Card => "card",
            RenditionKind::Leaflet => "leaflet",
            RenditionKind::Qr => "qr",
            RenditionKind::Telegram => "telegram",
            RenditionKind::Feed => "feed",
            RenditionKind::Radio => "radio",
        }
    }

    /// Parses a comma-separated list such as `card,leaflet` (duplicates dropped).
    pub fn parse_list(list: &str) -> Result<Vec<RenditionKind>, UnknownRendition> {
        let mut kinds = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let kind: RenditionKind = item.parse()?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        if kinds.is_empty() {
            return Err(UnknownRendition(list.to_string()));
        }
        Ok(kinds)
    }
}

impl fmt::Display for RenditionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rendition name `--only` does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rendition {0:?}; choose from card, leaflet, qr, telegram, feed, radio")]
pub struct UnknownRendition(pub String);

impl FromStr for RenditionKind {
    type Err = UnknownRendition;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        let wanted = wanted.strip_suffix('s').unwrap_or(&wanted);
        RenditionKind::all()
            .into_iter()
            .find(|k| k.name() == wanted)
            .ok_or_else(|| UnknownRendition(s.to_string()))
    }
}

/// Leaflet paper size. A5 folds from A4 and fits a pocket; A6 is a hand-out; A4 a poster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    A4,
    #[default]
    A5,
    A6,
}

impl Paper {
    /// Width and height in PDF points (1/72 inch).
    pub fn size_pt(self) -> (f32, f32) {
        let mm = |v: f32| v * 72.0 / 25.4;
        match self {
            Paper::A4 => (mm(210.0), mm(297.0)),
            Paper::A5 => (mm(148.0), mm(210.0)),
            Paper::A6 => (mm(105.0), mm(148.0)),
        }
    }
}

impl fmt::Display for Paper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Paper::A4 => "a4",
            Paper::A5 => "a5",
            Paper::A6 => "a6",
        })
    }
}

/// A paper size other than A4, A5 or A6.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown paper size {0:?}; choose a4, a5 or a6")]
pub struct UnknownPaper(pub String);

impl FromStr for Paper {
    type Err = UnknownPaper;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "a4" => Ok(Paper::A4),
            "a5" => Ok(Paper::A5),
            "a6" => Ok(Paper::A6),
            _ => Err(UnknownPaper(s.to_string())),
        }
    }
}

/// What to render and how.
#[derive(Debug, Clone, Default)]
pub struct RenditionOptions {
    /// `None` renders everything.
    pub only: Option<Vec<RenditionKind>>,
    pub paper: Paper,
    /// The bundle's public address (`https://example.org/letter`), used for feed links.
    pub base_url: Option<String>,
}

impl RenditionOptions {
    pub fn wants(&self, kind: RenditionKind) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(&kind))
    }
}

/// One file of the bundle, in memory.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Relative to the bundle (or offline folder) root, `/`-separated, e.g. `ko/card.png`.
    pub path: String,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for RenderedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderedFile")
            .field("path", &self.path)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Something a rendition could only do with a fallback; the files are still sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A few characters the shipped fonts lack are drawn as an empty box in the card and
    /// the leaflet; everything else renders as usual.
    MissingGlyphs { lang: String, chars: String },
    /// The shipped font covers too little of this language: no card and no leaflet were made.
    NoFontCoverage { lang: String, chars: String },
    /// The title did not fit the card and was shortened with an ellipsis.
    TitleShortened { lang: String, card: &'static str },
    /// The signed text is too long for one QR code; the offline QR carries the reference
    /// payload (hash, short code, key fingerprints) instead.
    OfflineQrIsReference {
        lang: String,
        signed_bytes: usize,
        capacity: usize,
    },
    /// The Telegram post holds only the first paragraphs, then the link.
    TelegramCut {
        lang: String,
        kept: usize,
        total: usize,
    },
    /// No spelling words for this language: the radio script spells the code in English.
    RadioSpelledInEnglish { lang: String },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::MissingGlyphs { lang, chars } => write!(
                f,
                "{lang}: the shipped fonts lack {chars}; the card and the leaflet draw an empty \
                 box in their place (page, text, QR, Telegram and radio renditions keep them)"
            ),
            Warning::NoFontCoverage { lang, chars } => write!(
                f,
                "{lang}: the shipped font cannot draw this language (lacks {chars}); no card \
                 and no leaflet made — page, text, QR, Telegram and radio renditions are fine"
            ),
            Warning::TitleShortened { lang, card } => write!(
                f,
                "{lang}: the title is too long for the {card}; it is shortened there with an \
                 ellipsis (the page and leaflet keep it whole)"
            ),
            Warning::OfflineQrIsReference {
                lang,
                signed_bytes,
                capacity,
            } => write!(
                f,
                "{lang}: the signed text ({signed_bytes} bytes) is more than one QR code holds \
                 at error correction M ({capacity} bytes); the offline QR carries the reference \
                 payload (SHA-256, short code, key fingerprints) instead"
            ),
            Warning::TelegramCut { lang, kept, total } => write!(
                f,
                "{lang}: the letter is longer than a Telegram message (4,096 characters); the \
                 post keeps {kept} of {total} paragraphs and links to the full text"
            ),
            Warning::RadioSpelledInEnglish { lang } => write!(
                f,
                "{lang}: no spelling words for this language; the radio script spells the \
                 short code with English words"
            ),
        }
    }
}

/// Why a rendition could not be made at all.
#[derive(Debug, thiserror::Error)]
pub enum RenditionError {
    #[error("the embedded font is unreadable: {0}")]
    Font(String),
    #[error("{lang}: the short code {code:?} is not 8 Crockford base32 characters (XXXX-XXXX)")]
    InvalidShortCode { lang: String, code: String },
    #[error("{lang}: {reason}")]
    InvalidInput { lang: String, reason: String },
    #[error("{lang}: even the reference payload ({bytes} bytes) does not fit one QR code")]
    QrTooLong { lang: String, bytes: usize },
    #[error("could not encode a PNG: {0}")]
    Png(String),
    #[error("{lang}: could not write the leaflet PDF: {message}")]
    Pdf { lang: String, message: String },
    #[error("not a readable image (PNG or JPEG): {0}")]
    ImageDecode(String),
    #[error("no QR code found in the image")]
    NoQrCode,
}

/// Renders every chosen per-language rendition of one translation. Files are named
/// `LANG/...`; the card and leaflet are drawn in parallel.
pub fn render_translation(
    input: &RenditionInput,
    options: &RenditionOptions,
) -> Result<(Vec<RenderedFile>, Vec<Warning>), RenditionError> {
    check_input(input)?;
    let lang = input.lang.as_str();
    let mut warnings = Vec::new();
    let mut files = Vec::new();

    let offline = qr::offline_payload(input)?;
    if let Some(w) = &offline.warning {
        warnings.push(w.clone());
    }

    let wants_card = options.wants(RenditionKind::Card);
    let wants_leaflet = options.wants(RenditionKind::Leaflet);
    let mut drawable = wants_card || wants_leaflet;
    if drawable {
        match font_coverage(input)? {
            Coverage::Full => {}
            Coverage::Partial(chars) => warnings.push(Warning::MissingGlyphs {
                lang: lang.to_string(),
                chars,
            }),
            Coverage::None(chars) => {
                warnings.push(Warning::NoFontCoverage {
                    lang: lang.to_string(),
                    chars,
                });
                drawable = false;
            }
        }
    }

    if drawable {
        let (cards, leaflet) = std::thread::scope(|scope| {
            let leaflet = scope.spawn(|| {
                wants_leaflet.then(|| leaflet::render(input, &offline.payload, options.paper))
            });
            let cards = wants_card.then(|| card::render_both(input));
            let leaflet = leaflet.join().unwrap_or_else(|_| {
                Some(Err(RenditionError::Pdf {
                    lang: lang.to_string(),
                    message: "the leaflet renderer panicked".to_string(),
                }))
            });
            (cards, leaflet)
        });
        if let Some(cards) = cards {
            let cards = cards?;
            warnings.extend(cards.warnings);
            files.push(file(lang, "card.png", cards.landscape));
            files.push(file(lang, "card-portrait.png", cards.portrait));
        }
        if let Some(leaflet) = leaflet {
            files.push(file(lang, "leaflet.pdf", leaflet?));
        }
    }

    if options.wants(RenditionKind::Qr) {
        let caption = qr::caption(input);
        let code = qr::QrMatrix::encode(&offline.payload, lang)?;
        files.push(file(
            lang,
            "qr-offline.svg",
            code.svg(&caption).into_bytes(),
        ));
        files.push(file(lang, "qr-offline.png", code.png(&caption)?));
        if let Some(url) = &input.page_url {
            let code = qr::QrMatrix::encode(url, lang)?;
            files.push(file(lang, "qr-url.svg", code.svg(&caption).into_bytes()));
            files.push(file(lang, "qr-url.png", code.png(&caption)?));
        }
    }

    if options.wants(RenditionKind::Telegram) {
        let post = telegram::render(input);
        if let Some(w) = post.warning {
            warnings.push(w);
        }
        files.push(file(lang, "telegram.txt", post.plain.into_bytes()));
        files.push(file(lang, "telegram-html.txt", post.html.into_bytes()));
    }

    if options.wants(RenditionKind::Radio) {
        let (script, warning) = radio::render(input)?;
        warnings.extend(warning);
        files.push(file(lang, "radio.txt", script.into_bytes()));
    }

    Ok((files, warnings))
}

/// Renders every translation with [`render_translation`], one thread per translation (the
/// work is CPU-bound and translations are independent), and the feeds. Files come back in
/// input order, then `feed.atom` and `feed.json`.
pub fn render_translations(
    inputs: &[RenditionInput],
    options: &RenditionOptions,
) -> Result<(Vec<RenderedFile>, Vec<Warning>), RenditionError> {
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .iter()
            .map(|input| scope.spawn(move || render_translation(input, options)))
            .collect();
        handles
            .into_iter()
            .zip(inputs)
            .map(|(handle, input)| {
                handle.join().unwrap_or_else(|_| {
                    Err(RenditionError::InvalidInput {
                        lang: input.lang.clone(),
                        reason: "a renderer panicked".to_string(),
                    })
                })
            })
            .collect()
    });
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for result in results {
        let (f, w) = result?;
        files.extend(f);
        warnings.extend(w);
    }
    files.extend(render_feeds(inputs, options)?);
    Ok((files, warnings))
}

/// Renders the Atom and JSON feeds (bundle root) for all translations given.
pub fn render_feeds(
    inputs: &[RenditionInput],
    options: &RenditionOptions,
) -> Result<Vec<RenderedFile>, RenditionError> {
    if !options.wants(RenditionKind::Feed) || inputs.is_empty() {
        return Ok(Vec::new());
    }
    for input in inputs {
        check_input(input)?;
    }
    Ok(vec![
        RenderedFile {
            path: "feed.atom".to_string(),
            bytes: feed::atom(inputs, options.base_url.as_deref()).into_bytes(),
        },
        RenderedFile {
            path: "feed.json".to_string(),
            bytes: feed::json(inputs, options.base_url.as_deref()).into_bytes(),
        },
    ])
}

fn file(lang: &str, name: &str, bytes: Vec<u8>) -> RenderedFile {
    RenderedFile {
        path: format!("{lang}/{name}"),
        bytes,
    }
}

/// Rejects input no rendition can be honest about.
fn check_input(input: &RenditionInput) -> Result<(), RenditionError> {
    let invalid = |reason: &str| RenditionError::InvalidInput {
        lang: input.lang.clone(),
        reason: reason.to_string(),
    };
    let lang_ok = !input.lang.is_empty()
        && input.lang.len() <= 35
        && input
            .lang
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !lang_ok {
        return Err(invalid(
            "the language tag must be a BCP 47 tag such as `ko`",
        ));
    }
    if input.title.trim().is_empty() {
        return Err(invalid("the title is empty"));
    }
    if input.canonical_text.trim().is_empty() {
        return Err(invalid("the canonical text is empty"));
    }
    if input.sha256_hex.len() != 64 || !input.sha256_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("the SHA-256 must be 64 hex digits"));
    }
    words::short_code_chars(&input.short_code).ok_or_else(|| RenditionError::InvalidShortCode {
        lang: input.lang.clone(),
        code: input.short_code.clone(),
    })?;
    Ok(())
}

enum Coverage {
    Full,
    Partial(String),
    None(String),
}

/// Whether the shipped font draws what the card and leaflet show. More than one character in
/// twenty missing means the language is not covered (a page of boxes helps nobody).
fn font_coverage(input: &RenditionInput) -> Result<Coverage, RenditionError> {
    let fonts = fonts::fonts()?;
    let mut shown = String::new();
    shown.push_str(&input.title);
    shown.push_str(&input.canonical_text);
    shown.push_str(&input.coalition);
    shown.push_str(&input.language_name);
    for signer in &input.signers {
        shown.push_str(&signer.name);
    }
    let missing = fonts.missing_chars(&shown);
    if missing.is_empty() {
        return Ok(Coverage::Full);
    }
    let list: String = missing
        .iter()
        .take(12)
        .map(|c| format!("{c:?} U+{:04X}", u32::from(*c)))
        .collect::<Vec<_>>()
        .join(", ");
    let list = if missing.len() > 12 {
        format!("{list} and {} more", missing.len() - 12)
    } else {
        list
    };
    let visible = shown.chars().filter(|c| !c.is_whitespace()).count().max(1);
    let missing_count = shown.chars().filter(|c| missing.contains(c)).count();
    if missing_count * 20 > visible {
        Ok(Coverage::None(list))
    } else {
        Ok(Coverage::Partial(list))
    }
}
