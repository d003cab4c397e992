//! The print leaflet (PDF, A5 by default; A6 and A4): the whole letter, the signing
//! organizations with their key fingerprints, the short code, the offline QR (the signed
//! text when it fits, else the reference payload) and, when the page address is known, a URL
//! QR. Every page's footer names the letter, language, version and short code.
//!
//! Text is set with the shipped font (krilla embeds a subset) as real text, so `pdftotext`,
//! search and screen readers get the letter back. The PDF has no creation date and a
//! document id derived from the letter, so the same input gives the same bytes.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::TextDirection;
use krilla::{Document, SerializeSettings};

use super::fonts::{self, Fonts, Style, Weight};
use super::qr::{QUIET, QrMatrix};
use super::words::words;
use super::{Paper, RenditionError, RenditionInput};

type Rgb = [u8; 3];
const INK: Rgb = [0x14, 0x16, 0x1B];
const MUTED: Rgb = [0x52, 0x57, 0x61];
const ACCENT: Rgb = [0x1B, 0x4B, 0x8A];
const RULE: Rgb = [0xC9, 0xC3, 0xB8];
const DRAFT: Rgb = [0xB0, 0x24, 0x1C];
const MM: f32 = 72.0 / 25.4;
/// QR module size: 1/50 inch (0.51 mm) scans reliably from print, and is a whole number of
/// pixels at the usual scan and raster resolutions (100, 150, 200, 300 dpi).
const QR_MODULE: f32 = 72.0 / 50.0;

/// Snaps a coordinate to the QR module grid, so module edges fall on pixel edges when the
/// page is rasterized at a multiple of 50 dpi.
fn snap(v: f32, module: f32) -> f32 {
    if (module - QR_MODULE).abs() < f32::EPSILON {
        (v / module).ceil() * module
    } else {
        v
    }
}

/// Sizes for one paper format, in points.
struct Metrics {
    margin_x: f32,
    margin_top: f32,
    margin_bottom: f32,
    body: f32,
    title: f32,
    heading: f32,
    small: f32,
    code: f32,
}

fn metrics(paper: Paper) -> Metrics {
    let s = match paper {
        Paper::A6 => 0.8,
        Paper::A5 => 1.0,
        Paper::A4 => 1.22,
    };
    // Print-safe margins: at least 10 mm on A6, 13 mm on A5, 18 mm on A4.
    let (mx, mt, mb) = match paper {
        Paper::A6 => (10.0 * MM, 10.0 * MM, 14.0 * MM),
        Paper::A5 => (13.0 * MM, 13.0 * MM, 17.0 * MM),
        Paper::A4 => (18.0 * MM, 18.0 * MM, 22.0 * MM),
    };
    Metrics {
        margin_x: mx,
        margin_top: mt,
        margin_bottom: mb,
        body: 9.6 * s,
        title: 17.0 * s,
        heading: 10.6 * s,
        small: 7.2 * s,
        code: 17.0 * s,
    }
}

/// One drawing operation, laid out before drawing so that footers can say "page 2/3".
enum Op {
    Text {
        weight: Weight,
        size: f32,
        x: f32,
        baseline: f32,
        text: String,
        rgb: Rgb,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        rgb: Rgb,
    },
    Qr {
        matrix: QrMatrix,
        x: f32,
        y: f32,
        module: f32,
    },
}

/// Pages of operations and a cursor that flows text down them.
struct Flow<'a> {
    fonts: &'a Fonts,
    lang: &'a str,
    m: Metrics,
    width: f32,
    bottom: f32,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Flow<'_> {
    fn content_width(&self) -> f32 {
        self.width - 2.0 * self.m.margin_x
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.m.margin_top;
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// Ensures `height` points are left on the page, starting a new page if not.
    fn room(&mut self, height: f32) {
        if self.y + height > self.bottom {
            self.new_page();
        }
    }

    /// Sets `text` as a paragraph at `x` (indent) with line height `leading` × size.
    fn paragraph(
        &mut self,
        weight: Weight,
        size: f32,
        leading: f32,
        indent: f32,
        text: &str,
        rgb: Rgb,
    ) {
        let style = Style::new(weight, size, self.lang);
        let width = self.content_width() - indent;
        for line in self.fonts.wrap(style, width, text) {
            self.line(weight, size, leading, self.m.margin_x + indent, line, rgb);
        }
    }

    fn line(&mut self, weight: Weight, size: f32, leading: f32, x: f32, text: String, rgb: Rgb) {
        let advance = size * leading;
        self.room(advance);
        self.y += advance;
        let baseline = self.y - (leading - 1.0) * size * 0.5 - size * 0.12;
        self.push(Op::Text {
            weight,
            size,
            x,
            baseline,
            text,
            rgb,
        });
    }

    fn rule(&mut self, w: f32, h: f32, rgb: Rgb) {
        let x = self.m.margin_x;
        let y = self.y;
        self.push(Op::Rect { x, y, w, h, rgb });
    }
}

/// How one block of the canonical text is set.
enum Block<'a> {
    Heading(&'a str),
    Item(&'a str),
    Paragraph(&'a str),
}

/// The canonical text is plain; its blocks are told apart by shape. A list item starts with
/// a bullet; a heading is a short line without closing punctuation after the first block
/// (the first is the salutation).
fn classify(index: usize, text: &str) -> Block<'_> {
    for marker in ["- ", "• ", "* ", "– "] {
        if let Some(rest) = text.strip_prefix(marker) {
            return Block::Item(rest);
        }
    }
    if let Some(rest) = text.strip_prefix('#') {
        return Block::Heading(rest.trim_start_matches('#').trim_start());
    }
    let ends_open = !text
        .trim_end()
        .ends_with(['.', ',', '!', '?', ':', ';', '…', '"', '»', '”', ')', '。']);
    if index > 0 && ends_open && text.chars().count() <= 60 && !text.starts_with(['—', '–']) {
        return Block::Heading(text);
    }
    Block::Paragraph(text)
}

pub(crate) fn render(
    input: &RenditionInput,
    offline_payload: &str,
    paper: Paper,
) -> Result<Vec<u8>, RenditionError> {
    let fonts = fonts::fonts()?;
    let lang = input.lang.as_str();
    let w = words(lang);
    let (width, height) = paper.size_pt();
    let m = metrics(paper);
    let bottom = height - m.margin_bottom;
    let mut flow = Flow {
        fonts,
        lang,
        m,
        width,
        bottom,
        pages: Vec::new(),
        y: 0.0,
    };
    flow.new_page();
    let cw = flow.content_width();
    let (body, small, heading, title) = (flow.m.body, flow.m.small, flow.m.heading, flow.m.title);

    // Head: coalition, language and version, the title.
    flow.paragraph(
        Weight::Bold,
        small * 1.05,
        1.4,
        0.0,
        &input.coalition,
        ACCENT,
    );
    let meta = format!(
        "{} · {} {} · {}",
        input.language_name, w.version, input.version, input.release_date
    );
    flow.paragraph(Weight::Regular, small, 1.4, 0.0, &meta, MUTED);
    if input.draft {
        flow.paragraph(Weight::Bold, small * 1.1, 1.5, 0.0, w.draft, DRAFT);
    }
    flow.y += body * 0.5;
    flow.paragraph(Weight::Bold, title, 1.25, 0.0, &input.title, INK);
    flow.y += body * 0.45;
    flow.rule(28.0, 1.6, ACCENT);
    flow.y += body * 0.4;

    // The letter.
    let bullet_indent = body * 1.2;
    for (i, text) in input.paragraphs.iter().enumerate() {
        match classify(i, text) {
            Block::Heading(h) => {
                flow.y += body * 0.5;
                // Keep a heading with at least two lines of what follows.
                flow.room(heading * 1.4 + 2.0 * body * 1.55);
                flow.paragraph(Weight::Bold, heading, 1.4, 0.0, h, INK);
                flow.y += body * 0.15;
            }
            Block::Item(item) => {
                let style = Style::new(Weight::Regular, body, lang);
                let lines = fonts.wrap(style, cw - bullet_indent, item);
                for (n, line) in lines.into_iter().enumerate() {
                    flow.line(
                        Weight::Regular,
                        body,
                        1.55,
                        flow.m.margin_x + bullet_indent,
                        line,
                        INK,
                    );
                    if n == 0 {
                        let baseline = flow.y - 0.55 * body * 0.5 - body * 0.12;
                        let x = flow.m.margin_x + body * 0.3;
                        flow.push(Op::Text {
                            weight: Weight::Regular,
                            size: body,
                            x,
                            baseline,
                            text: "•".to_string(),
                            rgb: ACCENT,
                        });
                    }
                }
                flow.y += body * 0.2;
            }
            Block::Paragraph(p) => {
                flow.paragraph(Weight::Regular, body, 1.55, 0.0, p, INK);
                flow.y += body * 0.55;
            }
        }
    }

    // Who signed, with key fingerprints.
    flow.y += body * 0.6;
    let signer_block = small * 1.5 * (2.0 + 2.0 * input.signers.len().min(3) as f32);
    flow.room(signer_block);
    flow.rule(cw, 0.6, RULE);
    flow.y += small * 0.6;
    flow.paragraph(Weight::Bold, small * 1.1, 1.6, 0.0, w.signed_by, ACCENT);
    for signer in &input.signers {
        flow.room(small * 1.45 * 2.0);
        flow.paragraph(Weight::Bold, small, 1.45, 0.0, &signer.name, INK);
        let key = format!("{} {}", w.key, signer.fingerprint);
        flow.paragraph(Weight::Regular, small * 0.95, 1.35, 0.0, &key, MUTED);
    }
    if input.signers.is_empty() {
        flow.paragraph(Weight::Bold, small, 1.45, 0.0, w.draft, DRAFT);
    }

    // The check block: offline QR, short code, how to check; kept on one page.
    check_block(&mut flow, input, offline_payload)?;

    write_pdf(input, &flow, width, height)
}

fn check_block(
    flow: &mut Flow<'_>,
    input: &RenditionInput,
    offline_payload: &str,
) -> Result<(), RenditionError> {
    let lang = input.lang.as_str();
    let w = words(lang);
    let fonts = flow.fonts;
    let cw = flow.content_width();
    let (small, body, code_size) = (flow.m.small, flow.m.body, flow.m.code);
    let offline = QrMatrix::encode(offline_payload, lang)?;
    let signed = offline_payload == input.signed_text;
    // Half a millimetre per module scans reliably from print; shrink only to fit the column.
    let modules = (offline.width + 2 * QUIET) as f32;
    let module = QR_MODULE.min(cw / modules);
    let qr_side = module * modules;
    let side_by_side = qr_side <= cw * 0.5;
    let text_x = if side_by_side { qr_side + body } else { 0.0 };
    let text_w = cw - text_x;

    let style = |weight, size| Style::new(weight, size, lang);
    let caption = if signed {
        w.offline_qr
    } else {
        w.offline_qr_reference
    };
    let caption_lines = fonts.wrap(
        style(Weight::Regular, small),
        if side_by_side { text_w } else { cw },
        caption,
    );
    let check = w.how_to_check.replace('`', "");
    let check_lines = fonts.wrap(style(Weight::Regular, small), text_w, &check);
    let text_h = small * 1.6
        + code_size * 1.4
        + small * 1.45 * (check_lines.len() + caption_lines.len()) as f32
        + small;
    let url = input.page_url.as_deref();
    let url_qr = url.map(|u| QrMatrix::encode(u, lang)).transpose()?;
    let url_side = url_qr
        .as_ref()
        .map_or(0.0, |q| (q.width + 2 * QUIET) as f32 * QR_MODULE);
    let block_h = if side_by_side {
        qr_side.max(text_h)
    } else {
        qr_side + text_h
    } + if url_qr.is_some() {
        url_side + small * 2.0
    } else {
        0.0
    } + body * 1.5;

    flow.y += body * 0.8;
    flow.room(block_h);
    flow.rule(cw, 0.6, RULE);
    flow.y += body * 0.7;
    let top = flow.y;
    let x0 = flow.m.margin_x;
    flow.push(Op::Qr {
        matrix: offline,
        x: snap(x0 + QUIET as f32 * module, module),
        y: snap(top + QUIET as f32 * module, module),
        module,
    });
    if !side_by_side {
        flow.y = top + qr_side;
    }
    // Short code, then how to check, then what the QR holds.
    let mut y = if side_by_side {
        top + module * 2.0
    } else {
        flow.y
    };
    let tx = x0 + text_x;
    y += small * 1.3;
    flow.push(Op::Text {
        weight: Weight::Bold,
        size: small,
        x: tx,
        baseline: y,
        text: w.short_code.to_string(),
        rgb: ACCENT,
    });
    y += code_size * 1.3;
    flow.push(Op::Text {
        weight: Weight::Bold,
        size: code_size,
        x: tx,
        baseline: y,
        text: input.short_code.clone(),
        rgb: INK,
    });
    y += small * 0.8;
    for line in check_lines
        .into_iter()
        .chain(std::iter::once(String::new()))
        .chain(caption_lines)
    {
        y += small * 1.45;
        if !line.is_empty() {
            flow.push(Op::Text {
                weight: Weight::Regular,
                size: small,
                x: tx,
                baseline: y,
                text: line,
                rgb: MUTED,
            });
        }
    }
    flow.y = if side_by_side {
        (top + qr_side).max(y)
    } else {
        y
    };

    if let (Some(url), Some(url_qr)) = (url, url_qr) {
        // The URL code sits at the right margin, not under the offline code: a reader that
        // sees finder patterns of two codes in one column can pair them wrongly.
        flow.y += small;
        let top = flow.y;
        let module = QR_MODULE;
        flow.push(Op::Qr {
            x: snap(x0 + cw - url_side, module) - module * (1.0 - QUIET as f32),
            y: snap(top + QUIET as f32 * module, module),
            module,
            matrix: url_qr,
        });
        let text_w = cw - url_side - body * 0.5;
        let mut y = top + module * 4.0 + small * 1.3;
        flow.push(Op::Text {
            weight: Weight::Bold,
            size: small,
            x: x0,
            baseline: y,
            text: w.url_qr.to_string(),
            rgb: ACCENT,
        });
        for line in fonts.wrap(style(Weight::Regular, small), text_w, url) {
            y += small * 1.45;
            flow.push(Op::Text {
                weight: Weight::Regular,
                size: small,
                x: x0,
                baseline: y,
                text: line,
                rgb: INK,
            });
        }
        flow.y = top + url_side;
    }
    Ok(())
}

fn fill(rgb: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(rgb[0], rgb[1], rgb[2]).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn write_pdf(
    input: &RenditionInput,
    flow: &Flow<'_>,
    width: f32,
    height: f32,
) -> Result<Vec<u8>, RenditionError> {
    let pdf_err = |message: String| RenditionError::Pdf {
        lang: input.lang.clone(),
        message,
    };
    let fonts = flow.fonts;
    let w = words(&input.lang);
    let settings = SerializeSettings {
        // No XMP packet: it would only repeat the title, and carries a producer tool name.
        xmp_metadata: false,
        enable_tagging: false,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    document.set_metadata(
        Metadata::new()
            .title(format!("{} — {}", input.title, input.coalition))
            .language(input.lang.clone())
            // A fixed id: copies of one translation are byte-identical.
            .document_id(format!("missive:{}:{}", input.letter_id, input.sha256_hex)),
    );
    let total = flow.pages.len();
    let footer_left = format!(
        "{} · {} · {} {} · {} {}",
        input.letter_id,
        input.language_name,
        w.version,
        input.version,
        w.short_code,
        input.short_code
    );
    let settings = PageSettings::from_wh(width, height)
        .ok_or_else(|| pdf_err("invalid page size".to_string()))?;
    for (n, ops) in flow.pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, fonts, op);
        }
        // Footer.
        let small = flow.m.small * 0.95;
        let fy = height - flow.m.margin_bottom * 0.5;
        draw_rect(
            &mut surface,
            flow.m.margin_x,
            fy - small * 1.6,
            width - 2.0 * flow.m.margin_x,
            0.5,
            RULE,
        );
        let count = format!("{}/{}", n + 1, total);
        let count_w = fonts.width(Weight::Regular, small, &count);
        let style = Style::new(Weight::Regular, small, &input.lang);
        let left_w = width - 2.0 * flow.m.margin_x - count_w - small * 2.0;
        let (left, _) = fonts.wrap_clamped(style, left_w, 1, &footer_left);
        draw(
            &mut surface,
            fonts,
            &Op::Text {
                weight: Weight::Regular,
                size: small,
                x: flow.m.margin_x,
                baseline: fy,
                text: left.concat(),
                rgb: MUTED,
            },
        );
        draw(
            &mut surface,
            fonts,
            &Op::Text {
                weight: Weight::Regular,
                size: small,
                x: width - flow.m.margin_x - count_w,
                baseline: fy,
                text: count,
                rgb: MUTED,
            },
        );
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| pdf_err(format!("{e:?}")))
}

fn draw_rect(surface: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32, rgb: Rgb) {
    if let Some(rect) = Rect::from_xywh(x, y, w, h) {
        let mut pb = PathBuilder::new();
        pb.push_rect(rect);
        if let Some(path) = pb.finish() {
            surface.set_fill(Some(fill(rgb)));
            surface.draw_path(&path);
        }
    }
}

fn draw(surface: &mut Surface<'_>, fonts: &Fonts, op: &Op) {
    match op {
        Op::Text {
            weight,
            size,
            x,
            baseline,
            text,
            rgb,
        } => {
            surface.set_fill(Some(fill(*rgb)));
            // One text object per font run; each keeps its characters for extraction.
            let mut pen = *x;
            for (family, run) in fonts.runs(text) {
                surface.draw_text(
                    Point::from_xy(pen, *baseline),
                    fonts.pdf_font(family, *weight),
                    *size,
                    run,
                    false,
                    TextDirection::LeftToRight,
                );
                pen += fonts.width(*weight, *size, run);
            }
        }
        Op::Rect { x, y, w, h, rgb } => draw_rect(surface, *x, *y, *w, *h, *rgb),
        Op::Qr {
            matrix,
            x,
            y,
            module,
        } => {
            let mut pb = PathBuilder::new();
            for (mx, my, len) in matrix.runs() {
                let left = x + mx as f32 * module;
                let top = y + my as f32 * module;
                // A hair of overlap between rows: no light seams between rows in viewers.
                if let Some(rect) = Rect::from_xywh(left, top, len as f32 * module, module * 1.02) {
                    pb.push_rect(rect);
                }
            }
            if let Some(path) = pb.finish() {
                surface.set_fill(Some(fill([0, 0, 0])));
                surface.draw_path(&path);
            }
        }
    }
}
