//! The Telegram post, in two spellings of the same text: `telegram.txt` to paste into the
//! app as it is, and `telegram-html.txt` for the Bot API with `parse_mode=HTML` (only `<`,
//! `>`, `&` and `"` need escaping there). Both stay within Telegram's 4,096-character limit,
//! which Telegram counts in UTF-16 code units of the text after entities are parsed; a letter
//! too long for one message keeps its first paragraphs and points to the full text.

use super::qr::xml_escape;
use super::words::words;
use super::{RenditionInput, Warning};

/// Telegram's message limit, in UTF-16 code units of the visible text.
pub const TELEGRAM_LIMIT: usize = 4096;

#[derive(Debug)]
pub(crate) struct Post {
    pub plain: String,
    pub html: String,
    pub warning: Option<Warning>,
}

/// Length as Telegram counts it.
pub(crate) fn telegram_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// One piece of the post: the same words, plain and as HTML.
struct Piece {
    plain: String,
    html: String,
}

fn text(s: &str) -> Piece {
    Piece {
        plain: s.to_string(),
        html: escape(s),
    }
}

fn wrapped(tag: &str, s: &str) -> Piece {
    Piece {
        plain: s.to_string(),
        html: format!("<{tag}>{}</{tag}>", escape(s)),
    }
}

fn escape(s: &str) -> String {
    // Telegram's HTML knows &lt; &gt; &amp; &quot; and numeric entities; not &apos;.
    xml_escape(s).replace("&apos;", "'")
}

fn join(pieces: &[Piece]) -> (String, String) {
    let plain: Vec<&str> = pieces.iter().map(|p| p.plain.as_str()).collect();
    let html: Vec<&str> = pieces.iter().map(|p| p.html.as_str()).collect();
    (plain.join("\n\n"), html.join("\n\n"))
}

pub(crate) fn render(input: &RenditionInput) -> Post {
    let w = words(&input.lang);
    let title: String = input.title.chars().take(300).collect();
    // The title comes right before the body, so a pasted post holds the signed text's
    // lines in order and `missive verify --against` can match it word for word.
    let mut head = vec![wrapped(
        "i",
        &format!(
            "{} · {} · {} {}",
            input.coalition, input.language_name, w.version, input.version
        ),
    )];
    if input.draft {
        head.push(wrapped("b", w.draft));
    }
    head.push(wrapped("b", &title));
    let body: Vec<Piece> = input.paragraphs.iter().map(|p| text(p)).collect();

    let mut foot = Vec::new();
    let mut code_line = text(&format!("{}: {}", w.short_code, input.short_code));
    code_line.html = format!(
        "{}: <code>{}</code>",
        escape(w.short_code),
        escape(&input.short_code)
    );
    foot.push(code_line);
    if !input.signers.is_empty() {
        let names: Vec<&str> = input.signers.iter().map(|s| s.name.as_str()).collect();
        foot.push(text(&format!("{}: {}", w.signed_by, names.join(", "))));
    }
    let mut check = text(w.how_to_check);
    check.html = escape(w.how_to_check).replace("`missive verify`", "<code>missive verify</code>");
    check.plain = w.how_to_check.replace('`', "");
    foot.push(check);
    if let Some(url) = &input.page_url {
        foot.push(Piece {
            plain: format!("{}: {url}", w.full_text),
            html: format!(
                "{}: <a href=\"{}\">{}</a>",
                escape(w.full_text),
                escape(url),
                escape(url)
            ),
        });
    }

    let assemble = |kept: usize, cut: bool| {
        let mut pieces: Vec<&Piece> = head.iter().collect();
        pieces.extend(body.iter().take(kept));
        let note;
        if cut {
            note = text(&format!("[…] {}", w.cut_note));
            pieces.push(&note);
        }
        pieces.extend(foot.iter());
        let owned: Vec<Piece> = pieces
            .into_iter()
            .map(|p| Piece {
                plain: p.plain.clone(),
                html: p.html.clone(),
            })
            .collect();
        join(&owned)
    };

    let total = body.len();
    let (plain, html) = assemble(total, false);
    if telegram_len(&plain) <= TELEGRAM_LIMIT {
        return Post {
            plain,
            html,
            warning: None,
        };
    }
    let mut kept = total;
    loop {
        kept = kept.saturating_sub(1);
        let (plain, html) = assemble(kept, true);
        if telegram_len(&plain) <= TELEGRAM_LIMIT || kept == 0 {
            let plain = clip(&plain);
            let html = if telegram_len(&plain) < telegram_len(&assemble(kept, true).0) {
                escape(&plain)
            } else {
                html
            };
            return Post {
                plain,
                html,
                warning: Some(Warning::TelegramCut {
                    lang: input.lang.clone(),
                    kept,
                    total,
                }),
            };
        }
    }
}

/// Last resort for a head and foot alone over the limit (a title of thousands of characters
/// cannot come from a real letter, but must not make a post Telegram rejects).
fn clip(text: &str) -> String {
    if telegram_len(text) <= TELEGRAM_LIMIT {
        return text.to_string();
    }
    let mut out = String::new();
    let mut len = 0;
    for c in text.chars() {
        if len + c.len_utf16() + 1 > TELEGRAM_LIMIT {
            break;
        }
        len += c.len_utf16();
        out.push(c);
    }
    out.push('…');
    out
}
