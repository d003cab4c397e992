//! `missive verify`: is a copy the coalition's signed text? Takes a signed text, a saved page,
//! a whole bundle folder, a photo of a Missive QR code, or text pasted on standard input.
//! Exit 0 AUTHENTIC, 1 not authentic, 2 usage or I/O error.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use missive_core::Roster;
use missive_core::bundle::{BundleManifest, BundleReport, verify_bundle};
use missive_core::html_text::{html_to_text, looks_like_html};
use missive_core::verify::{Authentic, Identity, Reference, Trust, Verdict, verify_copy};
use missive_publish::renditions::{ReferencePayload, decode_qr_image, parse_reference_payload};

use crate::cli::VerifyArgs;
use crate::cmd::util;
use crate::exit;

/// Letters are a few kilobytes; a copy far larger than any letter is refused rather than
/// searched (photos of QR codes may be larger).
const MAX_TEXT: u64 = 2 << 20;
const MAX_IMAGE: u64 = 32 << 20;

pub fn run(args: VerifyArgs) -> Result<u8> {
    let mut trust = Trust::default();
    if let Some(path) = &args.roster {
        let roster = util::load_roster(path).context("in --roster")?;
        check_roster(&roster, path)?;
        trust.roster = Some(roster);
    }
    for path in &args.keys {
        trust
            .keys
            .push(util::load_public_key(path).context("in --key")?);
    }
    let references = args
        .against
        .iter()
        .map(|path| load_references(path, &trust))
        .collect::<Result<Vec<_>>>()?
        .concat();

    let authentic = if args.input.as_os_str() == "-" {
        let bytes = read_limited(std::io::stdin().lock(), "standard input")?;
        verify_bytes("standard input", &bytes, false, &trust, &references)?
    } else if args.input.is_dir() {
        let report = verify_bundle(&args.input, &trust, &references)?;
        print_bundle(&args.input, &report);
        report.is_authentic()
    } else {
        let file = std::fs::File::open(&args.input)
            .with_context(|| format!("could not read {}", args.input.display()))?;
        let label = args.input.display().to_string();
        let bytes = read_limited(file, &label)?;
        let is_html = args
            .input
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        verify_bytes(&label, &bytes, is_html, &trust, &references)?
    };
    Ok(if authentic {
        exit::OK
    } else {
        exit::NOT_AUTHENTIC
    })
}

fn read_limited(reader: impl Read, label: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_IMAGE + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("could not read {label}"))?;
    let limit = if is_image(&bytes) {
        MAX_IMAGE
    } else {
        MAX_TEXT
    };
    if bytes.len() as u64 > limit {
        bail!(
            "{label} is larger than {} MB: not a letter, a page or a QR photo",
            limit >> 20
        );
    }
    Ok(bytes)
}

/// A trusted roster must itself be intact: members signed exactly this list.
fn check_roster(roster: &Roster, path: &Path) -> Result<()> {
    let check = roster.check();
    if !check.invalid.is_empty() {
        let who: Vec<String> = check
            .invalid
            .iter()
            .map(|(id, why)| format!("{id} ({why})"))
            .collect();
        bail!(
            "the roster {} was changed after its members signed it: {}. Get the roster again \
             from a source you trust",
            path.display(),
            who.join(", ")
        );
    }
    println!("Trusted roster: {}", check.summary(roster));
    Ok(())
}

fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
}

/// Verifies one input given as bytes. Returns whether it is authentic.
fn verify_bytes(
    label: &str,
    bytes: &[u8],
    is_html: bool,
    trust: &Trust,
    references: &[Reference],
) -> Result<bool> {
    if is_image(bytes) {
        return verify_qr_image(label, bytes, trust, references);
    }
    let text = std::str::from_utf8(bytes).with_context(|| {
        format!(
            "{label} is not UTF-8 text, a PNG or a JPEG; give a signed text, a page or a QR image"
        )
    })?;
    let text = if is_html || looks_like_html(text) {
        html_to_text(text)
    } else {
        text.to_owned()
    };
    let verdict = verify_copy(&text, trust, references);
    print_verdict(label, &verdict, trust);
    Ok(verdict.is_authentic())
}

fn verify_qr_image(
    label: &str,
    bytes: &[u8],
    trust: &Trust,
    references: &[Reference],
) -> Result<bool> {
    let payloads =
        decode_qr_image(bytes).with_context(|| format!("reading a QR code in {label}"))?;
    let mut all = true;
    let mut checked = 0;
    for (n, payload) in payloads.iter().enumerate() {
        let label = format!("{label} (QR code {})", n + 1);
        let trimmed = payload.trim();
        if !trimmed.contains('\n')
            && (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
        {
            // The leaflet's address QR: a pointer to the page, nothing to verify.
            println!("note: {label} is a web address, not a copy of the letter: {trimmed}");
            continue;
        }
        checked += 1;
        if let Some(reference) = parse_reference_payload(payload) {
            all &= check_reference_payload(&label, &reference, references);
        } else {
            let verdict = verify_copy(payload, trust, references);
            print_verdict(&label, &verdict, trust);
            all &= verdict.is_authentic();
        }
    }
    if checked == 0 {
        println!("UNKNOWN  {label}");
        println!("  Its QR codes hold only web addresses: there is no letter in it to check.");
        return Ok(false);
    }
    Ok(all)
}

/// A reference QR names a text by hash; it is authentic when a trusted reference has that
/// exact text, signed by the keys it names.
fn check_reference_payload(
    label: &str,
    payload: &ReferencePayload,
    references: &[Reference],
) -> bool {
    let described = format!(
        "letter '{}', version {}, language {}, short code {}",
        payload.letter_id, payload.version, payload.lang, payload.short_code
    );
    let compact = |fp: &str| fp.replace(' ', "");
    match references
        .iter()
        .find(|r| r.identity.sha256 == payload.sha256_hex)
    {
        Some(reference) => {
            let signer_fps: Vec<String> = reference
                .signers
                .iter()
                .map(|s| compact(&s.fingerprint))
                .collect();
            let unknown: Vec<&str> = payload
                .key_fingerprints
                .iter()
                .filter(|fp| !signer_fps.contains(fp))
                .map(String::as_str)
                .collect();
            if unknown.is_empty() && reference.identity.short_code == payload.short_code {
                println!("AUTHENTIC  {label}");
                println!("  This QR code names {described},");
                println!("  exactly the signed text in {}.", reference.origin);
                println!(
                    "  Keys named: {} of the reference's {} signers.",
                    payload.key_fingerprints.len(),
                    reference.signers.len()
                );
                if reference.keys_from_copy {
                    warn_keys_from_copy();
                }
                true
            } else {
                println!("ALTERED  {label}");
                println!("  This QR code names {described},");
                println!(
                    "  but names keys that did not sign it: {}",
                    unknown.join(", ")
                );
                false
            }
        }
        None => {
            let same_letter = references.iter().find(|r| {
                r.identity.letter == payload.letter_id && r.identity.language == payload.lang
            });
            if let Some(reference) = same_letter {
                println!("ALTERED  {label}");
                println!(
                    "  This QR code names {described}, SHA-256 {},",
                    payload.sha256_hex
                );
                println!(
                    "  but the authentic text in {} has SHA-256 {} (short code {}).",
                    reference.origin, reference.identity.sha256, reference.identity.short_code
                );
            } else {
                println!("UNKNOWN  {label}");
                println!(
                    "  This QR code is a reference, not the letter itself: it names {described}."
                );
                println!("  Compare its short code with the one on the copy you hold, or check it");
                println!("  against an authentic bundle: missive verify IMAGE --against BUNDLE");
            }
            false
        }
    }
}

/// Authentic texts from a trusted bundle or signed text, for `--against`. Without trusted
/// keys a reference is checked with its own (a bundle's roster, a text's keys), and says so.
fn load_references(path: &Path, trust: &Trust) -> Result<Vec<Reference>> {
    let mut sources = Vec::new();
    if path.is_dir() {
        let manifest = BundleManifest::read(path)?;
        for t in &manifest.translations {
            sources.push(path.join(&t.lang).join("letter.txt"));
        }
    } else {
        sources.push(path.to_owned());
    }
    let own_keys = trust.is_from_copy();
    let trust = if own_keys && path.is_dir() {
        Trust {
            roster: Some(util::load_roster(path)?),
            keys: Vec::new(),
        }
    } else {
        trust.clone()
    };
    let mut references = Vec::new();
    for source in sources {
        let text = util::read_file(&source)?;
        match verify_copy(&text, &trust, &[]) {
            Verdict::Authentic(mut a) => {
                a.keys_from_copy |= own_keys;
                references.push(Reference::from_authentic(a, source.display().to_string()));
            }
            other => bail!(
                "--against {}: {} is not authentic ({}), so it cannot serve as the reference",
                path.display(),
                source.display(),
                other.label()
            ),
        }
    }
    Ok(references)
}

fn print_bundle(dir: &Path, report: &BundleReport) {
    let m = &report.manifest;
    println!(
        "Bundle {}: letter '{}', version {}, {} language(s), {}",
        dir.display(),
        m.letter,
        m.version,
        m.translations.len(),
        m.coalition
    );
    if report.keys_from_copy {
        warn_keys_from_copy();
        if let Ok(roster) = util::load_roster(dir) {
            print_fingerprints(&roster);
        }
    }
    for t in &report.translations {
        for (file, verdict) in &t.copies {
            print_verdict_brief(&format!("{}/{file}", dir.display()), verdict);
        }
        let detached_ok = t.detached.iter().filter(|(_, r)| r.is_ok()).count();
        for (file, result) in &t.detached {
            if let Err(why) = result {
                println!("ALTERED  {}/{file}: {why}", dir.display());
            }
        }
        if !t.detached.is_empty() {
            println!(
                "ok  {}/{}/letter.canonical.txt: {detached_ok} of {} detached signature(s) verify",
                dir.display(),
                t.lang,
                t.detached.len()
            );
        }
        for problem in &t.problems {
            println!("PROBLEM  {problem}");
        }
    }
    let sums = &report.checksums;
    for (label, files) in [
        ("ALTERED ", &sums.altered),
        ("MISSING ", &sums.missing),
        ("EXTRA   ", &sums.extra),
        ("UNREADABLE SHA256SUMS LINE", &sums.unreadable),
    ] {
        for file in files {
            println!("{label} {file}");
        }
    }
    if sums.is_clean() {
        println!("ok  SHA256SUMS: {} files match", sums.matched);
    }
    for lang in &report.unlisted {
        println!("EXTRA    {lang}/: a language folder bundle.toml does not list");
    }
    if report.is_authentic() {
        println!(
            "AUTHENTIC: the signed text, page and detached signatures of every language verify."
        );
        println!(
            "  Other files (cards, leaflets, posts) match SHA256SUMS, which is not signed: it \
             catches damage, not forgery. Check a leaflet or card by its QR code or short code."
        );
    } else {
        println!("NOT AUTHENTIC: see the lines above.");
    }
}

fn warn_keys_from_copy() {
    println!("WARNING: no trusted keys were given (--roster or --key). The keys were taken from");
    println!("  the copy itself, and a forger can put their own keys in a copy: this proves");
    println!("  nothing until you compare the fingerprints below with ones from a trusted");
    println!("  source (the organizations' own websites, or a roster you got from them).");
}

fn print_fingerprints(roster: &Roster) {
    for m in &roster.members {
        println!("    {:<36} {}", m.name, m.public_key.fingerprint());
    }
}

fn describe(identity: &Identity) -> String {
    format!(
        "{} — short code {}, SHA-256 {}",
        identity.describe(),
        identity.short_code,
        identity.sha256
    )
}

fn print_verdict_brief(label: &str, verdict: &Verdict) {
    match verdict {
        Verdict::Authentic(a) => println!(
            "{}  {label}: {} — signed by {} of {}",
            verdict.label(),
            describe(&a.identity),
            a.signed,
            a.of
        ),
        _ => print_verdict(label, verdict, &Trust::default()),
    }
}

/// Text of the copy that is not part of the verified letter, shown so no one mistakes it.
fn print_outside(what: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let preview: String = lines.join(" ").chars().take(160).collect();
    println!(
        "  Note: the copy has {} line(s) {what}. They are NOT part of what the organizations",
        lines.len()
    );
    println!("  signed: “{preview}”");
}

fn print_authentic(a: &Authentic, trust: &Trust) {
    println!("  {}", describe(&a.identity));
    if let Some(origin) = &a.matched_reference {
        println!("  Matches the signed text in {origin} word for word.");
    }
    let coalition = trust
        .roster
        .as_ref()
        .map_or(a.identity.coalition.as_str(), |r| r.coalition.as_str());
    println!(
        "  Signed by {} of {} members of {coalition}:",
        a.signed, a.of
    );
    for s in &a.signers {
        println!(
            "    {:<36} fingerprint {}  (key id {})",
            s.organization, s.fingerprint, s.key_id
        );
    }
    if a.is_partly_signed() && !a.keys_from_copy {
        println!(
            "  PARTLY SIGNED: only {} of the {} members signed this text.",
            a.signed, a.of
        );
    }
    if a.claims_draft {
        println!("  The copy marks itself as an UNSIGNED DRAFT: not approved by every member.");
    }
    if a.keys_from_copy {
        warn_keys_from_copy();
    }
    print_outside("before the letter", &a.before_letter);
    print_outside("after the letter and its signatures", &a.after_letter);
    for note in &a.notes {
        println!("  Note: {note}");
    }
}

fn print_verdict(label: &str, verdict: &Verdict, trust: &Trust) {
    println!("{}  {label}", verdict.label());
    match verdict {
        Verdict::Authentic(a) => print_authentic(a, trust),
        Verdict::Altered(a) => {
            if let Some(claimed) = &a.claimed {
                println!("  Claims to be {}", describe(claimed));
            }
            for reason in &a.reasons {
                println!("  Why: {reason}");
            }
            match (&a.resembles, &a.diff, &a.reference_origin) {
                (Some(resembles), Some(diff), Some(origin)) => {
                    println!("  It resembles {} ({origin}).", resembles.describe());
                    if diff.is_empty() {
                        println!("  Its words are the same; only the signatures or layout differ.");
                    } else {
                        println!("  What was changed ([-authentic-]{{+copy+}}):");
                        print!("{diff}");
                    }
                }
                _ => println!(
                    "  To see what was changed, compare it with an authentic copy: --against BUNDLE"
                ),
            }
        }
        Verdict::NotSigned(n) => println!("  {}", n.reason),
        Verdict::Unknown(u) => {
            if let Some(claimed) = &u.claimed {
                println!("  Claims to be {}", describe(claimed));
            }
            println!("  {}", u.reason);
            for s in &u.signers {
                println!(
                    "    signed by '{}' with key {} — not a key you trust",
                    s.organization, s.fingerprint
                );
            }
        }
    }
}
