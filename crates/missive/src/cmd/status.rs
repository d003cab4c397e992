//! `missive status`: which organizations have signed which languages.

use anyhow::{Context, Result};
use missive_core::Letter;
use missive_core::signing::{SignatureState, letter_signatures};

use crate::cli::StatusArgs;
use crate::cmd::util;

pub fn run(args: StatusArgs) -> Result<u8> {
    let letter = Letter::load(&args.letter)?;
    let roster = util::load_roster(&letter.roster_path)
        .with_context(|| format!("the roster named in {}/letter.toml", args.letter.display()))?;
    let all = letter_signatures(&letter, &roster)?;
    println!(
        "Letter '{}', version {}, release {} — {} ({} members)",
        letter.id,
        letter.version,
        letter.release_at,
        roster.coalition,
        roster.members.len()
    );
    let mut complete = true;
    for (translation, sigs) in letter.translations.iter().zip(&all) {
        let signed = sigs.valid().count();
        complete &= sigs.is_complete();
        println!(
            "\n{} — {} — short code {} — signed by {signed} of {}",
            translation.lang,
            translation.title,
            translation.canonical.sha256().short_code(),
            roster.members.len()
        );
        for (member, state) in &sigs.states {
            let state = match state {
                SignatureState::Missing => "not signed".to_owned(),
                SignatureState::Valid { .. } => "signed".to_owned(),
                SignatureState::OlderVersion { version } => {
                    format!("signed version {version} only: must sign again")
                }
                SignatureState::TextChanged => {
                    "signed a different text under this version: raise the version".to_owned()
                }
                SignatureState::Invalid { reason } => format!("INVALID: {reason}"),
            };
            println!("  {:<32} {state}", member.name);
        }
    }
    println!(
        "\n{}",
        if complete {
            "Every language is signed by every member: ready to publish."
        } else {
            "Not every language is signed by every member yet."
        }
    );
    Ok(crate::exit::OK)
}
