//! Core figures (docs/BENCHMARKS.md): canonicalize + hash a 10,000-syllable letter, and verify
//! a signed text carrying seven organizations' signatures. Inputs are generated here.

#![allow(clippy::expect_used)] // a benchmark with bad input should stop at once

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use missive_core::keys::{SecretKey, generate};
use missive_core::signed_text::render;
use missive_core::verify::{Trust, verify_copy};
use missive_core::{CanonicalText, Roster};

/// A deterministic Korean letter of `syllables` Hangul syllables in words, sentences and
/// paragraphs.
fn korean_letter(syllables: usize) -> String {
    let mut state: u32 = 0x2545_F491;
    let mut next = move |n: u32| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state % n
    };
    let mut text = String::from("젊은 군인 여러분께\n\n");
    let mut count = 0;
    while count < syllables {
        for _ in 0..(2 + next(3)) {
            let c = char::from_u32(0xAC00 + next(11_172)).unwrap_or('가');
            text.push(c);
            count += 1;
        }
        text.push(match next(12) {
            0 => '.',
            1 => ',',
            _ => ' ',
        });
        if next(60) == 0 {
            text.push_str("\n\n");
        }
    }
    text.push('\n');
    text
}

fn seven_signatures(canonical: &CanonicalText) -> (String, Roster) {
    let mut roster = Roster::new("Coalition of Seven").expect("roster");
    let mut keys = Vec::new();
    for n in 0..7 {
        let name = format!("Organization {n}");
        let pair = generate(&name, None).expect("key");
        roster
            .add_member(
                &format!("org-{n}"),
                &name,
                pair.public.clone(),
                "https://example.org/",
            )
            .expect("member");
        keys.push(SecretKey::from_file_text(&pair.secret_file, None).expect("open"));
    }
    let signers: Vec<_> = keys.iter().zip(&roster.members).collect();
    let block = missive_core::signing::sign_text(
        canonical,
        &missive_core::LetterId::parse("bench").expect("id"),
        1,
        &missive_core::LanguageTag::parse("ko").expect("lang"),
        &roster.coalition,
        &signers,
    )
    .expect("sign");
    (render(canonical, &block), roster)
}

fn one_signature(canonical: &CanonicalText) -> (missive_core::PublicKey, String) {
    let pair = generate("one", None).expect("key");
    let key = SecretKey::from_file_text(&pair.secret_file, None).expect("open");
    let minisig = key.sign(canonical.as_bytes(), "comment").expect("sign");
    (pair.public, minisig)
}

fn benches(c: &mut Criterion) {
    let long = korean_letter(10_000);
    c.bench_function("canonicalize + sha256, 10,000 syllables", |b| {
        b.iter(|| CanonicalText::new(black_box(&long)).sha256())
    });
    let nfd: String = unicode_nfd(&long);
    c.bench_function("canonicalize + sha256, 10,000 syllables, NFD input", |b| {
        b.iter(|| CanonicalText::new(black_box(&nfd)).sha256())
    });

    let letter = CanonicalText::new(&korean_letter(1_000));
    let (signed, roster) = seven_signatures(&letter);
    let trust = Trust {
        roster: Some(roster),
        keys: Vec::new(),
    };
    assert!(verify_copy(&signed, &trust, &[]).is_authentic());
    c.bench_function("verify a 1,000-syllable signed text, 7 signatures", |b| {
        b.iter(|| verify_copy(black_box(&signed), &trust, &[]))
    });
    c.bench_function(
        "split a signed text (canonicalize + parse the block)",
        |b| b.iter(|| missive_core::signed_text::split(black_box(&signed))),
    );
    let (key, minisig) = one_signature(&letter);
    c.bench_function(
        "one detached signature (minisign: signature + global signature)",
        |b| {
            b.iter(|| {
                missive_core::keys::verify_detached(&key, black_box(&minisig), letter.as_bytes())
            })
        },
    );
    let forwarded = format!("Forwarded from a friend\n\n{signed}");
    c.bench_function("verify, pasted with a line in front", |b| {
        b.iter(|| verify_copy(black_box(&forwarded), &trust, &[]))
    });
}

fn unicode_nfd(text: &str) -> String {
    // Decompose Hangul syllables arithmetically (the NFD of a syllable is its jamo).
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        let s = u32::from(c);
        if (0xAC00..=0xD7A3).contains(&s) {
            let index = s - 0xAC00;
            let (l, v, t) = (index / 588, (index % 588) / 28, index % 28);
            out.extend(char::from_u32(0x1100 + l));
            out.extend(char::from_u32(0x1161 + v));
            if t > 0 {
                out.extend(char::from_u32(0x11A7 + t));
            }
        } else {
            out.push(c);
        }
    }
    out
}

criterion_group!(core, benches);
criterion_main!(core);
