//! Publishing figure (docs/BENCHMARKS.md): a 4-language letter signed by 7 organizations →
//! bundle, with and without the renditions. Input: the demo letter, signed here with fresh keys.

#![allow(clippy::expect_used)] // a benchmark with bad input should stop at once

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use missive_core::keys::{SecretKey, generate};
use missive_core::signing::{letter_signatures, sign_letter};
use missive_core::{Letter, Roster};
use missive_publish::PublishOptions;
use missive_publish::renditions::RenditionOptions;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../missive/src/cmd/demo");

fn signed_letter(dir: &Path) -> (Letter, Roster) {
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
    let letter_dir = dir.join("letter");
    std::fs::create_dir_all(&letter_dir).expect("mkdir");
    std::fs::write(dir.join("roster.toml"), roster.to_toml()).expect("roster");
    let manifest = std::fs::read_to_string(Path::new(DEMO).join("letter.toml"))
        .expect("demo letter.toml")
        .replace("../coalition/roster.toml", "../roster.toml");
    std::fs::write(letter_dir.join("letter.toml"), manifest).expect("write");
    for lang in ["ko", "en", "ru", "uk"] {
        std::fs::copy(
            Path::new(DEMO).join(format!("{lang}.md")),
            letter_dir.join(format!("{lang}.md")),
        )
        .expect("copy");
    }
    let letter = Letter::load(&letter_dir).expect("letter");
    for key in &keys {
        sign_letter(&letter, &roster, key, &[]).expect("sign");
    }
    (letter, roster)
}

fn benches(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (letter, roster) = signed_letter(tmp.path());
    let out = tmp.path().join("bundle");
    let pages_only = PublishOptions::default();
    c.bench_function(
        "publish 4 languages × 7 signatures: load, check, build, write (pages + signed texts)",
        |b| {
            b.iter(|| {
                let letter = Letter::load(&letter.dir).expect("letter");
                let sigs = letter_signatures(&letter, &roster).expect("signatures");
                let bundle =
                    missive_publish::build(&letter, &roster, &sigs, &pages_only).expect("build");
                bundle.write_to(black_box(&out)).expect("write");
            })
        },
    );
    let sigs = letter_signatures(&letter, &roster).expect("signatures");
    c.bench_function("build only, in memory (pages + signed texts)", |b| {
        b.iter(|| {
            missive_publish::build(black_box(&letter), &roster, &sigs, &pages_only).expect("build")
        })
    });
    let everything = PublishOptions {
        renditions: Some(RenditionOptions::default()),
        ..PublishOptions::default()
    };
    let mut group = c.benchmark_group("with every rendition");
    group.sample_size(10);
    group.bench_function("build, 4 languages, all renditions", |b| {
        b.iter(|| {
            missive_publish::build(black_box(&letter), &roster, &sigs, &everything).expect("build")
        })
    });
    group.finish();
}

criterion_group!(publish, benches);
criterion_main!(publish);
