//! The coalition's workflow through the command line: a new letter, keys, a roster, signing,
//! publishing — and every way a user can get it wrong, each refused with a specific message,
//! exit code 2, and nothing written.

use std::path::Path;

use crate::common::{Ran, files_under, missive, ran, run};

fn run_with_password(args: &[&str], password: &str) -> Ran {
    ran(missive()
        .args(args)
        .env("MISSIVE_KEY_PASSWORD", password)
        .output()
        .expect("run"))
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

fn assert_error(out: &Ran, needle: &str) {
    assert_eq!(
        out.code, 2,
        "expected exit 2:\n{}\n{}",
        out.stdout, out.stderr
    );
    assert!(
        out.stderr.contains(needle),
        "expected {needle:?} in:\n{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

/// A coalition of two with password-protected keys, and a letter in Korean and English.
struct Coalition {
    _tmp: tempfile::TempDir,
    root: std::path::PathBuf,
    letter: std::path::PathBuf,
}

const PASSWORD: &str = "correct horse battery";

fn coalition() -> Coalition {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_owned();
    let keys = root.join("keys");
    for (org, id) in [
        ("Bridge of Voices", "bridge"),
        ("평화의 손길 연대", "hands"),
    ] {
        let out = run_with_password(
            &["key", "new", "--org", org, "--id", id, "--out", &s(&keys)],
            PASSWORD,
        );
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("fingerprint"), "{}", out.stdout);
    }
    let roster = root.join("roster.toml");
    let out = run(&[
        "roster",
        "new",
        "--coalition",
        "Coalition of Two",
        "--out",
        &s(&roster),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for (org, id) in [
        ("Bridge of Voices", "bridge"),
        ("평화의 손길 연대", "hands"),
    ] {
        let out = run(&[
            "roster",
            "add",
            &s(&roster),
            "--org",
            org,
            "--key",
            &s(&keys.join(format!("{id}.pub"))),
            "--contact",
            "https://example.org/",
        ]);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    }
    let letter = root.join("letter");
    let out = run(&["new", &s(&letter), "--languages", "ko,en"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    Coalition {
        _tmp: tmp,
        root,
        letter,
    }
}

impl Coalition {
    fn key(&self, id: &str) -> String {
        s(&self.root.join("keys").join(format!("{id}.key")))
    }

    fn sign(&self, id: &str) -> Ran {
        run_with_password(
            &["sign", &s(&self.letter), "--key", &self.key(id)],
            PASSWORD,
        )
    }
}

#[test]
fn keys_roster_sign_status_and_publish() {
    let c = coalition();
    let roster = s(&c.root.join("roster.toml"));
    // Members sign the roster.
    for id in ["bridge", "hands"] {
        let out = run_with_password(&["roster", "sign", &roster, "--key", &c.key(id)], PASSWORD);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    }
    let out = run(&["roster", "show", &roster]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("roster signed by 2 of 2 members of Coalition of Two"),
        "{}",
        out.stdout
    );

    // One of two signs: publish refuses, naming who is missing.
    assert_eq!(c.sign("bridge").code, 0);
    let out = run(&["status", &s(&c.letter)]);
    assert!(out.stdout.contains("not signed"), "{}", out.stdout);
    let bundle = c.root.join("bundle");
    let out = run(&["publish", &s(&c.letter), "--out", &s(&bundle)]);
    assert_error(&out, "평화의 손길 연대");
    assert!(!bundle.exists(), "nothing may be written");

    // A marked draft is allowed on request, and says so everywhere.
    let out = run(&[
        "publish",
        &s(&c.letter),
        "--out",
        &s(&bundle),
        "--allow-unsigned",
        "--only",
        "telegram",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let page = std::fs::read_to_string(bundle.join("en/index.html")).expect("page");
    assert!(
        page.contains("UNSIGNED DRAFT"),
        "page must say it is a draft"
    );
    let text = std::fs::read_to_string(bundle.join("ko/letter.txt")).expect("text");
    assert!(text.contains("Status: UNSIGNED DRAFT"), "{text}");
    let telegram = std::fs::read_to_string(bundle.join("ko/telegram.txt")).expect("telegram");
    assert!(
        telegram.to_uppercase().contains("DRAFT") || telegram.contains("초안"),
        "{telegram}"
    );
    let out = run(&[
        "verify",
        &s(&bundle.join("ko/letter.txt")),
        "--roster",
        &roster,
    ]);
    assert!(out.stdout.contains("DRAFT"), "{}", out.stdout);
    assert!(out.stdout.contains("Signed by 1 of 2"), "{}", out.stdout);

    // Both sign: the bundle replaces the draft and every language is authentic.
    assert_eq!(c.sign("hands").code, 0);
    let out = c.sign("hands");
    assert!(out.stdout.contains("already signed"), "{}", out.stdout);
    let out = run(&[
        "publish",
        &s(&c.letter),
        "--out",
        &s(&bundle),
        "--only",
        "telegram",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = run(&["verify", &s(&bundle), "--roster", &roster]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        !std::fs::read_to_string(bundle.join("en/index.html"))
            .expect("page")
            .contains("UNSIGNED DRAFT")
    );
}

#[test]
fn changing_the_text_without_a_version_bump_is_refused() {
    let c = coalition();
    assert_eq!(c.sign("bridge").code, 0);
    let en = c.letter.join("en.md");
    std::fs::write(&en, "A different text.\n").expect("write");
    let before = files_under(&c.letter);
    let out = c.sign("hands");
    assert_error(&out, "changed after it was signed for version 1");
    assert!(out.stderr.contains("raise `version`"), "{}", out.stderr);
    assert_eq!(files_under(&c.letter), before, "nothing may be written");
    // After the bump every organization signs again.
    let toml = c.letter.join("letter.toml");
    let text = std::fs::read_to_string(&toml).expect("toml");
    std::fs::write(&toml, text.replace("version = 1", "version = 2")).expect("write");
    assert_eq!(c.sign("hands").code, 0);
    let out = run(&["status", &s(&c.letter)]);
    assert!(
        out.stdout.contains("signed version 1 only"),
        "{}",
        out.stdout
    );
}

#[test]
fn wrong_password_and_corrupted_keys_are_specific_errors() {
    let c = coalition();
    let before = files_under(&c.letter);
    let out = run_with_password(&["sign", &s(&c.letter), "--key", &c.key("bridge")], "wrong");
    assert_error(&out, "wrong password");
    assert!(!out.stderr.contains("wrong\n") && !out.stderr.contains(PASSWORD));

    // No password and no terminal.
    let out = run(&["sign", &s(&c.letter), "--key", &c.key("bridge")]);
    assert_error(&out, "MISSIVE_KEY_PASSWORD");

    let broken = c.root.join("broken.key");
    let key = std::fs::read_to_string(c.key("bridge")).expect("key");
    std::fs::write(&broken, &key[..key.len() / 2]).expect("write");
    let out = run_with_password(&["sign", &s(&c.letter), "--key", &s(&broken)], PASSWORD);
    assert_error(&out, "not a usable secret key");
    let out = run(&[
        "sign",
        &s(&c.letter),
        "--key",
        &s(&c.root.join("missing.key")),
    ]);
    assert_error(&out, "could not read");
    assert_eq!(files_under(&c.letter), before, "nothing may be written");
}

#[test]
fn unencrypted_keys_warn_and_keys_are_never_overwritten() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = run(&[
        "key",
        "new",
        "--org",
        "Lantern",
        "--out",
        &s(tmp.path()),
        "--unencrypted",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("WITHOUT a password"), "{}", out.stderr);
    let secret = std::fs::read_to_string(tmp.path().join("lantern.key")).expect("key");
    assert!(!out.stdout.contains(secret.lines().nth(1).unwrap_or("?")));
    let out = run(&[
        "key",
        "new",
        "--org",
        "Lantern",
        "--out",
        &s(tmp.path()),
        "--unencrypted",
    ]);
    assert_error(&out, "already exists");
    let out = run(&[
        "key",
        "new",
        "--org",
        "평화",
        "--out",
        &s(tmp.path()),
        "--unencrypted",
    ]);
    assert_error(&out, "--id");
    let out = run(&["key", "show", &s(&tmp.path().join("lantern.pub"))]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("fingerprint: "), "{}", out.stdout);
}

fn letter_with(tmp: &Path, files: &[(&str, &str)]) -> String {
    let dir = tmp.join("letter");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
    s(&dir)
}

const GOOD_TOML: &str = "id = \"x\"\nversion = 1\nrelease_at = 2026-12-10T09:00:00+09:00\nroster = \"../roster.toml\"\nlanguages = [\"ko\"]\n[titles]\nko = \"제목\"\n";

#[test]
fn bad_letters_are_refused_naming_the_file() {
    let unknown_lang = GOOD_TOML.replace("[\"ko\"]", "[\"xx\"]");
    let malformed_lang = GOOD_TOML.replace("[\"ko\"]", "[\"k o\"]");
    let no_offset = GOOD_TOML.replace("+09:00", "");
    let extra_field = format!("surprise = 1\n{GOOD_TOML}");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("letter.toml", "id = \"x\"\nversion = ")],
            "letter.toml is not a valid letter manifest",
        ),
        (
            vec![("letter.toml", &unknown_lang)],
            "'xx' is a language Missive cannot present",
        ),
        (
            vec![("letter.toml", &malformed_lang)],
            "not a well-formed BCP 47",
        ),
        (
            vec![
                ("letter.toml", GOOD_TOML),
                ("ko.md", "본문\n"),
                ("xx.md", "?\n"),
            ],
            "xx.md: 'xx' is a language Missive cannot present",
        ),
        (
            vec![("letter.toml", GOOD_TOML)],
            "the translation for 'ko' is missing",
        ),
        (
            vec![
                ("letter.toml", GOOD_TOML),
                ("ko.md", "본문\n\n![x](https://e.example.org/x.png)\n"),
            ],
            "ko.md: line 3: an image is not allowed",
        ),
        (
            vec![
                ("letter.toml", GOOD_TOML),
                ("ko.md", "<script>x()</script>\n"),
            ],
            "raw HTML is not allowed",
        ),
        (
            vec![("letter.toml", &no_offset)],
            "needs a date, a time and a time zone offset",
        ),
        (vec![("letter.toml", &extra_field)], "unknown field"),
        (
            vec![("letter.toml", GOOD_TOML), ("ko.md", "본문\n")],
            "roster",
        ),
    ];
    for (files, needle) in cases {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = letter_with(tmp.path(), &files);
        let out_dir = tmp.path().join("out");
        let before = files_under(tmp.path());
        let out = run(&["publish", &dir, "--out", &s(&out_dir)]);
        assert_error(&out, needle);
        assert_eq!(
            files_under(tmp.path()),
            before,
            "nothing may be written ({needle})"
        );
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = run(&[
        "publish",
        &s(tmp.path()),
        "--out",
        &s(&tmp.path().join("o")),
    ]);
    assert_error(&out, "has no letter.toml");
}

#[test]
fn new_refuses_bad_languages_and_existing_folders() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = run(&["new", &s(&tmp.path().join("a")), "--languages", "ko,xx"]);
    assert_error(&out, "'xx' is a language Missive cannot present");
    assert!(!tmp.path().join("a").exists());
    std::fs::write(tmp.path().join("file"), "x").expect("write");
    let out = run(&["new", &s(tmp.path())]);
    assert_error(&out, "not empty");
    let out = run(&[
        "new",
        &s(&tmp.path().join("ok-letter")),
        "--languages",
        "ko-KP,ru,uk,en",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let toml = std::fs::read_to_string(tmp.path().join("ok-letter/letter.toml")).expect("toml");
    assert!(toml.contains("id = \"ok-letter\""), "{toml}");
    assert!(tmp.path().join("ok-letter/ko-KP.md").is_file());
}

#[test]
fn publish_refuses_to_replace_a_folder_that_is_not_a_bundle() {
    let demo = crate::common::demo();
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("precious.txt"), "keep me").expect("write");
    let out = run(&["publish", &s(&demo.letter), "--out", &s(tmp.path())]);
    assert_error(&out, "is not a Missive bundle; refusing to replace it");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("precious.txt")).expect("kept"),
        "keep me"
    );
}
