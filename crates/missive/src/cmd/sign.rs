//! `missive sign`: one organization signs the canonical text of a letter's languages.

use anyhow::{Context, Result};
use missive_core::signing::{SignOutcome, sign_letter};
use missive_core::{LanguageTag, Letter};

use crate::cli::SignArgs;
use crate::cmd::util;

pub fn run(args: SignArgs) -> Result<u8> {
    let letter = Letter::load(&args.letter)?;
    let roster = util::load_roster(&letter.roster_path)
        .with_context(|| format!("the roster named in {}/letter.toml", args.letter.display()))?;
    let langs = args
        .lang
        .iter()
        .map(|raw| LanguageTag::parse(raw).context("in --lang"))
        .collect::<Result<Vec<_>>>()?;
    let key = util::load_secret_key(&args.key)?;
    let (member, outcomes) = sign_letter(&letter, &roster, &key, &langs)?;
    let name = roster
        .member(&member)
        .map_or(member.to_string(), |m| m.name.clone());
    println!(
        "{name} — letter '{}', version {}:",
        letter.id, letter.version
    );
    for outcome in outcomes {
        match outcome {
            SignOutcome::Signed { lang, path } => {
                let t = letter.translation(&lang);
                let code = t
                    .map(|t| t.canonical.sha256().short_code().to_string())
                    .unwrap_or_default();
                println!("  {lang}: signed ({code}) → {}", path.display());
            }
            SignOutcome::AlreadySigned { lang } => println!("  {lang}: already signed, unchanged"),
        }
    }
    Ok(crate::exit::OK)
}
