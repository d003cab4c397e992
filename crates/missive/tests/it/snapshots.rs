//! Snapshots of what Missive renders and prints: CLI help, error output, a page and a signed
//! text. Signatures are random per signing, so their lines are redacted.

use crate::common::{fixture, run};

fn redacted() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"(Signature|Global signature): \S+", "$1: [random]");
    settings.add_filter(r"/tmp/\S+?/", "[tmp]/");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

#[test]
fn published_page_and_signed_text() {
    let f = fixture("markdown-subset");
    f.publish("feed");
    let page = std::fs::read_to_string(f.at("bundle/en/index.html")).expect("page");
    let signed = std::fs::read_to_string(f.at("bundle/ko/letter.txt")).expect("text");
    let index = std::fs::read_to_string(f.at("bundle/index.html")).expect("index");
    // Untrusted text is escaped in the page.
    assert!(
        page.contains("&#60;test&#62; &#38; check"),
        "title not escaped"
    );
    assert!(!page.contains("<test>"));
    redacted().bind(|| {
        insta::assert_snapshot!("page_en", page);
        insta::assert_snapshot!("signed_text_ko", signed);
        insta::assert_snapshot!("index", index);
    });
    let out = run(&[
        "verify",
        &f.at("bundle"),
        "--roster",
        &f.at("coalition/roster.toml"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn cli_help_and_errors() {
    let help = run(&["--help"]);
    let verify_help = run(&["verify", "--help"]);
    let missing = run(&["verify", "/nonexistent/letter.txt"]);
    let usage = run(&["sign"]);
    assert_eq!(usage.code, 2);
    redacted().bind(|| {
        insta::assert_snapshot!("help", help.stdout);
        insta::assert_snapshot!("verify_help", verify_help.stdout);
        insta::assert_snapshot!("verify_missing_file", missing.stderr);
        insta::assert_snapshot!("sign_without_arguments", usage.stderr);
    });
}
