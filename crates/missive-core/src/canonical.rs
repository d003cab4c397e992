//! Canonical text: the one byte string per language that is hashed and signed, and the rules
//! that turn any copy — a Markdown source, a page's text, a paste out of a messenger — into it.
//!
//! Invariant: `canonicalize(canonicalize(x)) == canonicalize(x)` for every string `x`.
//! The rules (also in docs/FORMAT.md): drop invisible characters (zero-width, bidi controls,
//! BOM, soft hyphen, variation selectors, tags); CR LF, CR, U+2028 and U+2029 become LF; every
//! other whitespace character becomes a space; Unicode NFC; on every line runs of spaces become
//! one and leading/trailing spaces go; runs of blank lines become one; no blank line at the
//! start or end; exactly one final LF (the empty text stays empty).

use std::fmt;

use sha2::{Digest, Sha256};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::short_code::ShortCode;

/// Text in canonical form. Only [`canonicalize`] makes one, so holding one is proof of form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CanonicalText(String);

impl CanonicalText {
    /// Canonicalizes any text.
    pub fn new(text: &str) -> Self {
        Self(canonicalize(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn sha256(&self) -> TextHash {
        TextHash(Sha256::digest(self.0.as_bytes()).into())
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for CanonicalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CanonicalText").field(&self.0).finish()
    }
}

/// SHA-256 of a canonical text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextHash(pub [u8; 32]);

impl TextHash {
    /// Parses 64 hex digits (either case).
    pub fn from_hex(hex_digits: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_digits.trim(), &mut bytes).ok()?;
        Some(Self(bytes))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn short_code(&self) -> ShortCode {
        ShortCode::from_hash(self)
    }
}

impl fmt::Debug for TextHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TextHash({})", self.to_hex())
    }
}

impl fmt::Display for TextHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Characters that change no visible letter but do change bytes: they are what messengers,
/// editors and forgers insert, so they never count.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                  // soft hyphen
        | '\u{034F}'                // combining grapheme joiner
        | '\u{061C}'                // Arabic letter mark
        | '\u{180E}'                // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'   // zero-width space, non-joiner, joiner, LRM, RLM
        | '\u{202A}'..='\u{202E}'   // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'   // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}'   // bidi isolates
        | '\u{FE00}'..='\u{FE0F}'   // variation selectors
        | '\u{FEFF}'                // byte order mark, zero-width no-break space
        | '\u{E0001}'
        | '\u{E0020}'..='\u{E007F}' // tag characters
    )
}

/// Bidirectional embeddings, overrides and isolates: invisible, dropped by canonicalization,
/// yet able to change the order in which a screen shows words. A copy carrying them may not
/// show its reader what was signed.
pub fn is_reordering_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Applies the canonical text rules to any text.
pub fn canonicalize(text: &str) -> String {
    let cleaned = clean_characters(text);
    let composed: String = match is_nfc_quick(cleaned.chars()) {
        IsNormalized::Yes => cleaned,
        _ => cleaned.nfc().collect(),
    };
    let mut out = String::with_capacity(composed.len() + 1);
    let mut pending_blank = false;
    for line in composed.split('\n') {
        let mut words = line.split(' ').filter(|w| !w.is_empty()).peekable();
        if words.peek().is_none() {
            pending_blank = !out.is_empty();
            continue;
        }
        if pending_blank {
            out.push('\n');
            pending_blank = false;
        }
        let mut first = true;
        for word in words {
            if !first {
                out.push(' ');
            }
            out.push_str(word);
            first = false;
        }
        out.push('\n');
    }
    out
}

/// Drops invisible characters and maps line ends and whitespace to LF and space.
fn clean_characters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Invisible characters go first, so one between CR and LF does not split a line end.
    let mut chars = text.chars().filter(|c| !is_invisible(*c)).peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\u{2028}' | '\u{2029}' | '\u{000B}' | '\u{000C}' | '\u{0085}' => out.push('\n'),
            c if c.is_whitespace() => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_spaces_and_blank_lines_are_normalized() {
        assert_eq!(
            canonicalize("\u{FEFF}  Title \r\n\r\n\r\nfirst   line\t \rsecond\n\n"),
            "Title\n\nfirst line\nsecond\n"
        );
    }

    #[test]
    fn nfd_hangul_becomes_nfc() {
        let nfd: String = "한국어".nfd().collect();
        assert_ne!(nfd, "한국어");
        assert_eq!(canonicalize(&nfd), "한국어\n");
    }

    #[test]
    fn invisible_characters_are_dropped_but_lookalikes_are_kept() {
        assert_eq!(canonicalize("pea\u{200B}ce\u{202E}"), "peace\n");
        // Cyrillic а and full-width ａ look like Latin a but are other letters.
        assert_ne!(canonicalize("pаce"), canonicalize("pace"));
        assert_ne!(canonicalize("pａce"), canonicalize("pace"));
        // Compatibility jamo look like the conjoining ones but do not compose.
        assert_ne!(canonicalize("ㅎㅏㄴ"), canonicalize("한"));
    }

    #[test]
    fn an_invisible_character_inside_a_line_end_is_dropped_first() {
        assert_eq!(canonicalize("a\r\u{200B}\nb"), "a\nb\n");
    }

    #[test]
    fn empty_and_blank_texts_are_empty() {
        assert_eq!(canonicalize(""), "");
        assert_eq!(canonicalize(" \n\u{200B}\n\t"), "");
    }

    #[test]
    fn hash_and_short_code_are_stable() {
        let text = CanonicalText::new("Go home alive.");
        assert_eq!(text.as_str(), "Go home alive.\n");
        assert_eq!(
            text.sha256().to_hex(),
            hex::encode(Sha256::digest(b"Go home alive.\n"))
        );
        assert_eq!(
            TextHash::from_hex(&text.sha256().to_hex()),
            Some(text.sha256())
        );
    }
}
