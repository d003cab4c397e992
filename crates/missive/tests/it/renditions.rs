//! Renditions through the command line: the demo bundle's cards and leaflets are read back
//! (the leaflet rasterized with Debian's `pdftoppm`, as a scanner would) and their QR codes
//! checked with `missive verify`; a QR code made from an altered letter is rejected; every
//! rendition is listed in `SHA256SUMS`.

use std::path::Path;
use std::process::Command;

use missive_publish::renditions::{
    RenditionInput, RenditionKind, RenditionOptions, SignerLine, decode_qr_image,
    parse_reference_payload, render_translation,
};
use sha2::{Digest, Sha256};

use crate::common::{demo, run};

const LANGS: [&str; 4] = ["ko", "en", "ru", "uk"];

fn verify_image(path: &Path) -> crate::common::Ran {
    let d = demo();
    run(&[
        "verify",
        &path.display().to_string(),
        "--against",
        &d.bundle.display().to_string(),
        "--roster",
        &d.roster_arg(),
    ])
}

/// The last page of a PDF that holds QR codes, rasterized at 150 dpi, written to `dir`.
fn leaflet_page_with_codes(pdf: &Path, dir: &Path) -> std::path::PathBuf {
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "150"])
        .arg(pdf)
        .arg(dir.join("page"))
        .status()
        .expect("pdftoppm is missing: install Debian's poppler-utils (.ci/packages.txt)");
    assert!(status.success());
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    pages
        .into_iter()
        .rev()
        .find(|p| decode_qr_image(&std::fs::read(p).unwrap()).is_ok())
        .expect("a leaflet page with QR codes")
}

#[test]
fn every_rendition_is_in_the_bundle_and_listed_in_sha256sums() {
    let bundle = &demo().bundle;
    let sums = std::fs::read_to_string(bundle.join("SHA256SUMS")).unwrap();
    let mut names = vec!["feed.atom".to_string(), "feed.json".to_string()];
    for lang in LANGS {
        for file in [
            "card.png",
            "card-portrait.png",
            "leaflet.pdf",
            "qr-offline.svg",
            "qr-offline.png",
            "telegram.txt",
            "telegram-html.txt",
            "radio.txt",
        ] {
            names.push(format!("{lang}/{file}"));
        }
    }
    for name in names {
        let bytes = std::fs::read(bundle.join(&name)).unwrap_or_else(|_| panic!("{name} missing"));
        let line = format!("{}  {name}", hex::encode(Sha256::digest(&bytes)));
        assert!(
            sums.lines().any(|l| l == line),
            "{name} not listed (or wrong hash) in SHA256SUMS"
        );
    }
}

#[test]
fn card_qr_codes_verify_as_authentic() {
    let bundle = &demo().bundle;
    for lang in LANGS {
        for card in ["card.png", "card-portrait.png"] {
            let out = verify_image(&bundle.join(lang).join(card));
            assert_eq!(
                out.code, 0,
                "{lang}/{card}:\n{}\n{}",
                out.stdout, out.stderr
            );
            assert!(out.verdict().starts_with("AUTHENTIC"), "{}", out.stdout);
            assert!(
                out.stdout.contains(&format!("language {lang}")),
                "{}",
                out.stdout
            );
        }
    }
}

#[test]
fn the_leaflet_qr_verifies_from_a_rasterized_page() {
    let bundle = &demo().bundle;
    for lang in LANGS {
        let dir = tempfile::tempdir().unwrap();
        let page = leaflet_page_with_codes(&bundle.join(lang).join("leaflet.pdf"), dir.path());
        let payloads = decode_qr_image(&std::fs::read(&page).unwrap()).unwrap();
        let reference = payloads
            .iter()
            .find_map(|p| parse_reference_payload(p))
            .expect("the offline code holds the reference payload (the signed text is too long)");
        assert_eq!(reference.lang, lang);
        let out = verify_image(&page);
        assert!(
            out.stdout.contains("AUTHENTIC  ") && out.stdout.contains(&format!("language {lang}")),
            "{lang}:\n{}\n{}",
            out.stdout,
            out.stderr
        );
        if payloads.len() == 1 {
            assert_eq!(out.code, 0, "{}", out.stdout);
        }
    }
}

#[test]
fn a_qr_code_of_an_altered_letter_is_rejected() {
    let d = demo();
    let signed = d.signed_text("ko");
    let genuine = decode_qr_image(&std::fs::read(d.bundle.join("ko/card.png")).unwrap()).unwrap();
    let genuine = parse_reference_payload(&genuine[0]).unwrap();
    // The same letter, one word changed: a forger's QR names the altered text's hash.
    let canonical = signed
        .split("-----BEGIN MISSIVE SIGNATURES-----")
        .next()
        .unwrap()
        .replacen("살아서", "죽어서", 1);
    let altered = RenditionInput {
        letter_id: genuine.letter_id.clone(),
        version: genuine.version,
        lang: "ko".to_string(),
        language_name: "한국어".to_string(),
        title: canonical.lines().next().unwrap().to_string(),
        paragraphs: canonical
            .split("\n\n")
            .skip(1)
            .map(str::to_string)
            .collect(),
        sha256_hex: hex::encode(Sha256::digest(canonical.as_bytes())),
        canonical_text: canonical.clone(),
        signed_text: canonical,
        short_code: genuine.short_code.clone(),
        coalition: "Coalition of Seven for a Safe Return".to_string(),
        signers: genuine
            .key_fingerprints
            .iter()
            .map(|fp| SignerLine {
                name: "forged".to_string(),
                fingerprint: fp.clone(),
            })
            .collect(),
        page_url: None,
        draft: false,
        release_date: "2026-12-10".to_string(),
    };
    let options = RenditionOptions {
        only: Some(vec![RenditionKind::Card]),
        ..RenditionOptions::default()
    };
    let (files, _) = render_translation(&altered, &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forged-card.png");
    std::fs::write(&path, &files[0].bytes).unwrap();
    let out = verify_image(&path);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.verdict().starts_with("ALTERED"), "{}", out.stdout);
    assert!(!out.stdout.contains("AUTHENTIC"), "{}", out.stdout);
}
