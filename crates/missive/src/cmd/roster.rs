//! `missive roster`: create, extend, sign and check a coalition roster.

use anyhow::{Context, Result, bail};
use missive_core::Roster;
use missive_core::ids::{MemberId, slugify};

use crate::cli::{RosterAddArgs, RosterCommand, RosterNewArgs, RosterShowArgs, RosterSignArgs};
use crate::cmd::util;

pub fn run(command: RosterCommand) -> Result<u8> {
    match command {
        RosterCommand::New(args) => new(args),
        RosterCommand::Add(args) => add(args),
        RosterCommand::Sign(args) => sign(args),
        RosterCommand::Show(args) => show(args),
    }
}

fn new(args: RosterNewArgs) -> Result<u8> {
    let roster = Roster::new(&args.coalition)?;
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("could not create {}", parent.display()))?;
    }
    util::write_new(&args.out, roster.to_toml().as_bytes(), false)?;
    println!(
        "Created the roster of {} in {}.",
        roster.coalition,
        args.out.display()
    );
    println!(
        "Add members with `missive roster add {} --org NAME --key ORG.pub --contact URL`.",
        args.out.display()
    );
    Ok(crate::exit::OK)
}

fn add(args: RosterAddArgs) -> Result<u8> {
    let mut roster = util::load_roster(&args.roster)?;
    let key = util::load_public_key(&args.key)?;
    let id = match &args.id {
        Some(id) => MemberId::parse(id)?,
        None => {
            let from_name = slugify(&args.org, MemberId::MAX_LEN);
            let from_file = args
                .key
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            MemberId::parse(&from_name)
                .or_else(|_| MemberId::parse(&from_file))
                .with_context(|| {
                    format!(
                        "cannot make a member id from '{}'; give one with --id",
                        args.org
                    )
                })?
        }
    };
    let dropped = roster.add_member(id.as_str(), &args.org, key.clone(), &args.contact)?;
    util::replace_file(&args.roster, roster.to_toml().as_bytes())?;
    println!(
        "Added {} ({id}, fingerprint {}) to {}: {} members.",
        args.org.trim(),
        key.fingerprint(),
        roster.coalition,
        roster.members.len()
    );
    if dropped > 0 {
        eprintln!(
            "note: {dropped} member signature(s) over the previous list were dropped; every member signs again with `missive roster sign`."
        );
    }
    Ok(crate::exit::OK)
}

fn sign(args: RosterSignArgs) -> Result<u8> {
    let mut roster = util::load_roster(&args.roster)?;
    let key = util::load_secret_key(&args.key)?;
    let member = roster.sign(&key)?;
    util::replace_file(&args.roster, roster.to_toml().as_bytes())?;
    let check = roster.check();
    println!("{member} signed the roster; {}.", check.summary(&roster));
    Ok(crate::exit::OK)
}

fn show(args: RosterShowArgs) -> Result<u8> {
    let roster = util::load_roster(&args.roster)?;
    let check = roster.check();
    println!("{}", roster.coalition);
    println!("{}", check.summary(&roster));
    for m in &roster.members {
        let state = if check.signed.contains(&m.id) {
            "signed".to_owned()
        } else if let Some((_, why)) = check.invalid.iter().find(|(id, _)| id == &m.id) {
            format!("INVALID signature: {why}")
        } else {
            "not signed".to_owned()
        };
        println!("\n  {} ({})", m.name, m.id);
        println!("    fingerprint: {}", m.public_key.fingerprint());
        println!("    contact:     {}", m.contact);
        println!("    roster:      {state}");
    }
    if !check.invalid.is_empty() {
        bail!("the roster has invalid signatures: it was changed after members signed it");
    }
    Ok(crate::exit::OK)
}
