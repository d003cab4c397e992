//! Atom and JSON Feed (1.1) of the coalition's letters: one entry per translation, with the
//! full canonical text, its language, version and short code. Entry ids are stable UUIDs
//! derived from letter id, version and language, so feed readers never see a duplicate.

use sha2::{Digest, Sha256};

use super::RenditionInput;
use super::qr::xml_escape;
use super::words::words;

/// `urn:uuid:` made from SHA-256 of `parts` (RFC 9562 version 8, "custom").
pub(crate) fn stable_uuid(parts: &[&str]) -> String {
    let digest = Sha256::digest(parts.join("\u{1f}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn entry_id(input: &RenditionInput) -> String {
    stable_uuid(&[
        "missive",
        &input.letter_id,
        &input.version.to_string(),
        &input.lang,
    ])
}

/// RFC 3339 timestamp of a release date (`YYYY-MM-DD`, taken as midnight UTC); anything
/// else is passed through if it already looks like a timestamp.
fn timestamp(date: &str) -> String {
    if date.len() == 10 && date.as_bytes().get(4) == Some(&b'-') {
        format!("{date}T00:00:00Z")
    } else if date.is_empty() {
        "1970-01-01T00:00:00Z".to_string()
    } else {
        date.to_string()
    }
}

fn base(base_url: Option<&str>) -> Option<String> {
    base_url.map(|b| b.trim_end_matches('/').to_string())
}

fn entry_url(input: &RenditionInput, base: Option<&str>) -> Option<String> {
    input
        .page_url
        .clone()
        .or_else(|| base.map(|b| format!("{b}/{}/", input.lang)))
}

/// The entry's text: the letter, then the line that names version and short code.
fn content(input: &RenditionInput) -> String {
    let w = words(&input.lang);
    format!(
        "{}\n{} · {} {} · {}: {}\n",
        input.canonical_text.trim_end(),
        input.language_name,
        w.version,
        input.version,
        w.short_code,
        input.short_code
    )
}

fn summary(input: &RenditionInput) -> String {
    input
        .paragraphs
        .iter()
        .find(|p| p.chars().count() > 40)
        .or(input.paragraphs.first())
        .cloned()
        .unwrap_or_default()
}

pub(crate) fn atom(inputs: &[RenditionInput], base_url: Option<&str>) -> String {
    let base = base(base_url);
    let coalition = inputs
        .first()
        .map(|i| i.coalition.as_str())
        .unwrap_or_default();
    let updated = inputs
        .iter()
        .map(|i| timestamp(&i.release_date))
        .max()
        .unwrap_or_default();
    let feed_id = match &base {
        Some(b) => format!("{b}/"),
        None => stable_uuid(&["missive-feed", coalition]),
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!("  <title>{}</title>\n", xml_escape(coalition)));
    out.push_str(&format!("  <id>{}</id>\n", xml_escape(&feed_id)));
    out.push_str(&format!("  <updated>{}</updated>\n", xml_escape(&updated)));
    out.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        xml_escape(coalition)
    ));
    if let Some(b) = &base {
        out.push_str(&format!(
            "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}/feed.atom\"/>\n",
            xml_escape(b)
        ));
        out.push_str(&format!(
            "  <link rel=\"alternate\" type=\"text/html\" href=\"{}/\"/>\n",
            xml_escape(b)
        ));
    }
    for input in inputs {
        let w = words(&input.lang);
        let when = timestamp(&input.release_date);
        out.push_str(&format!(
            "  <entry xml:lang=\"{}\">\n",
            xml_escape(&input.lang)
        ));
        out.push_str(&format!(
            "    <title>{}</title>\n",
            xml_escape(&input.title)
        ));
        out.push_str(&format!("    <id>{}</id>\n", entry_id(input)));
        out.push_str(&format!("    <published>{when}</published>\n"));
        out.push_str(&format!("    <updated>{when}</updated>\n"));
        if let Some(url) = entry_url(input, base.as_deref()) {
            out.push_str(&format!(
                "    <link rel=\"alternate\" type=\"text/html\" hreflang=\"{}\" href=\"{}\"/>\n",
                xml_escape(&input.lang),
                xml_escape(&url)
            ));
        }
        out.push_str(&format!(
            "    <category term=\"{}\" label=\"{} {} · {} {}\"/>\n",
            xml_escape(&input.lang),
            xml_escape(&input.language_name),
            xml_escape(&format!("{} {}", w.version, input.version)),
            xml_escape(w.short_code),
            xml_escape(&input.short_code)
        ));
        out.push_str(&format!(
            "    <summary>{}</summary>\n",
            xml_escape(&summary(input))
        ));
        out.push_str(&format!(
            "    <content type=\"text\">{}</content>\n",
            xml_escape(&content(input))
        ));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

pub(crate) fn json(inputs: &[RenditionInput], base_url: Option<&str>) -> String {
    let base = base(base_url);
    let coalition = inputs
        .first()
        .map(|i| i.coalition.as_str())
        .unwrap_or_default();
    let items: Vec<serde_json::Value> = inputs
        .iter()
        .map(|input| {
            let mut item = serde_json::json!({
                "id": entry_id(input),
                "title": input.title,
                "content_text": content(input),
                "summary": summary(input),
                "date_published": timestamp(&input.release_date),
                "language": input.lang,
                "_missive": {
                    "letter_id": input.letter_id,
                    "version": input.version,
                    "language_name": input.language_name,
                    "sha256": input.sha256_hex,
                    "short_code": input.short_code,
                    "signers": input.signers.iter().map(|s| serde_json::json!({
                        "name": s.name,
                        "fingerprint": s.fingerprint,
                    })).collect::<Vec<_>>(),
                },
            });
            if let (Some(url), Some(map)) =
                (entry_url(input, base.as_deref()), item.as_object_mut())
            {
                map.insert("url".to_string(), serde_json::Value::String(url));
            }
            item
        })
        .collect();
    let mut feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": coalition,
        "authors": [{ "name": coalition }],
        "items": items,
    });
    if let (Some(b), Some(map)) = (&base, feed.as_object_mut()) {
        map.insert("home_page_url".to_string(), format!("{b}/").into());
        map.insert("feed_url".to_string(), format!("{b}/feed.json").into());
    }
    let mut out = serde_json::to_string_pretty(&feed).unwrap_or_default();
    out.push('\n');
    out
}
