//! Property tests for the invariants every other part relies on: canonicalizing is
//! idempotent; a signed text verifies, in every script; any single edit that changes the
//! canonical text fails verification.

use std::sync::OnceLock;

use missive_core::keys::{SecretKey, generate};
use missive_core::signed_text::render;
use missive_core::verify::{Trust, Verdict, verify_copy};
use missive_core::{CanonicalText, Roster, canonicalize};
use proptest::prelude::*;

/// Characters that stress the rules: every script of the coalition, whitespace of all kinds,
/// line ends, invisible and bidi characters, combining marks and conjoining jamo.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::char::range('a', 'z'),
        prop::char::range('가', '힣'),
        prop::char::range('\u{1100}', '\u{1112}'),
        prop::char::range('\u{1161}', '\u{1175}'),
        prop::char::range('\u{11A8}', '\u{11C2}'),
        prop::char::range('а', 'я'),
        prop::char::range('\u{0300}', '\u{036F}'),
        Just(' '),
        Just('\t'),
        Just('\n'),
        Just('\r'),
        Just('\u{00A0}'),
        Just('\u{3000}'),
        Just('\u{2028}'),
        Just('\u{200B}'),
        Just('\u{200D}'),
        Just('\u{202E}'),
        Just('\u{FEFF}'),
        Just('\u{FE0F}'),
        Just('\u{0007}'),
        Just('Ａ'),
        Just('ㅎ'),
        Just('ї'),
        Just('.'),
    ]
}

/// Letter-like text in one of the four scripts: words, sentences, paragraphs.
fn letter_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        "[가-힣]{1,5}",
        "[а-яіїєґ]{1,8}",
        "[a-zA-Z]{1,8}",
        "[А-ЯІЇЄ][а-я]{0,6}",
    ];
    let sentence = prop::collection::vec(word, 1..8).prop_map(|w| format!("{}.", w.join(" ")));
    let paragraph = prop::collection::vec(sentence, 1..4).prop_map(|s| s.join(" "));
    prop::collection::vec(paragraph, 1..5).prop_map(|p| p.join("\n\n"))
}

struct Coalition {
    roster: Roster,
    keys: Vec<SecretKey>,
}

fn coalition() -> &'static Coalition {
    static C: OnceLock<Coalition> = OnceLock::new();
    C.get_or_init(|| {
        let mut roster = Roster::new("Property Coalition").expect("roster");
        let mut keys = Vec::new();
        for (id, name) in [("a", "Alpha"), ("b", "베타 연대"), ("c", "Гамма")] {
            let pair = generate(name, None).expect("key");
            roster
                .add_member(id, name, pair.public.clone(), "https://example.org/")
                .expect("add");
            keys.push(SecretKey::from_file_text(&pair.secret_file, None).expect("open"));
        }
        Coalition { roster, keys }
    })
}

/// Signs a canonical text as every member and renders the signed text. The `Length:` hint is
/// left out, so these properties exercise the search without it.
fn sign_all(canonical: &CanonicalText, lang: &str) -> String {
    let c = coalition();
    let signers: Vec<(&SecretKey, &missive_core::Member)> =
        c.keys.iter().zip(&c.roster.members).collect();
    let mut block = missive_core::signing::sign_text(
        canonical,
        &missive_core::LetterId::parse("prop").expect("id"),
        1,
        &missive_core::LanguageTag::parse(lang).expect("lang"),
        &c.roster.coalition,
        &signers,
    )
    .expect("sign");
    block.header.length = None;
    render(canonical, &block)
}

fn trust() -> Trust {
    Trust {
        roster: Some(coalition().roster.clone()),
        keys: Vec::new(),
    }
}

proptest! {
    #[test]
    fn canonicalize_is_idempotent(chars in prop::collection::vec(tricky_char(), 0..300)) {
        let text: String = chars.into_iter().collect();
        let once = canonicalize(&text);
        prop_assert_eq!(canonicalize(&once), once.clone());
        prop_assert!(once.is_empty() || (once.ends_with('\n') && !once.ends_with("\n\n")));
        prop_assert!(!once.lines().any(|l| l.ends_with(' ') || l.starts_with(' ')));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_signed_text_verifies_in_every_script(text in letter_text(), lang in prop_oneof!["ko", "ru", "uk", "en"]) {
        let canonical = CanonicalText::new(&text);
        prop_assume!(!canonical.is_empty());
        let signed = sign_all(&canonical, &lang);
        // Canonicalizing the signed text changes nothing: it survives any canonical copy.
        prop_assert_eq!(canonicalize(&signed), signed.clone());
        match verify_copy(&signed, &trust(), &[]) {
            Verdict::Authentic(a) => {
                prop_assert_eq!(a.signed, 3);
                prop_assert_eq!(a.canonical, canonical);
            }
            other => prop_assert!(false, "not authentic: {:?}", other),
        }
    }

    #[test]
    fn any_single_edit_fails_verification(
        text in letter_text(),
        position in any::<prop::sample::Index>(),
        edit in 0u8..3,
        new_char in tricky_char(),
    ) {
        let canonical = CanonicalText::new(&text);
        prop_assume!(!canonical.is_empty());
        let signed = sign_all(&canonical, "ko");
        let letter_chars: Vec<char> = canonical.as_str().chars().collect();
        let at = position.index(letter_chars.len());
        let mut edited = letter_chars.clone();
        match edit {
            0 => edited.insert(at, new_char),
            1 => { edited.remove(at); }
            _ => edited[at] = new_char,
        }
        let edited: String = edited.into_iter().collect();
        // Edits the canonical rules undo (a space at a line end, a zero-width character)
        // are benign by design; every other edit must be caught.
        prop_assume!(canonicalize(&edited) != canonical.as_str());
        let forged = format!("{}{}", edited, &signed[canonical.as_str().len()..]);
        let verdict = verify_copy(&forged, &trust(), &[]);
        prop_assert!(!verdict.is_authentic(), "an edit at {} verified: {:?}", at, edited);
    }
}

/// Fragments of signed texts and pages, shuffled: the parsers must answer, never panic.
fn hostile_copy() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("-----BEGIN MISSIVE SIGNATURES-----\n".to_owned()),
        Just("-----END MISSIVE SIGNATURES-----\n".to_owned()),
        Just("Signatures: 1\n".to_owned()),
        Just("Signatures: 99999999999999999999\n".to_owned()),
        Just("SHA-256: zz\n".to_owned()),
        Just("Organization: x\nMember: x\nPublic key: RW\nFingerprint: 00\nSignature: RU\nTrusted comment: missive-letter id=a version=1 lang=ko sha256=00 org=a name=x\nGlobal signature: ==\n".to_owned()),
        Just("\n\n".to_owned()),
        Just("<p>&#x110000;&#99999999999;&amp&;<pre>".to_owned()),
        Just("<!-- <script>".to_owned()),
        "[가-힣a-z <>&;#:=\\-\n]{0,40}",
    ];
    prop::collection::vec(fragment, 0..30).prop_map(|f| f.concat())
}

proptest! {
    #[test]
    fn verify_and_page_text_never_panic(copy in hostile_copy()) {
        let verdict = verify_copy(&copy, &trust(), &[]);
        prop_assert!(!verdict.is_authentic());
        let text = missive_core::html_text::html_to_text(&copy);
        let _ = verify_copy(&text, &Trust::from_copy(), &[]);
    }
}
