//! The single-file page of one translation: inline CSS, system fonts, no script, no request to
//! any other file or host. Its text content is the signed text plus a little chrome before
//! and after it, so copying the page's text out of a browser gives a copy that verifies.
//!
//! Every letter block is a `<p>` (headings carry `role="heading"`): browsers put a blank line
//! around each `<p>` when they turn a page into text, exactly as the canonical text does.

use askama::Template;
use askama::filters::{Html, escape};
use missive_core::markdown::{Block, BlockKind, Inline, inline_plain_text, link_shows_only_url};

use crate::strings::Strings;

const CSS: &str = include_str!("../templates/style.css");

/// A link to another language's page.
#[derive(Debug, Clone)]
pub struct LanguageLink {
    pub lang: String,
    pub name: String,
    pub href: String,
    pub title: String,
    pub short_code: String,
    pub short_code_label: String,
}

/// A signing organization as the page lists it.
#[derive(Debug, Clone)]
pub struct SignerView {
    pub name: String,
    pub fingerprint: String,
    pub contact: Option<String>,
}

/// A further file of this translation linked from the page (card, leaflet…).
#[derive(Debug, Clone)]
pub struct FileLink {
    pub href: String,
    pub label: String,
}

/// Link-preview metadata; only when the bundle's public address is known.
#[derive(Debug, Clone)]
pub struct OpenGraph {
    pub url: String,
    pub image: String,
    pub locale: String,
}

/// Everything one page shows.
#[derive(Debug)]
pub struct PageContent<'a> {
    pub lang: &'a str,
    pub strings: &'static Strings,
    pub title: &'a str,
    pub blocks: &'a [Block],
    pub coalition: &'a str,
    pub release_date: String,
    pub short_code: String,
    pub other_languages: Vec<LanguageLink>,
    pub signature_block: &'a str,
    pub signers: Vec<SignerView>,
    pub member_count: usize,
    pub draft: bool,
    pub open_graph: Option<OpenGraph>,
    pub extra_files: Vec<FileLink>,
}

#[derive(Template)]
#[template(path = "page.html")]
struct PageTemplate<'a> {
    lang: &'a str,
    s: &'static Strings,
    title: &'a str,
    description: String,
    og: Option<OpenGraph>,
    css: &'static str,
    languages: &'a [LanguageLink],
    draft: bool,
    coalition: &'a str,
    release_date: &'a str,
    short_code: &'a str,
    article: String,
    signature_block: &'a str,
    signed_by: String,
    signers: &'a [SignerView],
    extra_files: &'a [FileLink],
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexTemplate<'a> {
    first_lang: &'a str,
    coalition: &'a str,
    css: &'static str,
    languages: &'a [LanguageLink],
}

/// Renders a translation's page.
pub fn render_page(content: &PageContent<'_>) -> Result<String, askama::Error> {
    let signed_by = content
        .strings
        .signed_by
        .replace("{k}", &content.signers.len().to_string())
        .replace("{n}", &content.member_count.to_string());
    PageTemplate {
        lang: content.lang,
        s: content.strings,
        title: content.title,
        description: description(content.blocks),
        og: content.open_graph.clone(),
        css: CSS,
        languages: &content.other_languages,
        draft: content.draft,
        coalition: content.coalition,
        release_date: &content.release_date,
        short_code: &content.short_code,
        article: render_blocks(content.blocks),
        signature_block: content.signature_block.trim_end(),
        signed_by,
        signers: &content.signers,
        extra_files: &content.extra_files,
    }
    .render()
}

/// Renders the bundle's root language chooser.
pub fn render_index(coalition: &str, languages: &[LanguageLink]) -> Result<String, askama::Error> {
    IndexTemplate {
        first_lang: languages.first().map_or("en", |l| l.lang.as_str()),
        coalition,
        css: CSS,
        languages,
    }
    .render()
}

/// About 160 characters of the first paragraph, cut at a word.
fn description(blocks: &[Block]) -> String {
    let first = blocks
        .iter()
        .find(|b| b.kind == BlockKind::Paragraph)
        .or(blocks.first())
        .map(|b| missive_core::canonicalize(&b.plain_text()).replace('\n', " "))
        .unwrap_or_default();
    let first = first.trim();
    if first.chars().count() <= 160 {
        return first.to_owned();
    }
    let cut: String = first.chars().take(160).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

fn esc(text: &str) -> String {
    escape(text, Html)
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// The letter's blocks as HTML, one `<p>` each, separated by blank lines in the source too
/// (so `textContent` gives the canonical layout as well as `innerText`).
pub fn render_blocks(blocks: &[Block]) -> String {
    let mut html = String::new();
    for (i, block) in blocks.iter().enumerate() {
        if i > 0 {
            html.push_str("\n\n");
        }
        let mut classes = Vec::new();
        let mut attrs = String::new();
        let mut prefix = String::new();
        match &block.kind {
            BlockKind::Paragraph => {}
            BlockKind::Heading(level) => {
                let level = (*level).clamp(2, 6);
                classes.push("h".to_owned());
                attrs = format!(" role=\"heading\" aria-level=\"{level}\"");
            }
            BlockKind::ListItem { marker } => {
                classes.push("li".to_owned());
                prefix = format!("{} ", esc(marker));
            }
            BlockKind::Preformatted => classes.push("pre".to_owned()),
            BlockKind::Break => classes.push("br".to_owned()),
        }
        if block.quote_depth > 0 {
            classes.push("q".to_owned());
        }
        let class = if classes.is_empty() {
            String::new()
        } else {
            format!(" class=\"{}\"", classes.join(" "))
        };
        html.push_str(&format!("<p{class}{attrs}>{prefix}"));
        match block.kind {
            BlockKind::Break => html.push_str(missive_core::markdown::BREAK_TEXT),
            BlockKind::Preformatted => {
                let text = inline_plain_text(&block.inlines);
                let lines: Vec<String> = text.trim_end().lines().map(esc).collect();
                html.push_str(&lines.join("<br>\n"));
            }
            _ => push_inlines(&block.inlines, &mut html),
        }
        html.push_str("</p>");
    }
    html
}

fn push_inlines(inlines: &[Inline], html: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(text) => html.push_str(&esc(text)),
            Inline::Code(text) => {
                html.push_str("<code>");
                html.push_str(&esc(text));
                html.push_str("</code>");
            }
            Inline::Emphasis(children) => {
                html.push_str("<em>");
                push_inlines(children, html);
                html.push_str("</em>");
            }
            Inline::Strong(children) => {
                html.push_str("<strong>");
                push_inlines(children, html);
                html.push_str("</strong>");
            }
            Inline::Link { url, children } => {
                let text = inline_plain_text(children);
                let anchor = format!("<a href=\"{}\">{}</a>", esc(url), esc(url));
                if link_shows_only_url(&text, url) {
                    html.push_str(&anchor);
                } else {
                    push_inlines(children, html);
                    html.push_str(" (");
                    html.push_str(&anchor);
                    html.push(')');
                }
            }
            Inline::LineBreak => html.push_str("<br>\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use missive_core::html_text::html_to_text;
    use missive_core::markdown::parse;

    #[test]
    fn block_html_reads_back_as_the_canonical_text() {
        let markdown = "Dear *friends* & <neighbours>,\n\n## Stay alive\n\n- one\n- two [link](https://a.example.org/x?a=1&b=2)\n\n> quoted  \n> line\n\n---\n";
        let markdown = markdown.replace("<neighbours>", "`<neighbours>`");
        let blocks = parse(&markdown).expect("parse");
        let html = render_blocks(&blocks);
        assert!(html.contains("&#38;"), "{html}");
        assert!(html.contains("&#60;neighbours&#62;"), "{html}");
        let canonical = missive_core::letter::canonical_text("T", &blocks);
        let from_html = missive_core::canonicalize(&format!("T\n\n{}", html_to_text(&html)));
        assert_eq!(from_html, canonical.as_str());
    }
}
