//! `missive verify` against forgeries and benign damage, through the command line.
//! Every forgery must be rejected (exit 1); every benign change must stay AUTHENTIC (exit 0).

use missive_core::keys::{SecretKey, generate};
use unicode_normalization::UnicodeNormalization;

use crate::common::{Ran, demo, run, run_with_stdin, write};

const BEGIN: &str = "-----BEGIN MISSIVE SIGNATURES-----";

/// The letter part and the signature block (starting at BEGIN) of a signed text.
fn parts(signed: &str) -> (String, String) {
    let at = signed.find(BEGIN).expect("signature block");
    (signed[..at].to_owned(), signed[at..].to_owned())
}

fn verify_text(text: &str, extra: &[&str]) -> Ran {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "copy.txt", text);
    let roster = demo().roster_arg();
    let mut args = vec!["verify", path.as_str(), "--roster", roster.as_str()];
    args.extend_from_slice(extra);
    run(&args)
}

fn assert_verdict(out: &Ran, code: i32, label: &str) {
    assert_eq!(
        out.code, code,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    assert!(
        out.verdict().starts_with(label),
        "expected {label}:\n{}",
        out.stdout
    );
}

fn rejected(text: &str) -> Ran {
    let out = verify_text(text, &[]);
    assert_eq!(
        out.code, 1,
        "a forgery was not rejected:\n{}\n{}",
        out.stdout, out.stderr
    );
    assert!(!out.stdout.contains("AUTHENTIC"), "{}", out.stdout);
    out
}

/// Replaces the first occurrence of `from` in the letter part only.
fn edit_letter(lang: &str, from: &str, to: &str) -> String {
    let (letter, block) = parts(&demo().signed_text(lang));
    assert!(letter.contains(from), "fixture text lacks {from:?}");
    format!("{}{block}", letter.replacen(from, to, 1))
}

#[test]
fn the_published_signed_text_is_authentic_in_every_language() {
    for lang in ["ko", "en", "ru", "uk"] {
        let out = verify_text(&demo().signed_text(lang), &[]);
        assert_verdict(&out, 0, "AUTHENTIC");
        assert!(
            out.stdout.contains(&format!("language {lang}")),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout
                .contains("Signed by 7 of 7 members of Coalition of Seven"),
            "{}",
            out.stdout
        );
        assert!(!out.stdout.contains("WARNING"), "{}", out.stdout);
    }
}

#[test]
fn a_single_changed_character_is_altered_and_shown() {
    let forged = edit_letter("ko", "살아서", "죽어서");
    let out = rejected(&forged);
    assert_verdict(&out, 1, "ALTERED");
    // Without a reference the verdict says how to see the change; with one, it shows it.
    assert!(out.stdout.contains("--against"), "{}", out.stdout);
    let bundle = demo().bundle.display().to_string();
    let out = verify_text(&forged, &["--against", &bundle]);
    assert_verdict(&out, 1, "ALTERED");
    assert!(out.stdout.contains("[-살아서"), "{}", out.stdout);
    assert!(out.stdout.contains("{+죽어서"), "{}", out.stdout);
}

#[test]
fn homoglyph_swaps_are_caught_and_named() {
    let bundle = demo().bundle.display().to_string();
    // Cyrillic а for Latin a.
    let out = verify_text(
        &edit_letter("en", "alive", "\u{0430}live"),
        &["--against", &bundle],
    );
    assert_verdict(&out, 1, "ALTERED");
    assert!(out.stdout.contains("U+0061 → 'а' U+0430"), "{}", out.stdout);
    // Full-width for ASCII.
    rejected(&edit_letter("en", "Geneva", "Ｇeneva"));
    // Look-alike compatibility jamo for a Hangul syllable (NFC does not join them).
    rejected(&edit_letter("ko", "군인", "군ㅇㅣㄴ"));
}

#[test]
fn inserted_deleted_and_reordered_sentences_are_caught() {
    let (letter, block) = parts(&demo().signed_text("en"));
    let paragraphs: Vec<&str> = letter.split("\n\n").collect();
    let long = paragraphs
        .iter()
        .position(|p| p.matches(". ").count() >= 2)
        .expect("a paragraph with three sentences");
    let sentences: Vec<&str> = paragraphs[long].split(". ").collect();

    let mut inserted = paragraphs.clone();
    let with_insert = format!("{} Keep fighting.", paragraphs[long]);
    inserted[long] = &with_insert;
    rejected(&format!("{}{block}", inserted.join("\n\n")));

    let mut deleted = paragraphs.clone();
    let without = sentences[1..].join(". ");
    deleted[long] = &without;
    rejected(&format!("{}{block}", deleted.join("\n\n")));

    let mut reordered = paragraphs.clone();
    let mut swapped = sentences.clone();
    swapped.swap(0, 1);
    let swapped = swapped.join(". ");
    reordered[long] = &swapped;
    rejected(&format!("{}{block}", reordered.join("\n\n")));
}

#[test]
fn a_moved_paragraph_is_caught() {
    let (letter, block) = parts(&demo().signed_text("ru"));
    let mut paragraphs: Vec<&str> = letter.trim_end().split("\n\n").collect();
    let moved = paragraphs.remove(2);
    paragraphs.insert(4, moved);
    rejected(&format!("{}\n\n{block}", paragraphs.join("\n\n")));
}

#[test]
fn another_languages_signatures_are_caught() {
    let (ko_letter, _) = parts(&demo().signed_text("ko"));
    let (_, en_block) = parts(&demo().signed_text("en"));
    let out = rejected(&format!("{ko_letter}{en_block}"));
    assert_verdict(&out, 1, "ALTERED");
    // One English signature slipped among the Korean ones is caught too.
    let (_, ko_block) = parts(&demo().signed_text("ko"));
    let en_entry = en_block.split("\n\n").nth(1).expect("first English entry");
    let ko_entries: Vec<&str> = ko_block.split("\n\n").collect();
    let mut mixed = ko_entries.clone();
    mixed[1] = en_entry;
    rejected(&format!("{ko_letter}{}", mixed.join("\n\n")));
}

#[test]
fn truncated_and_duplicated_blocks_are_caught() {
    let signed = demo().signed_text("uk");
    let lines: Vec<&str> = signed.lines().collect();
    let cut = lines[..lines.len() - 4].join("\n");
    let out = rejected(&cut);
    assert!(out.stdout.contains("cut off"), "{}", out.stdout);
    // A whole organization removed: the block declares 7 and holds 6.
    let (letter, block) = parts(&signed);
    let mut entries: Vec<&str> = block.split("\n\n").collect();
    entries.remove(3);
    rejected(&format!("{letter}{}", entries.join("\n\n")));
    // The block twice.
    let out = rejected(&format!("{signed}\n{block}"));
    assert!(
        out.stdout.contains("more than one signature block"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_edited_trusted_comment_is_caught() {
    let signed = demo().signed_text("en");
    let forged = signed.replacen("name=Bridge of Voices", "name=Bridge of Voices Inc", 1);
    assert_ne!(forged, signed);
    rejected(&forged.replacen(
        "Organization: Bridge of Voices",
        "Organization: Bridge of Voices Inc",
        1,
    ));
    // Claiming a later version in comment and header.
    let forged = signed
        .replace("version=1 ", "version=2 ")
        .replacen("Version: 1", "Version: 2", 1);
    rejected(&forged);
}

/// A signature block made entirely with an attacker's keys, under the members' names.
fn attacker_block(letter: &str, lang: &str) -> String {
    let canonical = missive_core::CanonicalText::new(letter);
    let roster =
        missive_core::Roster::parse(&std::fs::read_to_string(&demo().roster).expect("roster"))
            .expect("roster parses");
    let keys: Vec<SecretKey> = roster
        .members
        .iter()
        .map(|_| {
            let pair = generate("attacker", None).expect("key");
            SecretKey::from_file_text(&pair.secret_file, None).expect("open")
        })
        .collect();
    let signers: Vec<(&SecretKey, &missive_core::Member)> =
        keys.iter().zip(&roster.members).collect();
    let block = missive_core::signing::sign_text(
        &canonical,
        &missive_core::LetterId::parse("letter-to-soldiers").expect("id"),
        1,
        &missive_core::LanguageTag::parse(lang).expect("lang"),
        &roster.coalition,
        &signers,
    )
    .expect("sign");
    missive_core::signed_text::render(&canonical, &block)
}

#[test]
fn an_attackers_keys_in_the_copy_are_caught_by_the_trusted_roster() {
    let (letter, _) = parts(&demo().signed_text("en"));
    let altered = letter.replacen("lay down", "never lay down", 1);
    let forged = attacker_block(&altered, "en");

    // Without a trusted roster the copy's own keys "verify" — and the output says loudly that
    // this proves nothing and prints the fingerprints to compare.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "forged.txt", &forged);
    let out = run(&["verify", &path]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("WARNING: no trusted keys"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("fingerprint"), "{}", out.stdout);

    // With the trusted roster it is caught, naming the impersonated organization.
    let out = rejected(&forged);
    assert!(
        out.stdout.contains("not the one in your roster"),
        "{}",
        out.stdout
    );

    // One member's entry replaced in an otherwise genuine copy is caught too.
    let genuine = demo().signed_text("en");
    let (_, genuine_block) = parts(&genuine);
    let (_, attacker) = parts(&attacker_block(&parts(&genuine).0, "en"));
    let mut entries: Vec<&str> = genuine_block.split("\n\n").collect();
    let attacker_entries: Vec<&str> = attacker.split("\n\n").collect();
    entries[2] = attacker_entries[2];
    rejected(&format!("{}{}", parts(&genuine).0, entries.join("\n\n")));
}

#[test]
fn a_signature_from_an_older_version_is_caught() {
    let (_tmp, own) = crate::common::own_demo();
    // Version 2 changes one sentence; every organization signs again.
    let ko_md = own.letter.join("ko.md");
    let text = std::fs::read_to_string(&ko_md).expect("ko.md");
    std::fs::write(&ko_md, text.replacen("살아서", "꼭 살아서", 1)).expect("write");
    let toml_path = own.letter.join("letter.toml");
    let toml = std::fs::read_to_string(&toml_path).expect("letter.toml");
    std::fs::write(&toml_path, toml.replacen("version = 1", "version = 2", 1)).expect("write");
    for entry in std::fs::read_dir(&own.keys).expect("keys").flatten() {
        if entry.path().extension().is_some_and(|e| e == "key") {
            let out = run(&[
                "sign",
                &own.letter.display().to_string(),
                "--key",
                &entry.path().display().to_string(),
            ]);
            assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        }
    }
    let v2_bundle = own.root.join("bundle-v2");
    let out = run(&[
        "publish",
        &own.letter.display().to_string(),
        "--out",
        &v2_bundle.display().to_string(),
        "--only",
        "telegram",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v1 = std::fs::read_to_string(own.bundle.join("ko/letter.txt")).expect("v1");
    let v2 = std::fs::read_to_string(v2_bundle.join("ko/letter.txt")).expect("v2");
    let roster = own.roster.display().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    // v2 words under v1's signatures: rejected.
    let forged = write(
        dir.path(),
        "forged.txt",
        &format!("{}{}", parts(&v2).0, parts(&v1).1),
    );
    let out = run(&["verify", &forged, "--roster", &roster]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    // The genuine v1 is still authentic, with a note that a newer version exists.
    let v1_path = write(dir.path(), "v1.txt", &v1);
    let out = run(&[
        "verify",
        &v1_path,
        "--roster",
        &roster,
        "--against",
        &v2_bundle.display().to_string(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("a newer version (2)"), "{}", out.stdout);
}

#[test]
fn benign_damage_stays_authentic() {
    let signed = demo().signed_text("ko");
    let crlf = signed.replace('\n', "\r\n");
    let trailing = signed.replace('\n', "  \t\n");
    let nfd: String = signed.nfd().collect();
    assert_ne!(nfd, signed);
    let zero_width = format!(
        "\u{FEFF}{}",
        signed
            .replacen("군인", "군\u{200B}인", 3)
            .replacen("편지", "편\u{200D}지", 1)
    );
    let forwarded = format!("Forwarded from a friend\n\n{signed}\n\nsent from my phone");
    for (what, copy) in [
        ("CRLF", crlf),
        ("trailing spaces", trailing),
        ("NFD", nfd),
        ("zero-width and BOM", zero_width),
        ("forwarded", forwarded),
    ] {
        let out = verify_text(&copy, &[]);
        assert_eq!(out.code, 0, "{what}:\n{}", out.stdout);
        assert!(
            out.verdict().starts_with("AUTHENTIC"),
            "{what}:\n{}",
            out.stdout
        );
    }
}

#[test]
fn pasted_text_on_stdin_and_saved_pages_verify() {
    let roster = demo().roster_arg();
    let out = run_with_stdin(
        &["verify", "-", "--roster", &roster],
        &demo().signed_text("ru"),
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    let page = demo().bundle.join("ru/index.html").display().to_string();
    let out = run(&["verify", &page, "--roster", &roster]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.verdict().starts_with("AUTHENTIC"), "{}", out.stdout);
}

#[test]
fn text_without_signatures_is_not_signed_unless_it_matches_a_reference() {
    let (letter, _) = parts(&demo().signed_text("en"));
    let out = verify_text(&letter, &[]);
    assert_verdict(&out, 1, "NOT SIGNED");
    let bundle = demo().bundle.display().to_string();
    let out = verify_text(&letter, &["--against", &bundle]);
    assert_verdict(&out, 0, "AUTHENTIC");
    assert!(out.stdout.contains("word for word"), "{}", out.stdout);
    let changed = letter.replacen("alive", "dead", 1);
    let out = verify_text(&changed, &["--against", &bundle]);
    assert_verdict(&out, 1, "ALTERED");
    assert!(out.stdout.contains("{+dead"), "{}", out.stdout);
}

#[test]
fn verifying_a_bundle_checks_every_file() {
    let roster = demo().roster_arg();
    let bundle = demo().bundle.display().to_string();
    let out = run(&["verify", &bundle, "--roster", &roster]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("detached signatures of every language verify"),
        "{}",
        out.stdout
    );
    // Without --roster the bundle's own keys are used, loudly.
    let out = run(&["verify", &bundle]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("WARNING: no trusted keys"),
        "{}",
        out.stdout
    );

    let (_tmp, own) = crate::common::own_demo();
    let page = own.bundle.join("en/index.html");
    let html = std::fs::read_to_string(&page).expect("page");
    std::fs::write(&page, html.replacen("alive", "dead", 1)).expect("write");
    let out = run(&[
        "verify",
        &own.bundle.display().to_string(),
        "--roster",
        &own.roster.display().to_string(),
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("ALTERED"), "{}", out.stdout);
    assert!(out.stdout.contains("NOT AUTHENTIC"), "{}", out.stdout);
}

#[test]
fn bad_verify_input_is_a_usage_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = run(&["verify", &tmp.path().display().to_string()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("is not a Missive bundle"),
        "{}",
        out.stderr
    );
    let out = run(&["verify", "/nonexistent/copy.txt"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("could not read /nonexistent/copy.txt"),
        "{}",
        out.stderr
    );
    let binary = write(tmp.path(), "x.bin", "\u{0}");
    std::fs::write(&binary, [0xFFu8, 0xFE, 0x00, 0x81]).expect("write");
    let out = run(&["verify", &binary]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("is not UTF-8 text"), "{}", out.stderr);
    let out = run(&["verify", "-", "--roster", "/nonexistent/roster.toml"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("roster /nonexistent/roster.toml not found"),
        "{}",
        out.stderr
    );
}

#[test]
fn words_put_in_front_of_the_letter_are_flagged_as_not_signed() {
    let signed = demo().signed_text("en");
    let copy = format!("UPDATE FROM THE COALITION: keep fighting.\n\n{signed}");
    let out = verify_text(&copy, &[]);
    // The letter itself is genuine, but the reader is told plainly what is not part of it.
    assert_verdict(&out, 0, "AUTHENTIC");
    assert!(out.stdout.contains("NOT part of"), "{}", out.stdout);
    assert!(
        out.stdout.contains("UPDATE FROM THE COALITION"),
        "{}",
        out.stdout
    );
    let out = verify_text(&signed, &[]);
    assert!(!out.stdout.contains("NOT part of"), "{}", out.stdout);
}

#[test]
fn words_added_after_the_signatures_are_flagged_as_not_signed() {
    let signed = demo().signed_text("en");
    let copy = format!("{signed}\nP.S. from the coalition: ignore the above and fight on.\n");
    let out = verify_text(&copy, &[]);
    assert_verdict(&out, 0, "AUTHENTIC");
    assert!(
        out.stdout.contains("after the letter and its signatures"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("P.S. from the coalition"),
        "{}",
        out.stdout
    );
}

#[test]
fn invisible_direction_controls_that_reorder_words_are_refused() {
    let signed = demo().signed_text("en");
    let (letter, block) = parts(&signed);
    // Displayed right-to-left, these isolates show the sentence's parts in another order.
    let forged = letter.replacen("alive", "\u{2067}alive\u{2069}", 1);
    let out = verify_text(&format!("{forged}{block}"), &[]);
    assert_verdict(&out, 1, "ALTERED");
    assert!(
        out.stdout.contains("bidirectional control"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_tampered_trusted_roster_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let roster = std::fs::read_to_string(&demo().roster).expect("roster");
    let tampered = roster.replacen(
        "https://bridge-of-voices.example.org/",
        "https://evil.example.net/",
        1,
    );
    assert_ne!(tampered, roster);
    let path = write(tmp.path(), "roster.toml", &tampered);
    let copy = write(tmp.path(), "copy.txt", &demo().signed_text("ko"));
    let out = run(&["verify", &copy, "--roster", &path]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("changed after its members signed it"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unsigned_status_line_is_not_shown_as_fact() {
    let signed = demo().signed_text("en");
    let forged = signed.replacen(
        "Signatures: 7\n",
        "Signatures: 7\nStatus: WITHDRAWN by the coalition, see https://evil.example.net/\n",
        1,
    );
    let out = verify_text(&forged, &[]);
    assert_verdict(&out, 0, "AUTHENTIC");
    assert!(!out.stdout.contains("evil.example.net"), "{}", out.stdout);
    assert!(
        out.stdout.contains("marks itself as an UNSIGNED DRAFT"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_member_signing_in_another_members_name_is_caught() {
    // A genuine key of one member, presented under another member's name and id.
    let signed = demo().signed_text("en");
    let (letter, block) = parts(&signed);
    let entries: Vec<&str> = block.split("\n\n").collect();
    let second = entries[2]
        .lines()
        .find(|l| l.starts_with("Organization: "))
        .expect("org line")
        .trim_start_matches("Organization: ")
        .to_owned();
    let first = entries[1]
        .lines()
        .find(|l| l.starts_with("Organization: "))
        .expect("org line")
        .trim_start_matches("Organization: ")
        .to_owned();
    let mut relabelled: Vec<String> = entries.iter().map(|e| (*e).to_owned()).collect();
    relabelled[1] = relabelled[1].replace(
        &format!("Organization: {first}"),
        &format!("Organization: {second}"),
    );
    relabelled.remove(2);
    let forged =
        format!("{letter}{}", relabelled.join("\n\n")).replace("Signatures: 7", "Signatures: 6");
    rejected(&forged);
}

#[test]
fn an_unsigned_paste_matching_the_reference_reports_what_surrounds_it() {
    let (letter, _) = parts(&demo().signed_text("ru"));
    let bundle = demo().bundle.display().to_string();
    let paste =
        format!("The coalition has withdrawn this letter.\n\n{letter}\nP.S. Report deserters.\n");
    let out = verify_text(&paste, &["--against", &bundle]);
    assert_verdict(&out, 0, "AUTHENTIC");
    assert!(out.stdout.contains("before the letter"), "{}", out.stdout);
    assert!(
        out.stdout.contains("withdrawn this letter"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Report deserters"), "{}", out.stdout);
    // A reference checked only with its own keys says so.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "paste.txt", &paste);
    let out = run(&["verify", &path, "--against", &bundle]);
    assert!(
        out.stdout.contains("WARNING: no trusted keys"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_forged_language_hidden_from_the_manifest_fails_the_bundle() {
    let (_tmp, own) = crate::common::own_demo();
    let uk = own.bundle.join("uk/letter.txt");
    std::fs::write(&uk, "FORGED LETTER\n").expect("write");
    let manifest = own.bundle.join("bundle.toml");
    let toml = std::fs::read_to_string(&manifest).expect("manifest");
    let without_uk = toml
        .split("[[translation]]")
        .filter(|part| !part.contains("lang = \"uk\""))
        .collect::<Vec<_>>()
        .join("[[translation]]");
    std::fs::write(&manifest, without_uk).expect("write");
    // Regenerate SHA256SUMS so it agrees with the forgery: it is not signed.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("find . -type f ! -name SHA256SUMS | sed 's|^./||' | sort | xargs sha256sum > SHA256SUMS")
        .current_dir(&own.bundle)
        .output()
        .expect("sha256sum");
    assert!(out.status.success());
    let out = run(&[
        "verify",
        &own.bundle.display().to_string(),
        "--roster",
        &own.roster.display().to_string(),
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("uk/: a language folder bundle.toml does not list"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_copy_far_larger_than_any_letter_is_refused() {
    let huge = "line\n".repeat(600_000);
    let out = run_with_stdin(&["verify", "-"], &huge);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stderr.contains("larger than 2 MB"), "{}", out.stderr);
}
