//! Content negotiation: which stored encoding to send (`Accept-Encoding`) and which language to
//! send a reader to (`Accept-Language`). Both honour q-values; malformed parts are ignored.

use crate::asset::Coding;

/// The best coding the client accepts among brotli, gzip and identity.
pub fn coding(accept_encoding: Option<&str>) -> Coding {
    let Some(header) = accept_encoding else {
        return Coding::Identity;
    };
    let (mut br, mut gz, mut star) = (None::<f32>, None::<f32>, None::<f32>);
    for part in header.split(',') {
        let (name, q) = parse_q(part);
        match name.to_ascii_lowercase().as_str() {
            "br" => br = Some(q),
            "gzip" | "x-gzip" => gz = Some(q),
            "*" => star = Some(q),
            _ => {}
        }
    }
    let br = br.or(star).unwrap_or(0.0);
    let gz = gz.or(star).unwrap_or(0.0);
    if br > 0.0 && br >= gz {
        Coding::Brotli
    } else if gz > 0.0 {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// The best of `available` languages for an `Accept-Language` header, or `None` when nothing
/// the reader asked for is there. `en-GB` matches `en`; `zh` matches `zh-Hant` only if nothing
/// closer exists.
pub fn language<'a>(accept_language: Option<&str>, available: &[&'a str]) -> Option<&'a str> {
    let header = accept_language?;
    let mut wanted: Vec<(String, f32, usize)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let (tag, q) = parse_q(part);
            let tag = tag.trim();
            (!tag.is_empty() && tag != "*" && q > 0.0).then(|| (tag.to_ascii_lowercase(), q, i))
        })
        .collect();
    // Highest q first; among equals, the order the reader gave.
    wanted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    for (tag, _, _) in &wanted {
        if let Some(exact) = available.iter().find(|a| a.eq_ignore_ascii_case(tag)) {
            return Some(exact);
        }
        let primary = tag.split('-').next().unwrap_or(tag);
        if let Some(prefix) = available.iter().find(|a| {
            a.split('-')
                .next()
                .is_some_and(|p| p.eq_ignore_ascii_case(primary))
        }) {
            return Some(prefix);
        }
    }
    None
}

fn parse_q(part: &str) -> (&str, f32) {
    let mut pieces = part.split(';');
    let name = pieces.next().unwrap_or("").trim();
    let mut q = 1.0;
    for param in pieces {
        if let Some(value) = param.trim().strip_prefix("q=") {
            q = value
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|q| (0.0..=1.0).contains(q))
                .unwrap_or(0.0);
        }
    }
    (name, q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brotli_wins_when_both_are_offered() {
        assert_eq!(coding(Some("gzip, deflate, br, zstd")), Coding::Brotli);
        assert_eq!(coding(Some("gzip")), Coding::Gzip);
        assert_eq!(coding(Some("br;q=0, gzip")), Coding::Gzip);
        assert_eq!(coding(Some("br;q=0.5, gzip;q=0.9")), Coding::Gzip);
        assert_eq!(coding(Some("identity")), Coding::Identity);
        assert_eq!(coding(None), Coding::Identity);
        assert_eq!(coding(Some("*")), Coding::Brotli);
    }

    #[test]
    fn languages_match_by_preference_and_primary_tag() {
        let have = ["ko", "en", "ru", "uk"];
        assert_eq!(language(Some("uk-UA,uk;q=0.9,en;q=0.5"), &have), Some("uk"));
        assert_eq!(language(Some("de, en-GB;q=0.8"), &have), Some("en"));
        assert_eq!(language(Some("en;q=0.2, ru;q=0.9"), &have), Some("ru"));
        assert_eq!(language(Some("de, fr"), &have), None);
        assert_eq!(language(Some("ko;q=0"), &have), None);
        assert_eq!(language(None, &have), None);
        assert_eq!(language(Some("*"), &have), None);
    }
}
