//! `missive key`: make an organization's key pair; show a key's fingerprint.

use anyhow::{Context, Result, bail};
use missive_core::ids::{MemberId, slugify};
use missive_core::{PublicKey, SecretKey};

use crate::cli::{KeyCommand, KeyNewArgs, KeyShowArgs};
use crate::cmd::util;
use crate::password;

pub fn run(command: KeyCommand) -> Result<u8> {
    match command {
        KeyCommand::New(args) => new(args),
        KeyCommand::Show(args) => show(args),
    }
}

fn new(args: KeyNewArgs) -> Result<u8> {
    let org = missive_core::roster::check_name("organization name", &args.org)?;
    let stem = match &args.id {
        Some(id) => MemberId::parse(id)?.to_string(),
        None => {
            let slug = slugify(&org, MemberId::MAX_LEN);
            if slug.is_empty() {
                bail!(
                    "cannot make a file name from '{org}'; give a short latin id with --id, e.g. --id hands"
                );
            }
            slug
        }
    };
    let secret_path = args.out.join(format!("{stem}.key"));
    let public_path = args.out.join(format!("{stem}.pub"));
    for path in [&secret_path, &public_path] {
        if path.exists() {
            bail!(
                "{} already exists; refusing to overwrite a key",
                path.display()
            );
        }
    }
    let password = if args.unencrypted {
        eprintln!(
            "warning: the secret key is written WITHOUT a password. Anyone who copies {} can \
             sign in the name of {org}. Use this for automation only.",
            secret_path.display()
        );
        None
    } else {
        Some(password::for_new_key()?)
    };
    let pair = missive_core::keys::generate(&org, password.as_ref())?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("could not create {}", args.out.display()))?;
    util::write_new(&secret_path, pair.secret_file.as_bytes(), true)?;
    if let Err(err) = util::write_new(&public_path, pair.public_file.as_bytes(), false) {
        let _ = std::fs::remove_file(&secret_path);
        return Err(err);
    }
    println!("Made a key pair for {org}:");
    println!(
        "  secret key:  {} (keep it offline; never share it)",
        secret_path.display()
    );
    println!("  public key:  {}", public_path.display());
    println!("  key id:      {}", pair.public.key_id());
    println!("  fingerprint: {}", pair.public.fingerprint());
    println!("Publish the fingerprint on your own website so readers can check it.");
    Ok(crate::exit::OK)
}

fn show(args: KeyShowArgs) -> Result<u8> {
    let text = util::read_file(&args.key)?;
    let public = match PublicKey::from_file_text(&text) {
        Ok(key) => key,
        Err(public_err) => match SecretKey::file_is_encrypted(&text) {
            Ok(_) => util::load_secret_key(&args.key)?.public().clone(),
            Err(_) => {
                return Err(anyhow::Error::new(public_err).context(format!(
                    "{} is neither a public nor a secret key",
                    args.key.display()
                )));
            }
        },
    };
    println!("public key:  {}", public.to_base64());
    println!("key id:      {}", public.key_id());
    println!("fingerprint: {}", public.fingerprint());
    Ok(crate::exit::OK)
}
