//! Share cards: a 1200×630 landscape card (link previews) and a 1080×1350 portrait card
//! (messengers), drawn with tiny-skia in the shipped font and written as metadata-free PNG.
//!
//! Each card shows the coalition, the title, the opening lines (cut after a whole sentence,
//! marked with an ellipsis), the signing organizations, the language, the version, the short
//! code and a QR code with the reference payload (small enough to scan off a screen).

use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Rect, Transform};

use super::fonts::{self, Fonts, Style, Weight};
use super::qr::{QUIET, QrMatrix, reference_payload};
use super::words::{self, words};
use super::{RenditionError, RenditionInput, Warning, png_out};

type Rgb = [u8; 3];
const BACKGROUND: Rgb = [0xFA, 0xF7, 0xF2];
const INK: Rgb = [0x15, 0x18, 0x1E];
const BODY: Rgb = [0x2B, 0x2F, 0x37];
const MUTED: Rgb = [0x55, 0x5B, 0x66];
const ACCENT: Rgb = [0x1B, 0x4B, 0x8A];
const RULE: Rgb = [0xD9, 0xD3, 0xC7];
const DRAFT: Rgb = [0xB0, 0x24, 0x1C];

/// Both cards' PNG bytes, and what had to be shortened.
pub(crate) struct Cards {
    pub landscape: Vec<u8>,
    pub portrait: Vec<u8>,
    pub warnings: Vec<Warning>,
}

/// Renders the landscape and the portrait card.
pub(crate) fn render_both(input: &RenditionInput) -> Result<Cards, RenditionError> {
    let fonts = fonts::fonts()?;
    let qr = QrMatrix::encode(&reference_payload(input), &input.lang)?;
    let mut warnings = Vec::new();
    let landscape = render(fonts, input, &qr, &LANDSCAPE, &mut warnings)?;
    let portrait = render(fonts, input, &qr, &PORTRAIT, &mut warnings)?;
    Ok(Cards {
        landscape,
        portrait,
        warnings,
    })
}

/// The geometry of one card format, in pixels.
struct Layout {
    name: &'static str,
    width: u32,
    height: u32,
    pad_left: f32,
    pad_right: f32,
    pad_top: f32,
    pad_bottom: f32,
    /// Accent bar: left edge (landscape) or top edge (portrait).
    bar_left: bool,
    kicker: f32,
    titles: &'static [f32],
    title_lines: usize,
    body: f32,
    small: f32,
    signer_lines: usize,
    qr_box: f32,
    code: f32,
    /// QR column on the right (landscape) or QR band at the bottom (portrait).
    qr_right: bool,
}

const LANDSCAPE: Layout = Layout {
    name: "landscape card",
    width: 1200,
    height: 630,
    pad_left: 72.0,
    pad_right: 60.0,
    pad_top: 58.0,
    pad_bottom: 50.0,
    bar_left: true,
    kicker: 21.0,
    titles: &[52.0, 46.0, 40.0, 36.0],
    title_lines: 3,
    body: 25.0,
    small: 19.0,
    signer_lines: 2,
    qr_box: 250.0,
    code: 36.0,
    qr_right: true,
};

const PORTRAIT: Layout = Layout {
    name: "portrait card",
    width: 1080,
    height: 1350,
    pad_left: 84.0,
    pad_right: 84.0,
    pad_top: 104.0,
    pad_bottom: 84.0,
    bar_left: false,
    kicker: 28.0,
    titles: &[70.0, 62.0, 54.0, 48.0],
    title_lines: 4,
    body: 33.0,
    small: 25.0,
    signer_lines: 3,
    qr_box: 290.0,
    code: 54.0,
    qr_right: false,
};

/// Collects text outlines and fills them in one go per colour.
struct Canvas<'a> {
    pixmap: Pixmap,
    fonts: &'a Fonts,
}

impl Canvas<'_> {
    fn text(&mut self, weight: Weight, size: f32, x: f32, baseline: f32, text: &str, rgb: Rgb) {
        let mut builder = PathBuilder::new();
        self.fonts
            .outline_line(weight, size, x, baseline, text, &mut builder);
        fill(&mut self.pixmap, builder, rgb);
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: Rgb) {
        if let Some(rect) = Rect::from_xywh(x, y, w, h) {
            self.pixmap
                .fill_rect(rect, &paint(rgb, false), Transform::identity(), None);
        }
    }

    fn rounded_rect(&mut self, x: f32, y: f32, w: f32, h: f32, r: f32, rgb: Rgb) {
        let mut pb = PathBuilder::new();
        let k = 0.552_284_8 * r;
        pb.move_to(x + r, y);
        pb.line_to(x + w - r, y);
        pb.cubic_to(x + w - r + k, y, x + w, y + r - k, x + w, y + r);
        pb.line_to(x + w, y + h - r);
        pb.cubic_to(x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h);
        pb.line_to(x + r, y + h);
        pb.cubic_to(x + r - k, y + h, x, y + h - r + k, x, y + h - r);
        pb.line_to(x, y + r);
        pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
        pb.close();
        fill(&mut self.pixmap, pb, rgb);
    }
}

fn paint(rgb: Rgb, anti_alias: bool) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color_rgba8(rgb[0], rgb[1], rgb[2], 255);
    paint.anti_alias = anti_alias;
    paint
}

/// Fills whatever `builder` holds (nothing if it is empty).
pub(crate) fn fill(pixmap: &mut Pixmap, builder: PathBuilder, rgb: Rgb) {
    if let Some(path) = builder.finish() {
        pixmap.fill_path(
            &path,
            &paint(rgb, true),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
    }
}

fn render(
    fonts: &Fonts,
    input: &RenditionInput,
    qr: &QrMatrix,
    layout: &Layout,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<u8>, RenditionError> {
    let lang = input.lang.as_str();
    let w = words(lang);
    let mut pixmap = Pixmap::new(layout.width, layout.height)
        .ok_or_else(|| RenditionError::Png("card size".to_string()))?;
    pixmap.fill(Color::from_rgba8(
        BACKGROUND[0],
        BACKGROUND[1],
        BACKGROUND[2],
        255,
    ));
    let mut c = Canvas { pixmap, fonts };
    let (width, height) = (layout.width as f32, layout.height as f32);
    if layout.bar_left {
        c.rect(0.0, 0.0, 14.0, height, ACCENT);
    } else {
        c.rect(0.0, 0.0, width, 16.0, ACCENT);
    }

    // Columns: text on the left, QR column on the right (landscape); or full width text with
    // a QR band at the bottom (portrait).
    let left = layout.pad_left;
    let text_right = if layout.qr_right {
        width - layout.pad_right - layout.qr_box - 52.0
    } else {
        width - layout.pad_right
    };
    let text_width = text_right - left;
    let bottom = height - layout.pad_bottom;

    // Kicker: the coalition.
    let kicker_style = Style::new(Weight::Bold, layout.kicker, lang);
    let mut y = layout.pad_top + layout.kicker;
    let (kicker, _) = fonts.wrap_clamped(kicker_style, text_width, 1, &input.coalition);
    c.text(
        Weight::Bold,
        layout.kicker,
        left,
        y,
        kicker.concat().as_str(),
        ACCENT,
    );
    y += layout.kicker * 0.9;

    if input.draft {
        y += layout.small * 1.5;
        let (draft, _) = fonts.wrap_clamped(
            Style::new(Weight::Bold, layout.small, lang),
            text_width,
            1,
            w.draft,
        );
        c.text(Weight::Bold, layout.small, left, y, &draft.concat(), DRAFT);
    }

    // Title: the largest size at which it fits the allowed lines; else cut with an ellipsis.
    let mut title_size = layout.titles[layout.titles.len() - 1];
    let mut title_lines = None;
    for &size in layout.titles {
        let lines = fonts.wrap(
            Style::new(Weight::Bold, size, lang),
            text_width,
            &input.title,
        );
        if lines.len() <= layout.title_lines {
            title_size = size;
            title_lines = Some(lines);
            break;
        }
    }
    let title_lines = match title_lines {
        Some(lines) => lines,
        None => {
            warnings.push(Warning::TitleShortened {
                lang: lang.to_string(),
                card: layout.name,
            });
            let style = Style::new(Weight::Bold, title_size, lang);
            fonts
                .wrap_clamped(style, text_width, layout.title_lines, &input.title)
                .0
        }
    };
    let title_leading = title_size * 1.22;
    y += title_size * 0.55;
    for line in &title_lines {
        y += title_leading;
        c.text(
            Weight::Bold,
            title_size,
            left,
            y - title_size * 0.22,
            line,
            INK,
        );
    }
    y += title_size * 0.45;
    c.rect(left, y, 72.0, 4.0, ACCENT);
    y += layout.body * 0.9;

    // Bottom block (laid out upwards): the language line, then the signers.
    let small_leading = layout.small * 1.45;
    let meta = format!(
        "{} · {} {} · {}",
        input.language_name, w.version, input.version, input.release_date
    );
    let signer_style = Style::new(Weight::Regular, layout.small, lang);
    let signer_lines = clamp_list(
        fonts,
        signer_style,
        text_width,
        layout.signer_lines,
        input,
        w.signed_by,
    );

    let qr_band = if layout.qr_right {
        0.0
    } else {
        layout.qr_box + 56.0
    };
    let meta_baseline = bottom - qr_band;
    let signers_top = meta_baseline - small_leading * (signer_lines.len() as f32 + 1.0) - 14.0;

    // Opening lines: whole sentences while they fit above the signers.
    let body_leading = layout.body * 1.55;
    let available = signers_top - y - 12.0;
    let max_lines = (available / body_leading).floor().max(1.0) as usize;
    let body_style = Style::new(Weight::Regular, layout.body, lang);
    for line in opening_lines(fonts, body_style, text_width, max_lines, &input.paragraphs) {
        if line.is_empty() {
            y += body_leading * 0.5;
            continue;
        }
        y += body_leading;
        c.text(
            Weight::Regular,
            layout.body,
            left,
            y - layout.body * 0.35,
            &line,
            BODY,
        );
    }

    let mut sy = signers_top;
    c.rect(left, sy - 6.0, text_width, 1.5, RULE);
    for line in &signer_lines {
        sy += small_leading;
        c.text(Weight::Regular, layout.small, left, sy, line, MUTED);
    }
    let (meta, _) = fonts.wrap_clamped(
        Style::new(Weight::Bold, layout.small, lang),
        text_width,
        1,
        &meta,
    );
    c.text(
        Weight::Bold,
        layout.small,
        left,
        meta_baseline,
        &meta.concat(),
        MUTED,
    );

    // QR and short code.
    let (qx, qy) = if layout.qr_right {
        (width - layout.pad_right - layout.qr_box, layout.pad_top)
    } else {
        (left, height - layout.pad_bottom - layout.qr_box)
    };
    c.rounded_rect(
        qx - 1.5,
        qy - 1.5,
        layout.qr_box + 3.0,
        layout.qr_box + 3.0,
        14.0,
        RULE,
    );
    c.rounded_rect(
        qx,
        qy,
        layout.qr_box,
        layout.qr_box,
        13.0,
        [0xFF, 0xFF, 0xFF],
    );
    let modules = (qr.width + 2 * QUIET) as f32;
    let module = (layout.qr_box / modules).floor().max(1.0);
    let offset = ((layout.qr_box - module * modules) / 2.0).round() + QUIET as f32 * module;
    qr.draw(
        &mut c.pixmap,
        (qx + offset).round(),
        (qy + offset).round(),
        module,
    );

    let label_style = Style::new(Weight::Regular, layout.small, lang);
    if layout.qr_right {
        let center = qx + layout.qr_box / 2.0;
        let mut cy = qy + layout.qr_box + 20.0 + layout.small;
        let label = w.short_code;
        let lw = fonts.width(Weight::Regular, layout.small, label);
        c.text(
            Weight::Regular,
            layout.small,
            center - lw / 2.0,
            cy,
            label,
            MUTED,
        );
        cy += layout.code * 1.25;
        let cw = fonts.width(Weight::Bold, layout.code, &input.short_code);
        c.text(
            Weight::Bold,
            layout.code,
            center - cw / 2.0,
            cy,
            &input.short_code,
            INK,
        );
        cy += layout.small * 1.6;
        let (check, _) = fonts.wrap_clamped(label_style, layout.qr_box + 40.0, 2, w.check_short);
        for line in check {
            let lw = fonts.width(Weight::Regular, layout.small, &line);
            c.text(
                Weight::Regular,
                layout.small,
                center - lw / 2.0,
                cy,
                &line,
                MUTED,
            );
            cy += small_leading;
        }
    } else {
        let tx = qx + layout.qr_box + 48.0;
        let tw = width - layout.pad_right - tx;
        let mut cy = qy + layout.small + 8.0;
        c.text(Weight::Regular, layout.small, tx, cy, w.short_code, MUTED);
        cy += layout.code * 1.2;
        c.text(Weight::Bold, layout.code, tx, cy, &input.short_code, INK);
        cy += layout.small * 1.9;
        let (check, _) = fonts.wrap_clamped(label_style, tw, 4, w.check_short);
        for line in check {
            c.text(Weight::Regular, layout.small, tx, cy, &line, MUTED);
            cy += small_leading;
        }
    }
    png_out::encode_rgb(&c.pixmap)
}

/// The signers in at most `max_lines` lines; names that do not fit become "and N more".
fn clamp_list(
    fonts: &Fonts,
    style: Style,
    width: f32,
    max_lines: usize,
    input: &RenditionInput,
    label: &str,
) -> Vec<String> {
    let names: Vec<&str> = input.signers.iter().map(|s| s.name.as_str()).collect();
    if names.is_empty() {
        return vec![input.coalition.clone()];
    }
    for shown in (1..=names.len()).rev() {
        let mut text = format!("{label}: {}", names[..shown].join(" · "));
        if shown < names.len() {
            text.push_str(&format!(
                " · {}",
                words::more(&input.lang, names.len() - shown)
            ));
        }
        let lines = fonts.wrap(style, width, &text);
        if lines.len() <= max_lines {
            return lines;
        }
    }
    fonts
        .wrap_clamped(
            style,
            width,
            max_lines,
            &format!("{label}: {}", names.join(" · ")),
        )
        .0
}

/// The letter's opening: whole sentences, paragraph by paragraph, while they fit in
/// `max_lines` lines (an empty string marks the half-line gap between paragraphs); an ellipsis marks the cut. If not
/// even the first sentence fits, it is cut at a word.
pub(crate) fn opening_lines(
    fonts: &Fonts,
    style: Style,
    width: f32,
    max_lines: usize,
    paragraphs: &[String],
) -> Vec<String> {
    // Lines used, counting the half-line gap between paragraphs.
    let count = |paras: &[String]| -> f32 {
        paras
            .iter()
            .map(|p| fonts.wrap(style, width, p).len())
            .sum::<usize>() as f32
            + 0.5 * paras.len().saturating_sub(1) as f32
    };
    let max_lines_f = max_lines as f32;
    let mut chosen: Vec<String> = Vec::new();
    let mut cut = false;
    'outer: for paragraph in paragraphs {
        let mut current = String::new();
        for sentence in fonts::sentences(paragraph) {
            let mut trial = chosen.clone();
            trial.push(format!("{current}{sentence}").trim_end().to_string());
            if count(&trial) > max_lines_f {
                cut = true;
                if !current.is_empty() {
                    chosen.push(current.trim_end().to_string());
                }
                break 'outer;
            }
            current.push_str(sentence);
        }
        chosen.push(current.trim_end().to_string());
    }
    if chosen.is_empty() {
        let first = paragraphs.first().map(String::as_str).unwrap_or_default();
        return fonts.wrap_clamped(style, width, max_lines, first).0;
    }
    if cut {
        // Mark the cut; if the ellipsis needs a new line there is none, drop a sentence.
        while let Some(last) = chosen.last().cloned() {
            let mut trial = chosen.clone();
            if let Some(l) = trial.last_mut() {
                *l = format!("{last} …");
            }
            if count(&trial) <= max_lines_f {
                chosen = trial;
                break;
            }
            let sentences = fonts::sentences(&last);
            if sentences.len() <= 1 {
                chosen.pop();
                if chosen.is_empty() {
                    let first = paragraphs.first().map(String::as_str).unwrap_or_default();
                    return fonts.wrap_clamped(style, width, max_lines, first).0;
                }
            } else if let Some(l) = chosen.last_mut() {
                *l = sentences[..sentences.len() - 1]
                    .concat()
                    .trim_end()
                    .to_string();
            }
        }
    }
    let mut lines = Vec::new();
    for (i, paragraph) in chosen.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        lines.extend(fonts.wrap(style, width, paragraph));
    }
    lines
}
