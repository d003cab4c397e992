//! `missive canonical`: the canonical text of a file, a letter's language, or pasted text.

use std::io::Read;

use anyhow::{Context, Result, bail};
use missive_core::{CanonicalText, LanguageTag, Letter};

use crate::cli::CanonicalArgs;
use crate::cmd::util;

pub fn run(args: CanonicalArgs) -> Result<u8> {
    let canonical = if args.input.is_dir() {
        let letter = Letter::load(&args.input)?;
        let translation = match &args.lang {
            Some(raw) => {
                let lang = LanguageTag::parse(raw).context("in --lang")?;
                letter
                    .translation(&lang)
                    .with_context(|| format!("the letter has no language '{lang}'"))?
            }
            None => &letter.translations[0],
        };
        translation.canonical.clone()
    } else if args.input.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("standard input is not UTF-8 text")?;
        CanonicalText::new(&text)
    } else {
        let text = util::read_file(&args.input)?;
        if args.input.extension().is_some_and(|e| e == "md") {
            let blocks = missive_core::markdown::parse(&text)
                .with_context(|| format!("in {}", args.input.display()))?;
            let body: Vec<String> = blocks.iter().map(|b| b.plain_text()).collect();
            CanonicalText::new(&body.join("\n\n"))
        } else {
            CanonicalText::new(&text)
        }
    };
    if canonical.is_empty() {
        bail!("the input has no text");
    }
    let hash = canonical.sha256();
    if args.hash {
        println!("sha256: {hash}");
        println!("short code: {}", hash.short_code());
    } else {
        print!("{}", canonical.as_str());
    }
    Ok(crate::exit::OK)
}
