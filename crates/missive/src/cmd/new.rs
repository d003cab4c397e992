//! `missive new`: scaffold a letter folder.

use anyhow::{Context, Result, bail};
use missive_core::ids::slugify;
use missive_core::{LanguageTag, LetterId};

use crate::cli::NewArgs;

pub fn run(args: NewArgs) -> Result<u8> {
    let id = match &args.id {
        Some(id) => LetterId::parse(id)?,
        None => {
            let name = args
                .dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let slug = slugify(&name, LetterId::MAX_LEN);
            LetterId::parse(&slug).with_context(|| {
                format!("cannot make a letter id from the folder name '{name}'; give one with --id")
            })?
        }
    };
    let mut languages = Vec::new();
    for raw in &args.languages {
        let lang = LanguageTag::parse(raw).context("in --languages")?;
        if languages.contains(&lang) {
            bail!("--languages lists '{lang}' twice");
        }
        languages.push(lang);
    }
    if languages.is_empty() {
        bail!("--languages is empty; name at least one language, e.g. --languages ko,en");
    }
    let written = missive_core::letter::scaffold(&args.dir, &id, &languages, &args.roster)?;
    println!("Created letter '{id}' in {}:", args.dir.display());
    for path in written {
        println!("  {}", path.display());
    }
    println!(
        "\nNext: write the text of each language, set the titles and release_at in letter.toml,\n\
         then each organization signs with `missive sign {} --key ORG.key`.",
        args.dir.display()
    );
    Ok(crate::exit::OK)
}
