//! The text a reader sees in an HTML page, roughly as a browser's `innerText` gives it: used by
//! `verify` on a saved page. Blocks become paragraphs, `<br>` a line break, `<pre>` keeps its
//! lines, and `<head>`, `<script>`, `<style>` and comments are dropped.
//!
//! It reads text, not styling: a page can hide words with CSS, so a verdict on a page is a
//! verdict on its text. docs/FORMAT.md says so.

const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tr",
    "ul",
];
const HIDDEN_TAGS: &[&str] = &["head", "script", "style", "template", "noscript", "title"];

/// Whether a text looks like an HTML document.
pub fn looks_like_html(text: &str) -> bool {
    let start: String = text
        .trim_start_matches('\u{FEFF}')
        .trim_start()
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_lowercase();
    start.starts_with("<!doctype html") || start.starts_with("<html")
}

/// The visible text of an HTML document. Linear in the document's length.
pub fn html_to_text(html: &str) -> String {
    // ASCII lower-casing keeps every byte offset, so `lower` can be searched for `html`.
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() / 2);
    let mut at = 0;
    let mut pre_depth = 0usize;
    while at < html.len() {
        let Some(lt) = html[at..].find('<').map(|i| at + i) else {
            push_text(&mut out, &html[at..], pre_depth > 0);
            break;
        };
        push_text(&mut out, &html[at..lt], pre_depth > 0);
        if html[lt..].starts_with("<!--") {
            at = html[lt + 4..]
                .find("-->")
                .map_or(html.len(), |end| lt + 4 + end + 3);
            continue;
        }
        let Some(gt) = html[lt..].find('>').map(|i| lt + i) else {
            break;
        };
        let tag = &html[lt + 1..gt];
        at = gt + 1;
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if !closing && HIDDEN_TAGS.contains(&name.as_str()) {
            let close = format!("</{name}");
            at = match lower[at..].find(&close) {
                Some(pos) => html[at + pos..]
                    .find('>')
                    .map_or(html.len(), |g| at + pos + g + 1),
                None => html.len(),
            };
            continue;
        }
        if name == "br" {
            out.push('\n');
        } else if BLOCK_TAGS.contains(&name.as_str()) {
            out.push_str("\n\n");
            if name == "pre" {
                pre_depth = if closing {
                    pre_depth.saturating_sub(1)
                } else {
                    pre_depth + 1
                };
            }
        }
    }
    out
}

fn push_text(out: &mut String, raw: &str, preformatted: bool) {
    let text = decode_entities(raw);
    if preformatted {
        out.push_str(&text);
        return;
    }
    let mut last_space = out.ends_with([' ', '\n']);
    for c in text.chars() {
        if c.is_ascii_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(c);
            last_space = false;
        }
    }
}

fn decode_entities(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest[1..].find(';').filter(|&n| n <= 10).and_then(|n| {
            let name = &rest[1..=n];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{A0}'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, n + 2))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::canonicalize;

    #[test]
    fn blocks_become_paragraphs_and_pre_keeps_lines() {
        let html = "<!DOCTYPE html><html><head><title>T</title><style>p{}</style></head>\
            <body><nav><a href=x>en</a></nav><p>One\n  two &amp; <em>three</em></p>\
            <p>Four<br>five &#xD55C;&#54620;</p><!-- hidden --><script>no()</script>\
            <pre>-----BEGIN-----\nA: b\n\nC: d\n</pre></body></html>";
        assert!(looks_like_html(html));
        assert_eq!(
            canonicalize(&html_to_text(html)),
            "en\n\nOne two & three\n\nFour\nfive 한한\n\n-----BEGIN-----\nA: b\n\nC: d\n"
        );
    }

    #[test]
    fn plain_text_is_not_html() {
        assert!(!looks_like_html("Dear soldiers,\n<not a tag>"));
    }
}
