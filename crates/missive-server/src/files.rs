//! Serving a file held in memory: encoding negotiation, strong ETags and `304 Not Modified`,
//! single byte ranges with `If-Range`, and `HEAD` (axum strips the body and keeps the length).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use crate::asset::{Asset, Coding};
use crate::negotiate;

static VARY_ENCODING: HeaderValue = HeaderValue::from_static("accept-encoding");
static BYTES: HeaderValue = HeaderValue::from_static("bytes");

/// The response for an asset, honouring the request's conditional, range and encoding headers.
pub fn respond(asset: &Asset, method: &Method, request: &HeaderMap) -> Response {
    let wanted = if asset.compressible {
        negotiate::coding(
            request
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok()),
        )
    } else {
        Coding::Identity
    };
    let (coding, repr) = asset.representation(wanted);

    let mut response = Response::new(Body::empty());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, asset.content_type.clone());
    headers.insert(header::CACHE_CONTROL, asset.cache_control.clone());
    headers.insert(header::ETAG, repr.etag.clone());
    headers.insert(header::ACCEPT_RANGES, BYTES.clone());
    if asset.compressible {
        headers.insert(header::VARY, VARY_ENCODING.clone());
    }
    if let Some(encoding) = coding.header() {
        headers.insert(header::CONTENT_ENCODING, encoding);
    }
    if let Some(csp) = &asset.csp {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    }

    if let Some(inm) = request.get(header::IF_NONE_MATCH)
        && etag_matches(inm, &repr.etag)
    {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response.headers_mut().remove(header::CONTENT_TYPE);
        return response;
    }

    let total = repr.bytes.len() as u64;
    if method == Method::GET
        && let Some(range) = request.get(header::RANGE).and_then(|v| v.to_str().ok())
        && if_range_allows(request.get(header::IF_RANGE), &repr.etag)
    {
        match parse_range(range, total) {
            RangeSpec::Satisfiable(start, end) => {
                *response.status_mut() = StatusCode::PARTIAL_CONTENT;
                if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{total}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                *response.body_mut() = Body::from(repr.bytes.slice(start as usize..=end as usize));
                return response;
            }
            RangeSpec::Unsatisfiable => {
                *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{total}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                response.headers_mut().remove(header::CONTENT_ENCODING);
                return response;
            }
            // Several ranges, or a header we do not understand: the whole file (allowed).
            RangeSpec::Ignore => {}
        }
    }
    *response.body_mut() = Body::from(repr.bytes.clone());
    response
}

/// `If-None-Match` uses weak comparison: `W/"x"` matches `"x"`; `*` matches anything.
fn etag_matches(header: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(list) = header.to_str() else {
        return false;
    };
    let Ok(ours) = etag.to_str() else {
        return false;
    };
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours)
}

/// `If-Range` uses strong comparison against our ETag; a date is never honoured (we have no
/// Last-Modified), which means "send the whole file".
fn if_range_allows(header: Option<&HeaderValue>, etag: &HeaderValue) -> bool {
    match header {
        None => true,
        Some(value) => value.as_bytes() == etag.as_bytes(),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum RangeSpec {
    Satisfiable(u64, u64),
    Unsatisfiable,
    Ignore,
}

fn parse_range(header: &str, total: u64) -> RangeSpec {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeSpec::Ignore;
    };
    if spec.contains(',') {
        return RangeSpec::Ignore;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeSpec::Ignore;
    };
    let (start, end) = (start.trim(), end.trim());
    if start.is_empty() {
        // Suffix: the last N bytes.
        let Ok(n) = end.parse::<u64>() else {
            return RangeSpec::Ignore;
        };
        if n == 0 || total == 0 {
            return RangeSpec::Unsatisfiable;
        }
        return RangeSpec::Satisfiable(total.saturating_sub(n), total - 1);
    }
    let Ok(start) = start.parse::<u64>() else {
        return RangeSpec::Ignore;
    };
    let end = if end.is_empty() {
        total.saturating_sub(1)
    } else {
        match end.parse::<u64>() {
            Ok(e) if e >= start => e.min(total.saturating_sub(1)),
            _ => return RangeSpec::Ignore,
        }
    };
    if start >= total {
        return RangeSpec::Unsatisfiable;
    }
    RangeSpec::Satisfiable(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_like_rfc_9110_says() {
        assert_eq!(parse_range("bytes=0-9", 100), RangeSpec::Satisfiable(0, 9));
        assert_eq!(
            parse_range("bytes=90-", 100),
            RangeSpec::Satisfiable(90, 99)
        );
        assert_eq!(
            parse_range("bytes=-10", 100),
            RangeSpec::Satisfiable(90, 99)
        );
        assert_eq!(
            parse_range("bytes=95-200", 100),
            RangeSpec::Satisfiable(95, 99)
        );
        assert_eq!(parse_range("bytes=100-", 100), RangeSpec::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), RangeSpec::Ignore);
        assert_eq!(parse_range("items=0-1", 100), RangeSpec::Ignore);
        assert_eq!(parse_range("bytes=5-2", 100), RangeSpec::Ignore);
    }

    #[test]
    fn etags_compare_weakly_for_if_none_match() {
        let ours = HeaderValue::from_static("\"abc\"");
        assert!(etag_matches(&HeaderValue::from_static("W/\"abc\""), &ours));
        assert!(etag_matches(
            &HeaderValue::from_static("\"x\", \"abc\""),
            &ours
        ));
        assert!(etag_matches(&HeaderValue::from_static("*"), &ours));
        assert!(!etag_matches(&HeaderValue::from_static("\"abd\""), &ours));
    }
}
