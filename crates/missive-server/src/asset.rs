//! One servable file held in memory: its identity bytes and, when they are smaller, a brotli and
//! a gzip copy compressed once. Each representation carries its own strong ETag, so conditional
//! and range requests refer to exactly the bytes they got.

use std::io::Write;

use axum::body::Bytes;
use axum::http::HeaderValue;
use sha2::{Digest, Sha256};

/// Content codings the server keeps ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    pub fn header(self) -> Option<HeaderValue> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some(HeaderValue::from_static("gzip")),
            Coding::Brotli => Some(HeaderValue::from_static("br")),
        }
    }
}

/// One encoding of a file, ready to send.
#[derive(Debug, Clone)]
pub struct Representation {
    pub bytes: Bytes,
    pub etag: HeaderValue,
}

/// How long clients and shared caches may keep a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// The name carries the content hash: cache for a year, never revalidate.
    Immutable,
    /// Letter pages: short, then revalidate with the ETag.
    Page,
    /// Other bundle files (signed texts, keys, images): a few minutes.
    File,
    /// The public count: as long as one refresh interval.
    Count(u64),
    /// Answers to one person (forms, confirmations): never stored.
    NoStore,
}

impl CachePolicy {
    pub fn header(self) -> HeaderValue {
        match self {
            CachePolicy::Immutable => {
                HeaderValue::from_static("public, max-age=31536000, immutable")
            }
            CachePolicy::Page => HeaderValue::from_static("public, max-age=60"),
            CachePolicy::File => HeaderValue::from_static("public, max-age=300"),
            CachePolicy::Count(secs) => HeaderValue::from_str(&format!("public, max-age={secs}"))
                .unwrap_or_else(|_| HeaderValue::from_static("public, max-age=1")),
            CachePolicy::NoStore => HeaderValue::from_static("no-store"),
        }
    }
}

/// A file with all its representations and the headers that do not depend on the request.
#[derive(Debug)]
pub struct Asset {
    pub content_type: HeaderValue,
    pub cache_control: HeaderValue,
    /// A Content-Security-Policy for this file (pages carry hashes of their inline styles);
    /// `None` means the server-wide strict default.
    pub csp: Option<HeaderValue>,
    /// Whether the response varies by `Accept-Encoding`.
    pub compressible: bool,
    pub identity: Representation,
    pub gzip: Option<Representation>,
    pub brotli: Option<Representation>,
}

impl Asset {
    /// Builds an asset, compressing it when the type benefits and the result is smaller.
    pub fn new(
        bytes: Vec<u8>,
        content_type: &'static str,
        cache: CachePolicy,
        csp: Option<HeaderValue>,
        brotli_quality: u32,
    ) -> Self {
        let digest = Sha256::digest(&bytes);
        let tag = hex::encode(&digest[..12]);
        let compressible = is_compressible(content_type) && bytes.len() > 64;
        let (gzip, brotli) = if compressible {
            let gz = gzip(&bytes).filter(|c| c.len() + 16 < bytes.len());
            let br = brotli(&bytes, brotli_quality).filter(|c| c.len() + 16 < bytes.len());
            (
                gz.map(|b| Representation {
                    bytes: Bytes::from(b),
                    etag: etag(&tag, "-gz"),
                }),
                br.map(|b| Representation {
                    bytes: Bytes::from(b),
                    etag: etag(&tag, "-br"),
                }),
            )
        } else {
            (None, None)
        };
        Asset {
            content_type: HeaderValue::from_static(content_type),
            cache_control: cache.header(),
            csp,
            compressible: gzip.is_some() || brotli.is_some(),
            identity: Representation {
                bytes: Bytes::from(bytes),
                etag: etag(&tag, ""),
            },
            gzip,
            brotli,
        }
    }

    /// The representation for a coding, falling back to identity when none was kept.
    pub fn representation(&self, coding: Coding) -> (Coding, &Representation) {
        match coding {
            Coding::Brotli => match &self.brotli {
                Some(r) => (Coding::Brotli, r),
                None => self.representation(Coding::Gzip),
            },
            Coding::Gzip => match &self.gzip {
                Some(r) => (Coding::Gzip, r),
                None => (Coding::Identity, &self.identity),
            },
            Coding::Identity => (Coding::Identity, &self.identity),
        }
    }

    /// Total bytes held for this asset (all representations).
    pub fn memory(&self) -> usize {
        self.identity.bytes.len()
            + self.gzip.as_ref().map_or(0, |r| r.bytes.len())
            + self.brotli.as_ref().map_or(0, |r| r.bytes.len())
    }
}

fn etag(tag: &str, suffix: &str) -> HeaderValue {
    // Only hex and '-' go in: always a valid header value.
    HeaderValue::from_str(&format!("\"{tag}{suffix}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"x\""))
}

fn is_compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || content_type.starts_with("application/atom+xml")
        || content_type.starts_with("application/feed+json")
        || content_type.starts_with("application/javascript")
        || content_type.starts_with("text/javascript")
        || content_type.starts_with("image/svg+xml")
        || content_type.starts_with("application/toml")
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    // mtime stays 0 (GzEncoder's default): the same input always gives the same bytes.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

fn brotli(bytes: &[u8], quality: u32) -> Option<Vec<u8>> {
    let mut writer = brotli::CompressorWriter::new(Vec::new(), 4096, quality.min(11), 22);
    writer.write_all(bytes).ok()?;
    writer.flush().ok()?;
    Some(writer.into_inner())
}

/// The media type for a file name, by extension (and a few well-known names).
pub fn content_type_for(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == "SHA256SUMS" || name.ends_with(".minisig") || name.ends_with(".pub") {
        return "text/plain; charset=utf-8";
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("txt" | "asc" | "sig" | "md") => "text/plain; charset=utf-8",
        Some("toml") => "application/toml; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("atom") => "application/atom+xml; charset=utf-8",
        Some("xml") => "application/xml; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("ico") => "image/x-icon",
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        Some("woff2") => "font/woff2",
        Some("eml") => "message/rfc822",
        _ => "application/octet-stream",
    }
}

/// Whether a file name carries a content hash (`name.0123abcd….ext`), so it can be cached
/// forever: a new version gets a new name.
pub fn is_hashed_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut parts = name.rsplit('.');
    let _ext = parts.next();
    match parts.next() {
        Some(hash) if parts.next().is_some() => {
            hash.len() >= 8
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Read;

    use super::*;

    #[test]
    fn compressed_copies_decode_to_the_same_bytes() {
        let text = "Lay down your weapons. ".repeat(200).into_bytes();
        let asset = Asset::new(
            text.clone(),
            "text/html; charset=utf-8",
            CachePolicy::Page,
            None,
            5,
        );
        let br = asset.brotli.as_ref().unwrap();
        let mut out = Vec::new();
        brotli::Decompressor::new(&br.bytes[..], 4096)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, text);
        let gz = asset.gzip.as_ref().unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz.bytes[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, text);
        assert_ne!(br.etag, asset.identity.etag);
        assert_ne!(gz.etag, asset.identity.etag);
    }

    #[test]
    fn images_are_not_recompressed() {
        let asset = Asset::new(vec![7; 4096], "image/png", CachePolicy::File, None, 5);
        assert!(asset.gzip.is_none() && asset.brotli.is_none());
        assert!(!asset.compressible);
    }

    #[test]
    fn hashed_names_are_recognized() {
        assert!(is_hashed_name("_missive/sign.0123abcd89.js"));
        assert!(!is_hashed_name("ko/letter.txt"));
        assert!(!is_hashed_name("deadbeef12.js"));
        assert!(!is_hashed_name("ko/letter.canonical.txt.org-1.minisig"));
    }
}
