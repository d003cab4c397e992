//! The one font family every card and leaflet is set in — Noto Sans CJK KR, subset to Latin,
//! Cyrillic and all 11,172 Hangul syllables, shipped in the binary — plus shaping, measuring
//! and line breaking. Nothing here reads the machine's fonts, so a fresh machine renders the
//! same bytes as the coalition's laptop.
//!
//! Line breaking follows UAX #14, except that Korean is set "keep-all" (the way Korean
//! newspapers and books break): a line breaks between words, at spaces, never between two
//! Hangul syllables of one word — unless a single word is wider than the line.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use rustybuzz::ttf_parser::{GlyphId, OutlineBuilder};
use rustybuzz::{Face, UnicodeBuffer};

use super::RenditionError;

// Brotli-compressed fonts made by `assets/fonts/make-subset.sh` (SIL OFL 1.1): Noto Sans for
// Latin and Cyrillic, Noto Sans CJK KR for Hangul (it lacks Ukrainian letters).
static TEXT_REGULAR_BR: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Regular.subset.ttf.br");
static TEXT_BOLD_BR: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Bold.subset.ttf.br");
static HANGUL_REGULAR_BR: &[u8] =
    include_bytes!("../../assets/fonts/NotoSansCJKkr-Regular.subset.otf.br");
static HANGUL_BOLD_BR: &[u8] =
    include_bytes!("../../assets/fonts/NotoSansCJKkr-Bold.subset.otf.br");

/// Decompressed font files: [text regular, text bold, hangul regular, hangul bold].
static DATA: OnceLock<Result<[Vec<u8>; 4], String>> = OnceLock::new();
static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();

/// Which of the two shipped weights to set a run of text in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// Which shipped family draws a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Noto Sans: Latin, Cyrillic, digits, punctuation.
    Text,
    /// Noto Sans CJK KR: Hangul.
    Hangul,
}

/// One face with everything the renderers need of it.
struct Shipped {
    face: Face<'static>,
    pdf: krilla::text::Font,
    units_per_em: f32,
}

/// The four faces, parsed once per process.
pub(crate) struct Fonts {
    /// Indexed by [`index`].
    faces: [Shipped; 4],
}

fn index(family: Family, weight: Weight) -> usize {
    match (family, weight) {
        (Family::Text, Weight::Regular) => 0,
        (Family::Text, Weight::Bold) => 1,
        (Family::Hangul, Weight::Regular) => 2,
        (Family::Hangul, Weight::Bold) => 3,
    }
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field("faces", &self.faces.len())
            .finish()
    }
}

fn decompress(compressed: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(compressed.len() * 3);
    brotli::BrotliDecompress(&mut &compressed[..], &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// The shipped fonts, decompressed and parsed on first use (about 20 ms, once).
pub(crate) fn fonts() -> Result<&'static Fonts, RenditionError> {
    let data = DATA
        .get_or_init(|| {
            Ok([
                decompress(TEXT_REGULAR_BR)?,
                decompress(TEXT_BOLD_BR)?,
                decompress(HANGUL_REGULAR_BR)?,
                decompress(HANGUL_BOLD_BR)?,
            ])
        })
        .as_ref()
        .map_err(|e| RenditionError::Font(e.clone()))?;
    FONTS
        .get_or_init(|| {
            let load = |d: &'static Vec<u8>| -> Result<Shipped, String> {
                let bytes: &'static [u8] = d.as_slice();
                let face = Face::from_slice(bytes, 0).ok_or("unparsable font file")?;
                let pdf = krilla::text::Font::new(krilla::Data::from(bytes), 0)
                    .ok_or("krilla rejects the font file")?;
                let units_per_em = face.units_per_em() as f32;
                Ok(Shipped {
                    face,
                    pdf,
                    units_per_em,
                })
            };
            Ok(Fonts {
                faces: [
                    load(&data[0])?,
                    load(&data[1])?,
                    load(&data[2])?,
                    load(&data[3])?,
                ],
            })
        })
        .as_ref()
        .map_err(|e: &String| RenditionError::Font(e.clone()))
}

impl Fonts {
    fn shipped(&self, family: Family, weight: Weight) -> &Shipped {
        &self.faces[index(family, weight)]
    }

    pub(crate) fn pdf_font(&self, family: Family, weight: Weight) -> krilla::text::Font {
        self.shipped(family, weight).pdf.clone()
    }

    fn covers(&self, family: Family, c: char) -> bool {
        self.shipped(family, Weight::Regular)
            .face
            .glyph_index(c)
            .is_some()
    }

    /// Characters of `text` neither family can draw (whitespace and controls ignored).
    pub(crate) fn missing_chars(&self, text: &str) -> BTreeSet<char> {
        text.chars()
            .filter(|c| {
                !c.is_whitespace() && !c.is_control() && !missive_core::canonical::is_invisible(*c)
            })
            .filter(|c| !self.covers(Family::Text, *c) && !self.covers(Family::Hangul, *c))
            .collect()
    }

    /// Splits `text` into runs of one family. A character both families have (a space)
    /// stays in the current run, so a Korean sentence is not cut at every space.
    pub(crate) fn runs<'t>(&self, text: &'t str) -> Vec<(Family, &'t str)> {
        let mut runs = Vec::new();
        let mut current: Option<(Family, usize)> = None;
        for (i, c) in text.char_indices() {
            let text_has = self.covers(Family::Text, c);
            let hangul_has = self.covers(Family::Hangul, c);
            let family = match (current, text_has, hangul_has) {
                (Some((f, _)), true, true) => f,
                (_, false, true) => Family::Hangul,
                _ => Family::Text,
            };
            match current {
                Some((f, start)) if f != family => {
                    runs.push((f, &text[start..i]));
                    current = Some((family, i));
                }
                None => current = Some((family, i)),
                _ => {}
            }
        }
        if let Some((f, start)) = current {
            runs.push((f, &text[start..]));
        }
        runs
    }

    /// Shapes one line of text; lengths in em.
    pub(crate) fn shape(&self, weight: Weight, text: &str) -> Vec<ShapedGlyph> {
        let mut glyphs = Vec::new();
        for (family, run) in self.runs(text) {
            let shipped = self.shipped(family, weight);
            let mut buffer = UnicodeBuffer::new();
            buffer.push_str(run);
            buffer.guess_segment_properties();
            let output = rustybuzz::shape(&shipped.face, &[], buffer);
            let em = shipped.units_per_em;
            glyphs.extend(
                output
                    .glyph_infos()
                    .iter()
                    .zip(output.glyph_positions())
                    .map(|(info, pos)| ShapedGlyph {
                        family,
                        glyph_id: u16::try_from(info.glyph_id).unwrap_or(0),
                        advance: pos.x_advance as f32 / em,
                        x_offset: pos.x_offset as f32 / em,
                        y_offset: pos.y_offset as f32 / em,
                    }),
            );
        }
        glyphs
    }

    /// Advance width of `text` set on one line at `size` (pixels or points).
    pub(crate) fn width(&self, weight: Weight, size: f32, text: &str) -> f32 {
        self.shape(weight, text)
            .iter()
            .map(|g| g.advance)
            .sum::<f32>()
            * size
    }

    /// Breaks `text` (one paragraph, no newlines) into lines no wider than `max_width`.
    pub(crate) fn wrap(&self, style: Style, max_width: f32, text: &str) -> Vec<String> {
        let keep_all = style.keep_all;
        let mut lines = Vec::new();
        let mut current = String::new();
        for segment in segments(text, keep_all) {
            let candidate = format!("{current}{segment}");
            if self.width(style.weight, style.size, candidate.trim_end()) <= max_width {
                current = candidate;
                continue;
            }
            if !current.trim().is_empty() {
                lines.push(current.trim_end().to_string());
                current = String::new();
            }
            if self.width(style.weight, style.size, segment.trim_end()) <= max_width {
                current = segment.to_string();
            } else {
                // A word wider than the line: break it wherever UAX #14 allows, then anywhere.
                for piece in self.split_overlong(style, max_width, segment) {
                    if !current.is_empty() {
                        lines.push(current.trim_end().to_string());
                    }
                    current = piece;
                }
            }
        }
        if !current.trim().is_empty() {
            lines.push(current.trim_end().to_string());
        }
        lines
    }

    fn split_overlong(&self, style: Style, max_width: f32, word: &str) -> Vec<String> {
        let mut pieces = Vec::new();
        let mut current = String::new();
        for c in word.chars() {
            let candidate = format!("{current}{c}");
            if !current.is_empty()
                && self.width(style.weight, style.size, candidate.trim_end()) > max_width
            {
                pieces.push(std::mem::take(&mut current));
                current.push(c);
            } else {
                current = candidate;
            }
        }
        if !current.is_empty() {
            pieces.push(current);
        }
        pieces
    }

    /// Wraps `text` into at most `max_lines` lines; if it does not fit, the last line is cut
    /// at a word and ends with an ellipsis. Returns the lines and whether anything was cut.
    pub(crate) fn wrap_clamped(
        &self,
        style: Style,
        max_width: f32,
        max_lines: usize,
        text: &str,
    ) -> (Vec<String>, bool) {
        let mut lines = self.wrap(style, max_width, text);
        if lines.len() <= max_lines {
            return (lines, false);
        }
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = self.ellipsize(style, max_width, last);
        }
        (lines, true)
    }

    /// Cuts `line` at a word boundary so that `line…` fits `max_width`.
    pub(crate) fn ellipsize(&self, style: Style, max_width: f32, line: &str) -> String {
        let words: Vec<&str> = segments(line, style.keep_all).collect();
        for keep in (1..=words.len()).rev() {
            let head: String = words[..keep].concat();
            let candidate = format!("{}…", head.trim_end().trim_end_matches([',', ';', ':']));
            if self.width(style.weight, style.size, &candidate) <= max_width {
                return candidate;
            }
        }
        "…".to_string()
    }
}

/// A font weight and size, and whether Korean keep-all breaking applies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub weight: Weight,
    pub size: f32,
    pub keep_all: bool,
}

impl Style {
    pub(crate) fn new(weight: Weight, size: f32, lang: &str) -> Self {
        Style {
            weight,
            size,
            keep_all: uses_keep_all(lang),
        }
    }
}

/// Korean is set keep-all; every other language follows UAX #14 as is.
pub(crate) fn uses_keep_all(lang: &str) -> bool {
    lang == "ko" || lang.starts_with("ko-")
}

/// One shaped glyph; lengths in em (multiply by the font size).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShapedGlyph {
    pub family: Family,
    pub glyph_id: u16,
    pub advance: f32,
    pub x_offset: f32,
    pub y_offset: f32,
}

fn is_hangul(c: char) -> bool {
    matches!(c, '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' | '\u{AC00}'..='\u{D7AF}')
}

/// Zero-width and format characters canonical text should not contain anyway.
/// The text split at its allowed line breaks; each piece keeps its trailing spaces.
fn segments(text: &str, keep_all: bool) -> impl Iterator<Item = &str> {
    let mut cuts: Vec<usize> = unicode_linebreak::linebreaks(text)
        .map(|(i, _)| i)
        .filter(|&i| {
            if !keep_all || i == 0 || i >= text.len() {
                return true;
            }
            let before = text[..i].chars().next_back();
            let after = text[i..].chars().next();
            // keep-all: no break inside a run of Hangul (syllables, or closing punctuation
            // that UAX #14 would let hang after one).
            !matches!((before, after), (Some(b), Some(a)) if is_hangul(b) && is_hangul(a))
        })
        .collect();
    if cuts.last() != Some(&text.len()) {
        cuts.push(text.len());
    }
    let mut start = 0;
    cuts.into_iter().filter_map(move |end| {
        if end <= start {
            return None;
        }
        let piece = &text[start..end];
        start = end;
        Some(piece)
    })
}

/// Splits a paragraph into sentences (each keeps its end punctuation and trailing space).
pub(crate) fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?' | '…' | '。') {
            let next = chars.peek().map(|&(_, n)| n);
            if next.is_none_or(char::is_whitespace) {
                let mut end = i + c.len_utf8();
                while let Some(&(j, n)) = chars.peek() {
                    if !n.is_whitespace() {
                        break;
                    }
                    end = j + n.len_utf8();
                    chars.next();
                }
                out.push(&text[start..end]);
                start = end;
            }
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Turns glyph outlines into a tiny-skia path in pixel space.
pub(crate) struct PathSink {
    pub builder: tiny_skia::PathBuilder,
    pub scale: f32,
    pub x: f32,
    pub y: f32,
}

impl OutlineBuilder for PathSink {
    fn move_to(&mut self, x: f32, y: f32) {
        self.builder
            .move_to(self.x + x * self.scale, self.y - y * self.scale);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.builder
            .line_to(self.x + x * self.scale, self.y - y * self.scale);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.builder.quad_to(
            self.x + x1 * self.scale,
            self.y - y1 * self.scale,
            self.x + x * self.scale,
            self.y - y * self.scale,
        );
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        self.builder.cubic_to(
            self.x + x1 * self.scale,
            self.y - y1 * self.scale,
            self.x + x2 * self.scale,
            self.y - y2 * self.scale,
            self.x + x * self.scale,
            self.y - y * self.scale,
        );
    }
    fn close(&mut self) {
        self.builder.close();
    }
}

impl Fonts {
    /// Adds the outlines of `text`, set at `size` pixels with its baseline at (`x`, `y`), to
    /// `builder`. Returns the advance width in pixels.
    pub(crate) fn outline_line(
        &self,
        weight: Weight,
        size: f32,
        x: f32,
        y: f32,
        text: &str,
        builder: &mut tiny_skia::PathBuilder,
    ) -> f32 {
        let mut pen = 0.0f32;
        let mut sink = PathSink {
            builder: std::mem::take(builder),
            scale: 0.0,
            x,
            y,
        };
        for glyph in self.shape(weight, text) {
            let shipped = self.shipped(glyph.family, weight);
            sink.scale = size / shipped.units_per_em;
            sink.x = x + (pen + glyph.x_offset) * size;
            sink.y = y - glyph.y_offset * size;
            let _ = shipped
                .face
                .outline_glyph(GlyphId(glyph.glyph_id), &mut sink);
            pen += glyph.advance;
        }
        *builder = sink.builder;
        pen * size
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn korean_breaks_only_between_words() {
        let pieces: Vec<&str> = segments("우리는 일곱 개의 단체입니다.", true).collect();
        assert_eq!(pieces, ["우리는 ", "일곱 ", "개의 ", "단체입니다."]);
        let loose: Vec<&str> = segments("우리는", false).collect();
        assert_eq!(
            loose.len(),
            3,
            "UAX #14 alone breaks between Hangul syllables"
        );
    }

    #[test]
    fn sentences_keep_their_punctuation() {
        assert_eq!(
            sentences("One. Two? Three 3.5 four"),
            ["One. ", "Two? ", "Three 3.5 four"]
        );
    }

    #[test]
    fn wrap_respects_the_width_and_keeps_every_word() {
        let fonts = fonts().unwrap();
        let style = Style::new(Weight::Regular, 20.0, "ko");
        let text = "여러분의 목숨은 그 무엇보다 소중합니다. 어떤 명령도, 어떤 구호도 한 사람의 생명보다 무겁지 않습니다.";
        let lines = fonts.wrap(style, 200.0, text);
        assert!(lines.len() > 2);
        for line in &lines {
            assert!(fonts.width(Weight::Regular, 20.0, line) <= 200.0, "{line}");
        }
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn coverage_reports_what_the_font_lacks() {
        let fonts = fonts().unwrap();
        let none = fonts.missing_chars("Привіт, 안녕, hello — «ok» ’№");
        assert!(none.is_empty(), "{none:?}");
        let missing = fonts.missing_chars("漢字 ok مرحبا");
        assert!(missing.contains(&'漢') && missing.contains(&'م'));
        let runs: Vec<(Family, &str)> = fonts.runs("우리는 Світло 연대.");
        assert_eq!(
            runs,
            [
                (Family::Hangul, "우리는 "),
                (Family::Text, "Світло "),
                (Family::Hangul, "연대"),
                (Family::Text, ".")
            ]
        );
    }
}
