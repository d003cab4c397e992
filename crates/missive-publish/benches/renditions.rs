//! Time of each rendition for a generated four-language letter (Korean, English, Russian,
//! Ukrainian; ~3.5 KB of text each, seven signers), and of all renditions of all four
//! languages at once. Sizes are printed once before timing. Figures: docs/BENCHMARKS.md.
//!
//! `cargo bench -p missive-publish --bench renditions`

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use missive_publish::renditions::{
    RenditionInput, RenditionKind, RenditionOptions, SignerLine, render_feeds, render_translation,
    render_translations,
};
use sha2::{Digest, Sha256};

const SENTENCES: [(&str, &str, &str); 4] = [
    (
        "ko",
        "한국어",
        "여러분의 목숨은 그 무엇보다 소중합니다. 어떤 명령도, 어떤 구호도 한 사람의 생명보다 무겁지 않습니다. 고향에서는 부모님과 형제자매, 친구들이 날마다 여러분의 소식을 기다리고 있습니다.",
    ),
    (
        "en",
        "English",
        "Your life is more precious than anything. No order and no slogan weighs more than a human life. At home, your parents, brothers, sisters and friends wait every day for news of you.",
    ),
    (
        "ru",
        "Русский",
        "Ваша жизнь дороже всего. Никакой приказ и никакой лозунг не весят больше, чем жизнь человека. Дома ваши родители, братья, сёстры и друзья каждый день ждут вестей от вас.",
    ),
    (
        "uk",
        "Українська",
        "Ваше життя найцінніше. Жоден наказ і жодне гасло не важать більше, ніж людське життя. Вдома ваші батьки, брати, сестри й друзі щодня чекають звісток від вас.",
    ),
];

fn input(lang: &str, name: &str, sentence: &str) -> RenditionInput {
    let title = format!("{name}: {}", sentence.split('.').next().unwrap_or(sentence));
    let mut paragraphs = Vec::new();
    let mut bytes = 0;
    let mut n = 0;
    while bytes < 3500 {
        let p = if n % 5 == 4 {
            format!("- {sentence}")
        } else {
            format!("{sentence} {sentence}")
        };
        bytes += p.len();
        paragraphs.push(p);
        n += 1;
    }
    let canonical = format!("{title}\n\n{}\n", paragraphs.join("\n\n"));
    let digest = Sha256::digest(canonical.as_bytes());
    let signers: Vec<SignerLine> = (0..7)
        .map(|i| SignerLine {
            name: format!("Organization {i} / 단체 {i}"),
            fingerprint: format!("{:04X} {:04X} {:04X} {:04X}", i, i * 7, i * 13, i * 31),
        })
        .collect();
    let signed = format!(
        "{canonical}-----BEGIN MISSIVE SIGNATURES-----\n{}-----END MISSIVE SIGNATURES-----\n",
        "org: X\nkey: RWQ\nsig: ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\n".repeat(21)
    );
    RenditionInput {
        letter_id: "letter-to-soldiers".to_string(),
        version: 1,
        lang: lang.to_string(),
        language_name: name.to_string(),
        title,
        paragraphs,
        canonical_text: canonical,
        signed_text: signed,
        sha256_hex: hex::encode(digest),
        short_code: "K7QM-3XPD".to_string(),
        coalition: "Coalition of Seven for a Safe Return".to_string(),
        signers,
        page_url: Some(format!("https://letter.example.org/{lang}/")),
        draft: false,
        release_date: "2026-12-10".to_string(),
    }
}

fn inputs() -> Vec<RenditionInput> {
    SENTENCES
        .iter()
        .map(|(lang, name, sentence)| input(lang, name, sentence))
        .collect()
}

fn only(kind: RenditionKind) -> RenditionOptions {
    RenditionOptions {
        only: Some(vec![kind]),
        ..RenditionOptions::default()
    }
}

fn report_sizes(inputs: &[RenditionInput]) {
    // Warm the fonts (decompressed once per process), then one timed full render.
    let _ = render_translation(&inputs[0], &only(RenditionKind::Telegram));
    let start = Instant::now();
    let (files, _) = render_translations(inputs, &RenditionOptions::default()).expect("renders");
    let elapsed = start.elapsed();
    eprintln!(
        "one-shot: all renditions of {} languages in {:.0} ms on {} threads",
        inputs.len(),
        elapsed.as_secs_f64() * 1000.0,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for file in &files {
        eprintln!("size {:>28} {:>8} bytes", file.path, file.bytes.len());
    }
}

fn bench(c: &mut Criterion) {
    let inputs = inputs();
    report_sizes(&inputs);
    let mut group = c.benchmark_group("renditions");
    group.sample_size(10);
    for kind in [
        RenditionKind::Card,
        RenditionKind::Leaflet,
        RenditionKind::Qr,
        RenditionKind::Telegram,
        RenditionKind::Radio,
    ] {
        for input in &inputs {
            group.bench_function(format!("{kind}/{}", input.lang), |b| {
                b.iter(|| render_translation(black_box(input), &only(kind)).expect("renders"))
            });
        }
    }
    group.bench_function("feed/4 languages", |b| {
        b.iter(|| render_feeds(black_box(&inputs), &RenditionOptions::default()).expect("renders"))
    });
    group.bench_function("all/4 languages sequential", |b| {
        b.iter(|| {
            for input in &inputs {
                render_translation(black_box(input), &RenditionOptions::default())
                    .expect("renders");
            }
        })
    });
    group.bench_function("all/4 languages parallel", |b| {
        b.iter(|| {
            render_translations(black_box(&inputs), &RenditionOptions::default()).expect("renders")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
