//! Letter Markdown → blocks. Missive accepts a small, fixed subset of CommonMark (paragraphs,
//! headings, lists, block quotes, emphasis, strong, code, links, line breaks, thematic breaks)
//! and refuses the rest (images, HTML blocks) with the file's line: an image or HTML would make
//! the page fetch something, and could show readers words that are not in the signed text.
//! Inline tags such as `<angle brackets>` in prose are kept as the literal words they are.
//!
//! Blocks are the single source of both the canonical text and the page's HTML, which is what
//! keeps a page's text content equal to the signed text.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// One block of a letter: one line (or, with hard breaks, a few) of canonical text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    pub inlines: Vec<Inline>,
    /// Nesting depth inside block quotes (0 = not quoted).
    pub quote_depth: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    Paragraph,
    /// A heading inside the letter, level 1–6.
    Heading(u8),
    /// A list item; the marker (`•` or `3.`) is part of the text.
    ListItem {
        marker: String,
    },
    /// Code kept line by line.
    Preformatted,
    /// A thematic break, written `* * *` in the canonical text.
    Break,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Emphasis(Vec<Inline>),
    Strong(Vec<Inline>),
    Code(String),
    /// Shown as `text (url)`, or just `url` when the text is the address itself.
    Link {
        url: String,
        children: Vec<Inline>,
    },
    LineBreak,
}

/// The thematic break's canonical text.
pub const BREAK_TEXT: &str = "* * *";

/// A construct outside Missive's Markdown subset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {construct} is not allowed in a letter ({hint})")]
pub struct UnsupportedMarkdown {
    pub line: usize,
    pub construct: &'static str,
    pub hint: &'static str,
}

impl Block {
    /// The block's canonical-text lines, before the final canonicalization pass.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        match &self.kind {
            BlockKind::ListItem { marker } => {
                out.push_str(marker);
                out.push(' ');
            }
            BlockKind::Break => return BREAK_TEXT.to_owned(),
            _ => {}
        }
        push_plain(&self.inlines, &mut out);
        out
    }
}

/// Plain text of inline content, as a browser's text content would give it.
pub fn inline_plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain(inlines, &mut out);
    out
}

fn push_plain(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(text) | Inline::Code(text) => out.push_str(text),
            Inline::Emphasis(children) | Inline::Strong(children) => push_plain(children, out),
            Inline::Link { url, children } => {
                let text = inline_plain_text(children);
                if link_shows_only_url(&text, url) {
                    out.push_str(url);
                } else {
                    out.push_str(&text);
                    out.push_str(" (");
                    out.push_str(url);
                    out.push(')');
                }
            }
            Inline::LineBreak => out.push('\n'),
        }
    }
}

/// A link whose text is its own address (an autolink) is shown once.
pub fn link_shows_only_url(text: &str, url: &str) -> bool {
    let text = text.trim();
    text == url || url.strip_prefix("mailto:") == Some(text)
}

/// Parses a letter's Markdown into blocks.
pub fn parse(markdown: &str) -> Result<Vec<Block>, UnsupportedMarkdown> {
    let mut builder = Builder::default();
    let line_ends: Vec<usize> = markdown.match_indices('\n').map(|(i, _)| i).collect();
    let parser = Parser::new_ext(markdown, Options::empty()).into_offset_iter();
    for (event, range) in parser {
        let line = line_ends.partition_point(|&end| end < range.start) + 1;
        builder.event(event, line)?;
    }
    Ok(builder.blocks)
}

#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    /// The block being filled, with a stack of open inline containers.
    current: Option<(BlockKind, Vec<Vec<Inline>>)>,
    open_inlines: Vec<OpenInline>,
    quote_depth: u8,
    /// Open lists: `None` for bullets, `Some(next number)` for ordered lists.
    lists: Vec<Option<u64>>,
    /// A list item's marker waiting for the item's first block.
    pending_marker: Option<String>,
}

enum OpenInline {
    Emphasis,
    Strong,
    Link(String),
}

fn unsupported(line: usize, construct: &'static str, hint: &'static str) -> UnsupportedMarkdown {
    UnsupportedMarkdown {
        line,
        construct,
        hint,
    }
}

impl Builder {
    fn event(&mut self, event: Event<'_>, line: usize) -> Result<(), UnsupportedMarkdown> {
        match event {
            Event::Start(tag) => self.start(tag, line)?,
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text, line),
            Event::Code(code) => self.push_inline(Inline::Code(code.into_string()), line),
            Event::SoftBreak => self.push_inline(Inline::Text(" ".to_owned()), line),
            Event::HardBreak => self.push_inline(Inline::LineBreak, line),
            Event::Rule => {
                self.finish_block();
                self.blocks.push(Block {
                    kind: BlockKind::Break,
                    inlines: Vec::new(),
                    quote_depth: self.quote_depth,
                });
            }
            // `<angle brackets>` in prose parse as inline HTML; they are the writer's words,
            // shown and signed literally.
            // A tag may run over a line end; a browser shows that as a space.
            Event::InlineHtml(html) => {
                self.push_inline(Inline::Text(html.replace(['\r', '\n'], " ")), line)
            }
            Event::Html(_) => {
                return Err(unsupported(
                    line,
                    "raw HTML",
                    "write it as plain text; pages show only the signed words",
                ));
            }
            Event::InlineMath(_) | Event::DisplayMath(_) => {
                return Err(unsupported(line, "math", "write it as plain text"));
            }
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {
                return Err(unsupported(
                    line,
                    "this construct",
                    "write it as plain text",
                ));
            }
        }
        Ok(())
    }

    fn start(&mut self, tag: Tag<'_>, line: usize) -> Result<(), UnsupportedMarkdown> {
        match tag {
            Tag::Paragraph => self.open_block(BlockKind::Paragraph),
            Tag::Heading { level, .. } => self.open_block(BlockKind::Heading(heading_level(level))),
            Tag::CodeBlock(_) => self.open_block(BlockKind::Preformatted),
            Tag::BlockQuote(_) => {
                self.finish_block();
                self.quote_depth = self.quote_depth.saturating_add(1);
            }
            Tag::List(start) => {
                self.finish_block();
                self.lists.push(start);
            }
            Tag::Item => {
                self.finish_block();
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let marker = format!("{n}.");
                        *n += 1;
                        marker
                    }
                    _ => "•".to_owned(),
                };
                // An item that opens straight into a nested list keeps both markers: `1. •`.
                let marker = match self.pending_marker.take() {
                    Some(outer) => format!("{outer} {marker}"),
                    None => marker,
                };
                self.pending_marker = Some(marker);
            }
            Tag::Emphasis => self.open_inline(OpenInline::Emphasis),
            Tag::Strong => self.open_inline(OpenInline::Strong),
            Tag::Link { dest_url, .. } => {
                let url = dest_url.trim().to_owned();
                if !is_allowed_link(&url) {
                    return Err(unsupported(
                        line,
                        "a link that is not an absolute https://, http:// or mailto: address",
                        "readers must see exactly where a link goes",
                    ));
                }
                self.open_inline(OpenInline::Link(url));
            }
            Tag::Image { .. } => {
                return Err(unsupported(
                    line,
                    "an image",
                    "an image makes the page fetch a file; renditions carry their own images",
                ));
            }
            Tag::HtmlBlock => {
                return Err(unsupported(
                    line,
                    "raw HTML",
                    "write it as plain text; pages show only the signed words",
                ));
            }
            _ => {
                return Err(unsupported(
                    line,
                    "this construct",
                    "write it as plain text",
                ));
            }
        }
        Ok(())
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock => self.finish_block(),
            TagEnd::Item => {
                // A tight list item holds its text without a paragraph.
                self.finish_block();
                self.pending_marker = None;
            }
            TagEnd::BlockQuote(_) => {
                self.finish_block();
                self.quote_depth = self.quote_depth.saturating_sub(1);
            }
            TagEnd::List(_) => {
                self.finish_block();
                self.lists.pop();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Link => self.close_inline(),
            _ => {}
        }
    }

    fn open_block(&mut self, kind: BlockKind) {
        self.finish_block();
        // The first block of a list item carries its marker, whatever kind it is.
        let kind = match (kind, self.pending_marker.take()) {
            (BlockKind::Paragraph | BlockKind::Heading(_), Some(marker)) => {
                BlockKind::ListItem { marker }
            }
            (kind, Some(marker)) => {
                self.pending_marker = Some(marker);
                kind
            }
            (kind, None) => kind,
        };
        self.current = Some((kind, vec![Vec::new()]));
    }

    fn ensure_block(&mut self) {
        if self.current.is_none() {
            self.open_block(BlockKind::Paragraph);
        }
    }

    fn open_inline(&mut self, inline: OpenInline) {
        self.ensure_block();
        if let Some((_, stack)) = &mut self.current {
            stack.push(Vec::new());
        }
        self.open_inlines.push(inline);
    }

    fn close_inline(&mut self) {
        let Some(open) = self.open_inlines.pop() else {
            return;
        };
        let Some((_, stack)) = &mut self.current else {
            return;
        };
        let children = if stack.len() > 1 {
            stack.pop().unwrap_or_default()
        } else {
            Vec::new()
        };
        let inline = match open {
            OpenInline::Emphasis => Inline::Emphasis(children),
            OpenInline::Strong => Inline::Strong(children),
            OpenInline::Link(url) => Inline::Link { url, children },
        };
        if let Some(top) = stack.last_mut() {
            top.push(inline);
        }
    }

    fn text(&mut self, text: &str, line: usize) {
        self.push_inline(Inline::Text(text.to_owned()), line);
    }

    fn push_inline(&mut self, inline: Inline, _line: usize) {
        self.ensure_block();
        if let Some((_, stack)) = &mut self.current
            && let Some(top) = stack.last_mut()
        {
            top.push(inline);
        }
    }

    fn finish_block(&mut self) {
        while !self.open_inlines.is_empty() {
            self.close_inline();
        }
        let Some((kind, mut stack)) = self.current.take() else {
            return;
        };
        let inlines = stack.drain(..).next().unwrap_or_default();
        let block = Block {
            kind,
            inlines,
            quote_depth: self.quote_depth,
        };
        if !crate::canonical::canonicalize(&block.plain_text()).is_empty()
            || block.kind == BlockKind::Break
        {
            self.blocks.push(block);
        }
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn is_allowed_link(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let has_host = |rest: &str| rest.split('/').next().is_some_and(|host| !host.is_empty());
    lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .is_some_and(has_host)
        || lower
            .strip_prefix("mailto:")
            .is_some_and(|rest| rest.contains('@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(markdown: &str) -> Vec<String> {
        parse(markdown)
            .expect("supported markdown")
            .iter()
            .map(Block::plain_text)
            .collect()
    }

    #[test]
    fn paragraphs_join_soft_breaks_and_keep_hard_breaks() {
        assert_eq!(
            plain("One\ntwo *three* **four**.\n\nFive  \nsix"),
            vec!["One two three four.", "Five\nsix"]
        );
    }

    #[test]
    fn lists_get_their_markers_and_headings_lose_theirs() {
        assert_eq!(
            plain("## Stay alive\n\n- first\n- second\n\n3. three\n4. four\n"),
            vec!["Stay alive", "• first", "• second", "3. three", "4. four"]
        );
    }

    #[test]
    fn markers_survive_nested_lists_and_headings_in_items() {
        assert_eq!(plain("- # Heading\n"), vec!["• Heading"]);
        assert_eq!(plain("1. - item\n"), vec!["1. • item"]);
        assert_eq!(
            plain("a <span\nclass=\"x\"> tag\n"),
            vec!["a <span class=\"x\"> tag"]
        );
    }

    #[test]
    fn links_show_their_address() {
        assert_eq!(
            plain("See [the Red Cross](https://icrc.example.org/) or <https://a.example.org/>."),
            vec!["See the Red Cross (https://icrc.example.org/) or https://a.example.org/."]
        );
    }

    #[test]
    fn quotes_breaks_and_code_are_kept_as_text() {
        let blocks = parse("> quoted\n\n---\n\n```\nline 1\nline 2\n```\n").expect("ok");
        assert_eq!(blocks[0].quote_depth, 1);
        assert_eq!(blocks[1].kind, BlockKind::Break);
        assert_eq!(blocks[2].plain_text(), "line 1\nline 2\n");
    }

    #[test]
    fn images_html_and_unsafe_links_are_refused_with_their_line() {
        let err = parse("fine\n\n![x](https://a.example.org/x.png)").expect_err("image");
        assert_eq!(err.line, 3);
        assert_eq!(
            parse("a <b>bold</b> move").expect("inline tags are text")[0].plain_text(),
            "a <b>bold</b> move"
        );
        assert!(parse("<div>\nblock\n</div>").is_err());
        assert!(parse("[x](javascript:alert(1))").is_err());
        assert!(parse("[x](../en/index.html)").is_err());
    }
}
