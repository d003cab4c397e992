//! `missive demo` end to end: the bundle is written, every language verifies, every page fits
//! one TCP initial window after brotli, and stock minisign accepts every signature.

use std::io::Write;
use std::process::Command;

use crate::common::{demo, run};

/// One TCP initial window (10 segments of 1,400 bytes, rounded down for headers).
const PAGE_BUDGET: usize = 14_000;

fn brotli(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        writer.write_all(bytes).expect("compress");
    }
    out.len()
}

#[test]
fn demo_bundle_verifies_in_every_language() {
    let d = demo();
    for lang in ["ko", "en", "ru", "uk"] {
        for file in ["letter.txt", "index.html"] {
            let path = d.bundle.join(lang).join(file).display().to_string();
            let out = run(&["verify", &path, "--roster", &d.roster_arg()]);
            assert_eq!(out.code, 0, "{path}: {}", out.stdout);
            assert!(out.verdict().starts_with("AUTHENTIC"), "{}", out.stdout);
        }
    }
    for file in [
        "index.html",
        "bundle.toml",
        "roster.toml",
        "keys.txt",
        "SHA256SUMS",
        "keys/bridge-of-voices.pub",
    ] {
        assert!(d.bundle.join(file).is_file(), "{file} missing");
    }
}

#[test]
fn every_page_fits_its_byte_budget_and_makes_no_outside_request() {
    let d = demo();
    for lang in ["ko", "en", "ru", "uk"] {
        let page = std::fs::read(d.bundle.join(lang).join("index.html")).expect("page");
        let compressed = brotli(&page);
        assert!(
            compressed <= PAGE_BUDGET,
            "{lang}: {compressed} bytes after brotli"
        );
        let html = String::from_utf8(page).expect("utf-8");
        for forbidden in [
            "<script",
            "<link",
            "<img",
            "<iframe",
            "src=",
            "@import",
            "url(",
            "@font-face",
        ] {
            assert!(
                !html.contains(forbidden),
                "{lang}: page contains {forbidden}"
            );
        }
        // Links to other pages are relative; only contacts and letter links leave the bundle.
        for href in html
            .split("href=\"")
            .skip(1)
            .map(|h| h.split('"').next().unwrap_or_default())
        {
            let relative = !href.contains("://") && !href.starts_with("mailto:");
            let contact = href.contains(".example.org") || href.contains(".example.net");
            assert!(relative || contact, "{lang}: unexpected link {href}");
        }
    }
    let korean = std::fs::read_to_string(d.letter.join("ko.md")).expect("ko.md");
    let syllables = korean
        .chars()
        .filter(|c| ('\u{AC00}'..='\u{D7A3}').contains(c))
        .count();
    assert!(
        syllables >= 1000,
        "the budget must be checked on a 1,000-syllable letter ({syllables})"
    );
}

#[test]
fn stock_minisign_verifies_every_signature() {
    let d = demo();
    let available = Command::new("minisign").arg("-v").output().is_ok();
    assert!(
        available,
        "Debian's minisign is required for the interop test: apt-get install minisign (.ci/run installs it)"
    );
    let roster = missive_core::Roster::parse(&std::fs::read_to_string(&d.roster).expect("roster"))
        .expect("parse");
    let mut checked = 0;
    for lang in ["ko", "en", "ru", "uk"] {
        let canonical = d.bundle.join(lang).join("letter.canonical.txt");
        for member in &roster.members {
            let sig = d
                .bundle
                .join(lang)
                .join(format!("letter.canonical.txt.{}.minisig", member.id));
            let out = Command::new("minisign")
                .arg("-Vm")
                .arg(&canonical)
                .arg("-x")
                .arg(&sig)
                .arg("-P")
                .arg(member.public_key.to_base64())
                .output()
                .expect("run minisign");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{lang}/{}: {stdout}{}",
                member.id,
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(stdout.contains(&format!("lang={lang} ")), "{stdout}");
            checked += 1;
        }
        // And it rejects the canonical text of another language.
        let other = d
            .bundle
            .join(if lang == "ko" { "en" } else { "ko" })
            .join("letter.canonical.txt");
        let sig = d
            .bundle
            .join(lang)
            .join("letter.canonical.txt.bridge-of-voices.minisig");
        let out = Command::new("minisign")
            .arg("-Vm")
            .arg(&other)
            .arg("-x")
            .arg(&sig)
            .arg("-P")
            .arg(roster.members[0].public_key.to_base64())
            .output()
            .expect("run minisign");
        assert!(
            !out.status.success(),
            "minisign accepted a signature over another text"
        );
    }
    assert_eq!(checked, 28);
}

#[test]
fn a_rerun_replaces_the_demo_and_refuses_foreign_folders() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("mine.txt"), "x").expect("write");
    let out = run(&[
        "demo",
        "--no-serve",
        "--dir",
        &tmp.path().display().to_string(),
    ]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("was not made by `missive demo`"),
        "{}",
        out.stderr
    );
    assert!(tmp.path().join("mine.txt").is_file());
}
