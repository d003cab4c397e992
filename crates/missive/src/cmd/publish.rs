//! `missive publish`: a signed letter → a static bundle (and, on request, an offline folder).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use missive_core::Letter;
use missive_core::signing::letter_signatures;
use missive_publish::bundle::{Bundle, PublishOptions, check_target, write_tree};
use missive_publish::renditions::{OfflineItem, RenditionKind, RenditionOptions, offline_folder};

use crate::cli::PublishArgs;
use crate::cmd::util;

pub fn run(args: PublishArgs) -> Result<u8> {
    let started = Instant::now();
    let letter = Letter::load(&args.letter)?;
    let roster = util::load_roster(&letter.roster_path)
        .with_context(|| format!("the roster named in {}/letter.toml", args.letter.display()))?;
    let only = args
        .only
        .as_deref()
        .map(RenditionKind::parse_list)
        .transpose()
        .context("in --only")?;
    let paper = args.paper.parse().context("in --paper")?;
    let options = PublishOptions {
        allow_unsigned: args.allow_unsigned,
        base_url: args.base_url.clone(),
        renditions: Some(RenditionOptions {
            only,
            paper,
            base_url: None,
        }),
    };
    let bundle = build(&letter, &roster, &options)?;
    // Check both targets before writing either, so a refusal leaves nothing half-done.
    let offline = args.offline.as_ref().map(|dir| (dir, Offline::of(&bundle)));
    if let Some((dir, offline)) = &offline {
        offline.check_target(dir)?;
    }
    Bundle::check_target(&args.out)?;
    bundle.write_to(&args.out)?;
    if let Some((dir, offline)) = &offline {
        offline.write_to(dir)?;
    }
    report(&letter, &bundle, &args, started);
    Ok(crate::exit::OK)
}

/// Loads signatures and builds the bundle in memory.
pub fn build(
    letter: &Letter,
    roster: &missive_core::Roster,
    options: &PublishOptions,
) -> Result<Bundle> {
    let signatures = letter_signatures(letter, roster)?;
    Ok(missive_publish::build(
        letter,
        roster,
        &signatures,
        options,
    )?)
}

/// The offline folder for USB sticks and SD cards: neutral names, byte-identical for one letter.
pub struct Offline {
    files: BTreeMap<String, Vec<u8>>,
    /// The top-level names it writes: a folder holding only these may be replaced.
    names: BTreeSet<String>,
}

const OFFLINE: &str = "an offline folder made by missive";

impl Offline {
    pub fn of(bundle: &Bundle) -> Self {
        let items: Vec<OfflineItem<'_>> = bundle
            .inputs
            .iter()
            .filter_map(|input| {
                let get = |name: &str| {
                    bundle
                        .files
                        .get(&format!("{}/{name}", input.lang))
                        .map(Vec::as_slice)
                };
                Some(OfflineItem {
                    input,
                    page_html: get("index.html")?,
                    card_png: get("card.png"),
                    leaflet_pdf: get("leaflet.pdf"),
                })
            })
            .collect();
        let files: BTreeMap<String, Vec<u8>> = offline_folder(&items)
            .into_iter()
            .map(|f| (f.path, f.bytes))
            .collect();
        let names = files
            .keys()
            .map(|p| p.split('/').next().unwrap_or(p).to_owned())
            .collect();
        Self { files, names }
    }

    fn is_ours(&self, existing: &Path) -> bool {
        std::fs::read_dir(existing).is_ok_and(|entries| {
            entries.flatten().all(|e| {
                self.names
                    .contains(&e.file_name().to_string_lossy().into_owned())
            })
        })
    }

    pub fn check_target(&self, dir: &Path) -> Result<()> {
        check_target(dir, OFFLINE, |d| self.is_ours(d))
            .with_context(|| format!("in --offline {}", dir.display()))
    }

    pub fn write_to(&self, dir: &Path) -> Result<()> {
        write_tree(&self.files, dir, OFFLINE, |d| self.is_ours(d))
            .with_context(|| format!("writing the offline folder {}", dir.display()))?;
        println!(
            "Offline folder: {} ({} files)",
            dir.display(),
            self.files.len()
        );
        Ok(())
    }
}

fn report(letter: &Letter, bundle: &Bundle, args: &PublishArgs, started: Instant) {
    let total: usize = bundle.files.values().map(Vec::len).sum();
    println!(
        "Published letter '{}', version {} to {} — {} files, {} KB, in {} ms",
        letter.id,
        letter.version,
        args.out.display(),
        bundle.files.len(),
        total / 1024,
        started.elapsed().as_millis()
    );
    for t in &bundle.manifest.translations {
        let state = if t.draft {
            format!("UNSIGNED DRAFT ({} signatures)", t.signed_by)
        } else {
            format!("signed by {}", t.signed_by)
        };
        println!("  {:<6} {}  {}  {state}", t.lang, t.short_code, t.title);
    }
    for warning in &bundle.warnings {
        eprintln!("warning: {warning}");
    }
    if bundle.manifest.draft {
        eprintln!(
            "warning: this bundle is a draft: every rendition of an unsigned language says so."
        );
    }
    println!(
        "Check it: missive verify {} --roster {}",
        args.out.display(),
        letter.roster_path.display()
    );
}
