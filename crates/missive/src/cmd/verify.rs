//! `missive verify`: is a copy the coalition's signed text? Takes a signed text, a saved page,
//! a whole bundle folder, a photo of a Missive QR code, or text pasted on standard input.
//! Exit 0 AUTHENTIC, 1 not authentic, 2 usage or I/O error.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use missive_core::bundle::BundleManifest;
use missive_core::html_text::{html_to_text, looks_like_html};
use missive_core::keys::verify_detached;
use missive_core::verify::{Identity, Reference, Trust, Verdict, verify_copy};
use missive_publish::renditions::{decode_qr_image, parse_reference_payload, ReferencePayload};
use sha2::{Digest, Sha256};

use crate::cli::VerifyArgs;
use crate::cmd::util;
use crate::exit;

pub fn run(args: VerifyArgs) -> Result<u8> {
    let mut trust = Trust::default();
    if let Some(path) = &args.roster {
        trust.roster = Some(util::load_roster(path).context("in --roster")?);
    }
    for path in &args.keys {
        trust.keys.push(util::load_public_key(path).context("in --key")?);
    }
    let references = args
        .against
        .iter()
        .map(|path| load_references(path, &trust))
        .collect::<Result<Vec<_>>>()?
        .concat();

    let authentic = if args.input.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("could not read standard input")?;
        verify_bytes("standard input", &bytes, false, &trust, &references)?
    } else if args.input.is_dir() {
        verify_bundle(&args.input, &trust, &references)?
    } else {
        let bytes = std::fs::read(&args.input)
            .with_context(|| format!("could not read {}", args.input.display()))?;
        let is_html = args
            .input
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        verify_bytes(&args.input.display().to_string(), &bytes, is_html, &trust, &references)?
    };
    Ok(if authentic { exit::OK } else { exit::NOT_AUTHENTIC })
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
        format!("{label} is not UTF-8 text, a PNG or a JPEG; give a signed text, a page or a QR image")
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

fn verify_qr_image(label: &str, bytes: &[u8], trust: &Trust, references: &[Reference]) -> Result<bool> {
    let payloads = decode_qr_image(bytes).with_context(|| format!("reading a QR code in {label}"))?;
    let mut all = true;
    let mut checked = 0;
    for (n, payload) in payloads.iter().enumerate() {
        let label = format!("{label} (QR code {})", n + 1);
        let trimmed = payload.trim();
        if !trimmed.contains('\n') && (trimmed.starts_with("https://") || trimmed.starts_with("http://")) {
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
fn check_reference_payload(label: &str, payload: &ReferencePayload, references: &[Reference]) -> bool {
    let described = format!(
        "letter '{}', version {}, language {}, short code {}",
        payload.letter_id, payload.version, payload.lang, payload.short_code
    );
    let compact = |fp: &str| fp.replace(' ', "");
    match references.iter().find(|r| r.identity.sha256 == payload.sha256_hex) {
        Some(reference) => {
            let signer_fps: Vec<String> =
                reference.signers.iter().map(|s| compact(&s.fingerprint)).collect();
            let unknown: Vec<&String> = payload
                .key_fingerprints
                .iter()
                .filter(|fp| !signer_fps.contains(fp))
                .collect();
            if unknown.is_empty() && reference.identity.short_code == payload.short_code {
                println!("AUTHENTIC  {label}");
                println!("  This QR code names {described},");
                println!("  exactly the signed text in {}.", reference.origin);
                println!("  Keys named: {} of the reference's {} signers.", payload.key_fingerprints.len(), reference.signers.len());
                true
            } else {
                println!("ALTERED  {label}");
                println!("  This QR code names {described},");
                println!("  but names keys that did not sign it: {}", unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "));
                false
            }
        }
        None => {
            let same_letter = references
                .iter()
                .find(|r| r.identity.letter == payload.letter_id && r.identity.language == payload.lang);
            if let Some(reference) = same_letter {
                println!("ALTERED  {label}");
                println!("  This QR code names {described}, SHA-256 {},", payload.sha256_hex);
                println!(
                    "  but the authentic text in {} has SHA-256 {} (short code {}).",
                    reference.origin, reference.identity.sha256, reference.identity.short_code
                );
            } else {
                println!("UNKNOWN  {label}");
                println!("  This QR code is a reference, not the letter itself: it names {described}.");
                println!("  Compare its short code with the one on the copy you hold, or check it");
                println!("  against an authentic bundle: missive verify IMAGE --against BUNDLE");
            }
            false
        }
    }
}

/// Authentic texts from a trusted bundle or signed text, for `--against`.
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
    let own_trust;
    let trust = if trust.is_from_copy() && path.is_dir() {
        own_trust = Trust {
            roster: Some(util::load_roster(path)?),
            keys: Vec::new(),
        };
        &own_trust
    } else {
        trust
    };
    let mut references = Vec::new();
    for source in sources {
        let text = util::read_file(&source)?;
        match verify_copy(&text, trust, &[]) {
            Verdict::Authentic(a) => references.push(Reference {
                identity: a.identity,
                canonical: a.canonical,
                signers: a.signers,
                origin: source.display().to_string(),
            }),
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

/// Verifies every file of a published bundle: its checksums, each language's signed text,
/// page and detached signatures.
fn verify_bundle(dir: &Path, trust: &Trust, references: &[Reference]) -> Result<bool> {
    let manifest = BundleManifest::read(dir)?;
    let bundle_roster = util::load_roster(dir).context("the bundle's roster")?;
    let keys_from_copy = trust.is_from_copy();
    let trust = if keys_from_copy {
        Trust {
            roster: Some(bundle_roster.clone()),
            keys: Vec::new(),
        }
    } else {
        trust.clone()
    };
    println!(
        "Bundle {}: letter '{}', version {}, {} language(s), {}",
        dir.display(),
        manifest.letter,
        manifest.version,
        manifest.translations.len(),
        manifest.coalition
    );
    if keys_from_copy {
        warn_keys_from_copy();
        print_fingerprints(&bundle_roster);
    }
    let mut all = check_sums(dir)?;
    for t in &manifest.translations {
        let lang_dir = dir.join(&t.lang);
        for file in ["letter.txt", "index.html"] {
            let path = lang_dir.join(file);
            let bytes = std::fs::read(&path).with_context(|| format!("could not read {}", path.display()))?;
            let text = String::from_utf8_lossy(&bytes);
            let text = if file.ends_with(".html") { html_to_text(&text) } else { text.into_owned() };
            let verdict = verify_copy(&text, &trust, references);
            let matches_manifest = match &verdict {
                Verdict::Authentic(a) => a.identity.sha256 == t.sha256,
                _ => false,
            };
            print_verdict_brief(&path.display().to_string(), &verdict);
            if !matches_manifest && verdict.is_authentic() {
                println!("  but bundle.toml names another text for {} (SHA-256 {})", t.lang, t.sha256);
            }
            all &= matches_manifest;
        }
        all &= check_detached(&lang_dir, &trust)?;
    }
    println!(
        "{}",
        if all {
            "AUTHENTIC: every file of the bundle checks out."
        } else {
            "NOT AUTHENTIC: see the lines above."
        }
    );
    Ok(all)
}

/// Each `letter.canonical.txt.<member>.minisig` verifies with the trusted member's key.
fn check_detached(lang_dir: &Path, trust: &Trust) -> Result<bool> {
    let canonical_path = lang_dir.join("letter.canonical.txt");
    let canonical = std::fs::read(&canonical_path)
        .with_context(|| format!("could not read {}", canonical_path.display()))?;
    let Some(roster) = &trust.roster else {
        return Ok(true);
    };
    let mut ok = true;
    let mut count = 0;
    for member in &roster.members {
        let path = lang_dir.join(format!("letter.canonical.txt.{}.minisig", member.id));
        let Ok(minisig) = std::fs::read_to_string(&path) else {
            continue;
        };
        count += 1;
        if let Err(err) = verify_detached(&member.public_key, &minisig, &canonical) {
            println!("ALTERED  {}: {err}", path.display());
            ok = false;
        }
    }
    if ok {
        println!("ok  {}: {count} detached signature(s) verify", canonical_path.display());
    }
    Ok(ok)
}

/// `SHA256SUMS` lists every other file, and every listed file has that hash.
fn check_sums(dir: &Path) -> Result<bool> {
    let sums_path = dir.join("SHA256SUMS");
    let sums = util::read_file(&sums_path)?;
    let mut ok = true;
    let mut listed = std::collections::BTreeSet::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let Some((hash, name)) = line.split_once("  ") else {
            println!("ALTERED  {}: unreadable line '{line}'", sums_path.display());
            ok = false;
            continue;
        };
        listed.insert(name.to_owned());
        let path = dir.join(name);
        match std::fs::read(&path) {
            Ok(bytes) if hex::encode(Sha256::digest(&bytes)) == hash => {}
            Ok(_) => {
                println!("ALTERED  {}: its SHA-256 is not the one in SHA256SUMS", path.display());
                ok = false;
            }
            Err(_) => {
                println!("MISSING  {}", path.display());
                ok = false;
            }
        }
    }
    for entry in walk(dir)? {
        if entry != "SHA256SUMS" && !listed.contains(&entry) {
            println!("EXTRA    {}: not listed in SHA256SUMS", dir.join(&entry).display());
            ok = false;
        }
    }
    if ok {
        println!("ok  SHA256SUMS: {} files match", listed.len());
    }
    Ok(ok)
}

fn walk(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_owned(), String::new())];
    while let Some((path, prefix)) = stack.pop() {
        for entry in std::fs::read_dir(&path).with_context(|| format!("could not list {}", path.display()))? {
            let entry = entry?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type()?.is_dir() {
                stack.push((entry.path(), format!("{name}/")));
            } else {
                out.push(name);
            }
        }
    }
    Ok(out)
}

fn warn_keys_from_copy() {
    println!("WARNING: no trusted keys were given (--roster or --key). The keys were taken from");
    println!("  the copy itself, and a forger can put their own keys in a copy: this proves");
    println!("  nothing until you compare the fingerprints below with ones from a trusted");
    println!("  source (the organizations' own websites, or a roster you got from them).");
}

fn print_fingerprints(roster: &missive_core::Roster) {
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

fn print_verdict(label: &str, verdict: &Verdict, trust: &Trust) {
    println!("{}  {label}", verdict.label());
    match verdict {
        Verdict::Authentic(a) => {
            println!("  {}", describe(&a.identity));
            if let Some(status) = &a.draft {
                println!("  DRAFT: {status}");
            }
            if let Some(origin) = &a.matched_reference {
                println!("  Matches the signed text in {origin} word for word.");
            }
            let coalition = trust
                .roster
                .as_ref()
                .map_or(a.identity.coalition.as_str(), |r| r.coalition.as_str());
            println!("  Signed by {} of {} members of {coalition}:", a.signed, a.of);
            for s in &a.signers {
                println!("    {:<36} fingerprint {}  (key id {})", s.organization, s.fingerprint, s.key_id);
            }
            if a.keys_from_copy {
                warn_keys_from_copy();
            }
            if !a.outside_letter.is_empty() {
                let preview: String = a.outside_letter.join(" ").chars().take(120).collect();
                println!(
                    "  Note: the copy has {} line(s) before the signed letter. They are NOT part of",
                    a.outside_letter.len()
                );
                println!("  what the organizations signed: “{preview}”");
            }
            for note in &a.notes {
                println!("  Note: {note}");
            }
        }
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
                println!("    signed by '{}' with key {} — not a key you trust", s.organization, s.fingerprint);
            }
        }
    }
}
