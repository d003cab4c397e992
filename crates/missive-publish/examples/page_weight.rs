//! Page weight of a published bundle, per language: the page raw, after gzip and after brotli,
//! next to the physical floor — the brotli size of the bare canonical text — and the brotli
//! size of the signature block. Goal: page ≤ 2 × floor + signature block.
//!
//! `cargo run --release -p missive-publish --example page_weight -- BUNDLE_DIR`

#![allow(clippy::expect_used)] // a measuring tool: bad input stops it with the reason

use std::io::Write;
use std::path::PathBuf;

fn brotli(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        w.write_all(bytes).expect("brotli");
    }
    out.len()
}

fn gzip(bytes: &[u8]) -> usize {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    w.write_all(bytes).expect("gzip");
    w.finish().expect("gzip").len()
}

fn main() {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .expect("usage: page_weight BUNDLE_DIR");
    let manifest = missive_core::bundle::BundleManifest::read(&dir).expect("a Missive bundle");
    println!(
        "| language | page raw | page gzip | page brotli | floor: canonical text brotli | signature block brotli | budget 2×floor+block | within |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for t in &manifest.translations {
        let page = std::fs::read(dir.join(&t.lang).join("index.html")).expect("page");
        let canonical =
            std::fs::read(dir.join(&t.lang).join("letter.canonical.txt")).expect("canonical");
        let signed = std::fs::read_to_string(dir.join(&t.lang).join("letter.txt")).expect("signed");
        let block_at = signed
            .find("-----BEGIN MISSIVE SIGNATURES-----")
            .expect("block");
        let block = &signed.as_bytes()[block_at..];
        let (floor, block_br, page_br) = (brotli(&canonical), brotli(block), brotli(&page));
        let budget = 2 * floor + block_br;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            t.lang,
            page.len(),
            gzip(&page),
            page_br,
            floor,
            block_br,
            budget,
            if page_br <= budget && page_br <= 14_000 {
                "yes"
            } else {
                "NO"
            }
        );
    }
}
