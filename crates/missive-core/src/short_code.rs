//! The short code: eight characters from a canonical text's hash, printed on every rendition
//! and easy to read aloud, so a copy can be checked against a trusted source without a
//! computer. A lookup key, not a proof: the proof is the signatures.
//!
//! The first 40 bits of the SHA-256, in Crockford's base32 (no I, L, O or U), shown as
//! `XXXX-XXXX`.

use std::fmt;

use crate::canonical::TextHash;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShortCode([u8; 8]);

impl ShortCode {
    pub fn from_hash(hash: &TextHash) -> Self {
        let bits = hash.0[..5]
            .iter()
            .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
        let mut code = [0u8; 8];
        for (i, slot) in code.iter_mut().enumerate() {
            let shift = 35 - 5 * i;
            *slot = ALPHABET[((bits >> shift) & 0x1F) as usize];
        }
        Self(code)
    }

    /// Reads a short code as a person might type it: any case, with or without the dash,
    /// with O for 0 and I or L for 1 (Crockford's rules).
    pub fn parse(typed: &str) -> Option<Self> {
        let mut code = [0u8; 8];
        let mut n = 0;
        for c in typed.chars().filter(|c| !matches!(c, '-' | ' ')) {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let byte = u8::try_from(c).ok().filter(|b| ALPHABET.contains(b))?;
            *code.get_mut(n)? = byte;
            n += 1;
        }
        (n == 8).then_some(Self(code))
    }

    /// The eight characters without the dash.
    pub fn chars(&self) -> impl Iterator<Item = char> + '_ {
        self.0.iter().map(|b| char::from(*b))
    }
}

impl fmt::Display for ShortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s: String = self.chars().collect();
        write!(f, "{}-{}", &s[..4], &s[4..])
    }
}

impl fmt::Debug for ShortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShortCode({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_first_forty_bits() {
        let mut bytes = [0u8; 32];
        bytes[..5].copy_from_slice(&[0xFF, 0x00, 0xFF, 0x00, 0xFF]);
        // 11111 11100 00000 01111 11110 00000 00111 11111
        assert_eq!(
            ShortCode::from_hash(&TextHash(bytes)).to_string(),
            "ZW0F-Y07Z"
        );
    }

    #[test]
    fn parses_what_people_type() {
        let code = ShortCode::parse("zw0f-y07z").expect("valid");
        assert_eq!(code.to_string(), "ZW0F-Y07Z");
        assert_eq!(ShortCode::parse("ZWOF Y07Z"), Some(code));
        assert_eq!(ShortCode::parse("ZW0FY07"), None);
        assert_eq!(ShortCode::parse("ZW0FY07U"), None);
    }
}
