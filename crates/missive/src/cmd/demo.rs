//! `missive demo`: a fictional seven-organization coalition writes, signs, publishes and
//! serves a letter in Korean, English, Russian and Ukrainian — the whole flow on one machine.
//! The coalition, its members and the letter were written for Missive; none of them exist.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use missive_core::signing::sign_letter;
use missive_core::{Letter, Roster, SecretKey};
use missive_publish::PublishOptions;
use missive_publish::renditions::RenditionOptions;
use serde::Deserialize;

use crate::cli::DemoArgs;
use crate::cmd::util;

/// Marks a folder as made by `missive demo`, so a rerun may replace it.
const MARKER: &str = ".missive-demo";

const LETTER_TOML: &str = include_str!("demo/letter.toml");
const COALITION_TOML: &str = include_str!("demo/coalition.toml");
const TEXTS: [(&str, &str); 4] = [
    ("ko", include_str!("demo/ko.md")),
    ("en", include_str!("demo/en.md")),
    ("ru", include_str!("demo/ru.md")),
    ("uk", include_str!("demo/uk.md")),
];

#[derive(Deserialize)]
struct Coalition {
    coalition: String,
    member: Vec<DemoMember>,
}

#[derive(Deserialize)]
struct DemoMember {
    id: String,
    name: String,
    contact: String,
}

/// What the demo built, for the caller and for tests.
pub struct DemoLayout {
    pub root: PathBuf,
    pub keys: PathBuf,
    pub roster: PathBuf,
    pub letter: PathBuf,
    pub bundle: PathBuf,
    pub offline: PathBuf,
}

pub fn run(args: DemoArgs) -> Result<u8> {
    let started = Instant::now();
    let layout = build(&args.dir)?;
    println!("\nBuilt in {} ms. Try:", started.elapsed().as_millis());
    println!(
        "  missive verify {}/ko/letter.txt --roster {}",
        layout.bundle.display(),
        layout.roster.display()
    );
    println!(
        "  missive verify {} --roster {}",
        layout.bundle.display(),
        layout.roster.display()
    );
    println!(
        "  minisign -Vm {b}/ko/letter.canonical.txt -x {b}/ko/letter.canonical.txt.bridge-of-voices.minisig -p {k}/bridge-of-voices.pub",
        b = layout.bundle.display(),
        k = layout.keys.display()
    );
    if args.no_serve {
        return Ok(crate::exit::OK);
    }
    serve(&layout, &args.addr)
}

/// Serves the demo bundle with the real server: signatures go to SQLite in the demo folder,
/// confirmation mail (when turned on) to its outbox.
fn serve(layout: &DemoLayout, addr: &str) -> Result<u8> {
    let listen = addr
        .parse()
        .with_context(|| format!("--addr '{addr}' is not an address like 127.0.0.1:8080"))?;
    println!("\nOpen http://{addr}/ — the letter in four languages, with its signature form.");
    crate::cmd::serve::run(crate::cmd::serve::ServeArgs {
        bundle: Some(layout.bundle.clone()),
        addr: Some(listen),
        database: Some(format!(
            "sqlite:{}",
            layout.root.join("signatures.db").display()
        )),
        config: None,
        public_url: None,
        onion: None,
        confirm_email: false,
        outbox: Some(layout.root.join("outbox")),
        smtp_url: None,
        mail_from: None,
        log_client_addresses: false,
        trust_forwarded_for: false,
        load_test: false,
    })
}

fn prepare_folder(dir: &Path) -> Result<()> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map(|mut e| e.next().is_none())
            .unwrap_or(false);
        if !empty && !dir.join(MARKER).is_file() {
            bail!(
                "{} exists and was not made by `missive demo`; choose another folder with --dir",
                dir.display()
            );
        }
        if !empty {
            std::fs::remove_dir_all(dir).with_context(|| {
                format!("could not clear the earlier demo in {}", dir.display())
            })?;
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    std::fs::write(
        dir.join(MARKER),
        "Made by `missive demo`; the next run replaces this folder.\n",
    )
    .with_context(|| format!("could not write in {}", dir.display()))
}

/// Builds the whole demo under `dir`: keys, roster, letter, signatures, bundle, offline folder.
pub fn build(dir: &Path) -> Result<DemoLayout> {
    prepare_folder(dir)?;
    let layout = DemoLayout {
        root: dir.to_owned(),
        keys: dir.join("keys"),
        roster: dir.join("coalition").join("roster.toml"),
        letter: dir.join("letter"),
        bundle: dir.join("bundle"),
        offline: dir.join("offline"),
    };
    let coalition: Coalition = toml::from_str(COALITION_TOML).context("the demo coalition")?;

    // Seven organizations make their keys (unencrypted: this is a demo).
    std::fs::create_dir_all(&layout.keys)?;
    let mut roster = Roster::new(&coalition.coalition)?;
    let mut keys: Vec<SecretKey> = Vec::new();
    for member in &coalition.member {
        let pair = missive_core::keys::generate(&member.name, None)?;
        util::write_new(
            &layout.keys.join(format!("{}.key", member.id)),
            pair.secret_file.as_bytes(),
            true,
        )?;
        util::write_new(
            &layout.keys.join(format!("{}.pub", member.id)),
            pair.public_file.as_bytes(),
            false,
        )?;
        roster.add_member(
            &member.id,
            &member.name,
            pair.public.clone(),
            &member.contact,
        )?;
        keys.push(SecretKey::from_file_text(&pair.secret_file, None)?);
    }
    println!(
        "Coalition: {} — {} member organizations, keys in {}",
        roster.coalition,
        roster.members.len(),
        layout.keys.display()
    );

    // Every member signs the roster.
    for key in &keys {
        roster.sign(key)?;
    }
    std::fs::create_dir_all(layout.roster.parent().unwrap_or(dir))?;
    util::write_new(&layout.roster, roster.to_toml().as_bytes(), false)?;
    println!(
        "Roster: {} ({})",
        layout.roster.display(),
        roster.check().summary(&roster)
    );

    // The letter, in four languages.
    std::fs::create_dir_all(&layout.letter)?;
    util::write_new(
        &layout.letter.join("letter.toml"),
        LETTER_TOML.as_bytes(),
        false,
    )?;
    for (lang, text) in TEXTS {
        util::write_new(
            &layout.letter.join(format!("{lang}.md")),
            text.as_bytes(),
            false,
        )?;
    }
    let letter = Letter::load(&layout.letter)?;
    println!(
        "Letter: '{}' version {} in {} — {}",
        letter.id,
        letter.version,
        layout.letter.display(),
        letter
            .translations
            .iter()
            .map(|t| format!("{} ({})", t.lang, t.canonical.sha256().short_code()))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // Every organization signs every language.
    for key in &keys {
        sign_letter(&letter, &roster, key, &[])?;
    }
    println!(
        "Signed: {} organizations × {} languages",
        keys.len(),
        letter.translations.len()
    );

    // Publish, with every rendition, and an offline folder.
    let options = PublishOptions {
        allow_unsigned: false,
        base_url: None,
        renditions: Some(RenditionOptions::default()),
    };
    let bundle = crate::cmd::publish::build(&letter, &roster, &options)?;
    bundle.write_to(&layout.bundle)?;
    let bytes: usize = bundle.files.values().map(Vec::len).sum();
    println!(
        "Published: {} — {} files, {} KB",
        layout.bundle.display(),
        bundle.files.len(),
        bytes / 1024
    );
    for warning in &bundle.warnings {
        println!("  note: {warning}");
    }
    crate::cmd::publish::Offline::of(&bundle).write_to(&layout.offline)?;
    Ok(layout)
}
