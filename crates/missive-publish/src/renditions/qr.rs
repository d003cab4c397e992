//! QR codes: what the offline QR carries (the signed text when it fits one code at error
//! correction M, otherwise a compact reference payload), drawing codes as SVG and PNG, and
//! reading codes back out of a photo or scan for `missive verify`.
//!
//! Codes are always encoded in byte mode (UTF-8, announced with ECI 26): the `qrcode`
//! crate's automatic mode choice would put some UTF-8 Hangul byte pairs in Kanji mode, which
//! readers decode as Shift-JIS.

use qrcode::bits::Bits;
use qrcode::{EcLevel, QrCode, Version};

use super::{RenditionError, RenditionInput, Warning, png_out};

/// First line of every reference payload.
pub const REFERENCE_MAGIC: &str = "MISSIVE-REF 1";

/// The most bytes one QR code (version 40) holds at error correction M in byte mode with
/// the 12-bit ECI header that non-ASCII payloads carry (pure ASCII: one more byte).
pub const CAPACITY_M: usize = 2330;

/// What the offline QR of a translation carries.
#[derive(Debug, Clone)]
pub(crate) struct OfflinePayload {
    pub payload: String,
    pub warning: Option<Warning>,
}

/// The signed text if one QR code holds it at error correction M, else the reference payload.
pub(crate) fn offline_payload(input: &RenditionInput) -> Result<OfflinePayload, RenditionError> {
    if QrMatrix::encode(&input.signed_text, &input.lang).is_ok() {
        return Ok(OfflinePayload {
            payload: input.signed_text.clone(),
            warning: None,
        });
    }
    let reference = reference_payload(input);
    if QrMatrix::encode(&reference, &input.lang).is_err() {
        return Err(RenditionError::QrTooLong {
            lang: input.lang.clone(),
            bytes: reference.len(),
        });
    }
    Ok(OfflinePayload {
        payload: reference,
        warning: Some(Warning::OfflineQrIsReference {
            lang: input.lang.clone(),
            signed_bytes: input.signed_text.len(),
            capacity: CAPACITY_M,
        }),
    })
}

/// A reference to one signed translation, small enough for any QR code: it lets a verifier
/// match a copy (by SHA-256 and short code) and name the keys that signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencePayload {
    pub letter_id: String,
    pub version: u32,
    pub lang: String,
    /// Lower-case hex SHA-256 of the canonical text.
    pub sha256_hex: String,
    /// `XXXX-XXXX`.
    pub short_code: String,
    /// Upper-case hex key fingerprints (spaces removed), in roster order.
    pub key_fingerprints: Vec<String>,
    /// The translation's page, when known.
    pub url: Option<String>,
}

/// The reference payload of a translation (see docs/RENDITIONS.md for the grammar):
///
/// ```text
/// MISSIVE-REF 1
/// id letter-to-soldiers
/// version 1
/// lang ko
/// sha256 <64 lower-case hex digits>
/// code K7QM-3XPD
/// key 3F2A91C0DEADBEEF      (one line per signing organization, roster order)
/// url https://example.org/ko/   (only when the page address is known)
/// ```
///
/// Lines end with LF, including the last; fields appear in this order.
pub fn reference_payload(input: &RenditionInput) -> String {
    let mut out = String::new();
    out.push_str(REFERENCE_MAGIC);
    out.push('\n');
    out.push_str(&format!("id {}\n", one_line(&input.letter_id)));
    out.push_str(&format!("version {}\n", input.version));
    out.push_str(&format!("lang {}\n", one_line(&input.lang)));
    out.push_str(&format!(
        "sha256 {}\n",
        input.sha256_hex.to_ascii_lowercase()
    ));
    out.push_str(&format!("code {}\n", one_line(&input.short_code)));
    for signer in &input.signers {
        out.push_str(&format!("key {}\n", fingerprint(&signer.fingerprint)));
    }
    if let Some(url) = &input.page_url {
        out.push_str(&format!("url {}\n", one_line(url)));
    }
    out
}

fn one_line(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// A fingerprint as printed (`3F2A 91C0 …`) reduced to its hex digits, upper case.
fn fingerprint(printed: &str) -> String {
    printed
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Parses a reference payload; `None` for anything that is not exactly one (a signed text,
/// a URL, a damaged payload). Accepts CRLF line ends, as some scanner apps produce them.
pub fn parse_reference_payload(text: &str) -> Option<ReferencePayload> {
    let mut lines = text.lines();
    if lines.next()?.trim_end() != REFERENCE_MAGIC {
        return None;
    }
    let mut field = |name: &str| -> Option<String> {
        let line = lines.next()?.trim_end();
        line.strip_prefix(name)?
            .strip_prefix(' ')
            .map(str::to_string)
    };
    let letter_id = field("id")?;
    let version = field("version")?.parse().ok()?;
    let lang = field("lang")?;
    let sha256_hex = field("sha256")?;
    let short_code = field("code")?;
    let hex_ok = sha256_hex.len() == 64
        && sha256_hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if letter_id.is_empty() || lang.is_empty() || !hex_ok {
        return None;
    }
    super::words::short_code_chars(&short_code)?;
    let mut key_fingerprints = Vec::new();
    let mut url = None;
    for line in text.lines().skip(6) {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        if let Some(key) = line.strip_prefix("key ") {
            if url.is_some() || key.is_empty() || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            key_fingerprints.push(key.to_ascii_uppercase());
        } else if let Some(u) = line.strip_prefix("url ") {
            if url.is_some() || u.is_empty() {
                return None;
            }
            url = Some(u.to_string());
        } else {
            return None;
        }
    }
    Some(ReferencePayload {
        letter_id,
        version,
        lang,
        sha256_hex,
        short_code,
        key_fingerprints,
        url,
    })
}

/// The text under a stand-alone QR code: what it belongs to, ASCII only so any SVG viewer
/// can show it: `letter-to-soldiers · ko · v1 · K7QM-3XPD`.
pub(crate) fn caption(input: &RenditionInput) -> String {
    let id: String = input
        .letter_id
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(40)
        .collect();
    format!(
        "{id} · {} · v{} · {}",
        input.lang, input.version, input.short_code
    )
}

/// A QR code's modules.
#[derive(Debug, Clone)]
pub(crate) struct QrMatrix {
    /// Modules per side, without the quiet zone.
    pub width: usize,
    /// Row-major, true = dark.
    pub dark: Vec<bool>,
}

/// Quiet zone, in modules, around every code we draw (the standard asks for 4).
pub(crate) const QUIET: usize = 4;

impl QrMatrix {
    /// Encodes `payload` in byte mode at error correction M, in the smallest version that
    /// holds it.
    pub(crate) fn encode(payload: &str, lang: &str) -> Result<QrMatrix, RenditionError> {
        let data = payload.as_bytes();
        let too_long = || RenditionError::QrTooLong {
            lang: lang.to_string(),
            bytes: data.len(),
        };
        if data.len() > CAPACITY_M + 1 {
            return Err(too_long());
        }
        for v in 1..=40 {
            let mut bits = Bits::new(Version::Normal(v));
            let pushed = (|| {
                if !payload.is_ascii() {
                    bits.push_eci_designator(26)?;
                }
                bits.push_byte_data(data)?;
                bits.push_terminator(EcLevel::M)
            })();
            if pushed.is_err() {
                continue;
            }
            let code = QrCode::with_bits(bits, EcLevel::M).map_err(|_| too_long())?;
            let width = code.width();
            let dark = code
                .to_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect();
            return Ok(QrMatrix { width, dark });
        }
        Err(too_long())
    }

    pub(crate) fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark.get(y * self.width + x).copied().unwrap_or(false)
    }

    /// Horizontal runs of dark modules: (x, y, length), for compact drawing.
    pub(crate) fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    runs.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
        }
        runs
    }

    /// A stand-alone SVG: one path, one module = one user unit, quiet zone included, with
    /// the caption as a title and as a line of text under the code.
    pub(crate) fn svg(&self, caption: &str) -> String {
        let side = self.width + 2 * QUIET;
        let caption = xml_escape(caption);
        let text_h = 4;
        let mut d = String::with_capacity(self.width * self.width);
        for (x, y, len) in self.runs() {
            d.push_str(&format!("M{} {}h{len}v1h-{len}z", x + QUIET, y + QUIET));
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {h}\" \
             width=\"{w}mm\" height=\"{hm}mm\" shape-rendering=\"crispEdges\">\
             <title>{caption}</title>\
             <rect width=\"{side}\" height=\"{h}\" fill=\"#fff\"/>\
             <path fill=\"#000\" d=\"{d}\"/>\
             <text x=\"{mid}\" y=\"{ty}\" font-family=\"sans-serif\" font-size=\"2\" \
             text-anchor=\"middle\" fill=\"#333\">{caption}</text></svg>\n",
            h = side + text_h,
            // Half a millimetre per module prints reliably for phone cameras.
            w = side as f32 / 2.0,
            hm = (side + text_h) as f32 / 2.0,
            mid = side as f32 / 2.0,
            ty = side + 1,
        )
    }

    /// A stand-alone grey PNG (8 px per module, quiet zone included) with the caption set in
    /// the shipped font under the code.
    pub(crate) fn png(&self, caption: &str) -> Result<Vec<u8>, RenditionError> {
        let module = 8usize;
        let side = (self.width + 2 * QUIET) * module;
        let caption_h = 48usize;
        let fonts = super::fonts::fonts()?;
        let mut pixmap = tiny_skia::Pixmap::new(side as u32, (side + caption_h) as u32)
            .ok_or_else(|| RenditionError::Png("QR image too large".to_string()))?;
        pixmap.fill(tiny_skia::Color::WHITE);
        self.draw(
            &mut pixmap,
            QUIET as f32 * module as f32,
            QUIET as f32 * module as f32,
            module as f32,
        );
        let size = 20.0f32.min(side as f32 / 24.0).max(10.0);
        let width = fonts.width(super::fonts::Weight::Regular, size, caption);
        let x = ((side as f32 - width) / 2.0).max(4.0);
        let mut builder = tiny_skia::PathBuilder::new();
        fonts.outline_line(
            super::fonts::Weight::Regular,
            size,
            x,
            side as f32 + size * 0.6,
            caption,
            &mut builder,
        );
        super::card::fill(&mut pixmap, builder, [0x33, 0x33, 0x33]);
        png_out::encode_gray(&pixmap)
    }

    /// Draws the dark modules onto `pixmap` with the code's top-left module at (`x`, `y`).
    /// Modules are snapped to whole pixels so the code stays crisp.
    pub(crate) fn draw(&self, pixmap: &mut tiny_skia::Pixmap, x: f32, y: f32, module: f32) {
        let mut paint = tiny_skia::Paint::default();
        paint.set_color_rgba8(0, 0, 0, 255);
        paint.anti_alias = false;
        let mut builder = tiny_skia::PathBuilder::new();
        for (mx, my, len) in self.runs() {
            let left = (x + mx as f32 * module).round();
            let right = (x + (mx + len) as f32 * module).round();
            let top = (y + my as f32 * module).round();
            let bottom = (y + (my + 1) as f32 * module).round();
            if let Some(rect) = tiny_skia::Rect::from_ltrb(left, top, right, bottom) {
                builder.push_rect(rect);
            }
        }
        if let Some(path) = builder.finish() {
            pixmap.fill_path(
                &path,
                &paint,
                tiny_skia::FillRule::Winding,
                tiny_skia::Transform::identity(),
                None,
            );
        }
    }
}

pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Reads every QR code in a PNG or JPEG image (a screenshot, a scan, a phone photo) and
/// returns their payloads in the order found.
///
/// The detector is sensitive to module sizes that fall between whole pixels (a 0.5 mm
/// module scanned at 150 dpi is 2.95 px), so an image where nothing is found is read again
/// at half and at twice its size.
pub fn decode_qr_image(bytes: &[u8]) -> Result<Vec<String>, RenditionError> {
    let image = image::load_from_memory(bytes)
        .map_err(|e| RenditionError::ImageDecode(e.to_string()))?
        .to_luma8();
    let (w, h) = (image.width() as usize, image.height() as usize);
    let luma = image.as_raw();
    let found = decode_luma(w, h, luma);
    if !found.is_empty() {
        return Ok(found);
    }
    if w.min(h) >= 400 {
        let (hw, hh) = (w / 2, h / 2);
        let mut half = vec![0u8; hw * hh];
        for y in 0..hh {
            for x in 0..hw {
                let at = |dx: usize, dy: usize| u16::from(luma[(2 * y + dy) * w + 2 * x + dx]);
                half[y * hw + x] = ((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4) as u8;
            }
        }
        let found = decode_luma(hw, hh, &half);
        if !found.is_empty() {
            return Ok(found);
        }
    }
    if w.max(h) <= 2400 {
        let (dw, dh) = (w * 2, h * 2);
        let mut double = vec![0u8; dw * dh];
        for y in 0..dh {
            let row = &luma[(y / 2) * w..(y / 2) * w + w];
            for (x, px) in double[y * dw..(y + 1) * dw].iter_mut().enumerate() {
                *px = row[x / 2];
            }
        }
        let found = decode_luma(dw, dh, &double);
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Err(RenditionError::NoQrCode)
}

/// Decodes QR codes from an 8-bit grey image (row-major).
pub(crate) fn decode_luma(width: usize, height: usize, luma: &[u8]) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        luma.get(y * width + x).copied().unwrap_or(255)
    });
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hangul_round_trips_in_byte_mode() {
        let text = "가나다 깊은 밤, 편지를 씁니다.";
        let code = QrMatrix::encode(text, "ko").unwrap();
        let module = 4;
        let side = (code.width + 8) * module;
        let mut luma = vec![255u8; side * side];
        for y in 0..code.width {
            for x in 0..code.width {
                if code.is_dark(x, y) {
                    for dy in 0..module {
                        for dx in 0..module {
                            luma[((y + 4) * module + dy) * side + (x + 4) * module + dx] = 0;
                        }
                    }
                }
            }
        }
        assert_eq!(decode_luma(side, side, &luma), [text]);
    }

    #[test]
    fn capacity_is_exact() {
        assert!(
            QrMatrix::encode(&"a".repeat(CAPACITY_M + 1), "en").is_ok(),
            "ASCII has no ECI"
        );
        assert!(QrMatrix::encode(&"a".repeat(CAPACITY_M + 2), "en").is_err());
        assert!(QrMatrix::encode(&"가".repeat(CAPACITY_M / 3), "ko").is_ok());
        assert!(QrMatrix::encode(&"가".repeat(CAPACITY_M / 3 + 1), "ko").is_err());
    }

    #[test]
    fn reference_payload_parses_strictly() {
        let text = "MISSIVE-REF 1\nid x\nversion 2\nlang ko\nsha256 ".to_string()
            + &"ab".repeat(32)
            + "\ncode K7QM-3XPD\nkey 3F2A91C0\nkey 00FF\nurl https://e.org/ko/\n";
        let parsed = parse_reference_payload(&text).unwrap();
        assert_eq!(parsed.version, 2);
        assert_eq!(parsed.key_fingerprints, ["3F2A91C0", "00FF"]);
        assert_eq!(parsed.url.as_deref(), Some("https://e.org/ko/"));
        assert!(parse_reference_payload(&text.replace("version 2", "version two")).is_none());
        assert!(parse_reference_payload(&text.replace("K7QM", "K7QI")).is_none());
        assert!(parse_reference_payload(&(text.clone() + "extra line\n")).is_none());
        assert!(parse_reference_payload(&text.replace("MISSIVE-REF 1", "MISSIVE-REF 2")).is_none());
        assert!(parse_reference_payload(&text.replace('\n', "\r\n")).is_some());
    }
}
