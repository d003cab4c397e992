//! The command tree. One subcommand per file under `cmd/`, mirroring this tree.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::cmd;

/// Publish an open letter that reaches readers behind censorship, that anyone can verify as
/// genuine, and that the public can co-sign.
#[derive(Debug, Parser)]
#[command(
    name = "missive",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug). `MISSIVE_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold a new letter folder: letter.toml and one Markdown file per language.
    New(NewArgs),
    /// Make organization keys and show their fingerprints.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Create, extend, sign and check a coalition roster.
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Sign the canonical text of a letter with one organization's key.
    Sign(SignArgs),
    /// Show which organizations have signed which languages of a letter.
    Status(StatusArgs),
    /// Print the canonical text of a Markdown file or a pasted copy, and its hash.
    Canonical(CanonicalArgs),
    /// Publish a signed letter as a static bundle for any file server, CDN or USB stick.
    Publish(PublishArgs),
    /// Check whether a copy of a letter is authentic.
    #[command(after_long_help = VERIFY_EXIT_CODES)]
    Verify(VerifyArgs),
    /// Build a fictional seven-organization coalition and letter, sign, publish and serve it.
    Demo(DemoArgs),
    /// Serve a published bundle and take public co-signatures.
    Serve(cmd::serve::ServeArgs),
    /// Create or update the signature database's schema.
    Migrate(cmd::migrate::MigrateArgs),
    /// Export public co-signers, or delete one signer's data on request.
    #[command(subcommand)]
    Signers(cmd::signers::SignersCommand),
}

const VERIFY_EXIT_CODES: &str = "\
Exit codes:
  0  AUTHENTIC: every copy given is the coalition's signed text
  1  not authentic: ALTERED, NOT SIGNED or UNKNOWN
  2  usage or I/O error: nothing could be checked";

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The folder to create. It must not exist, or be empty.
    pub dir: PathBuf,
    /// The letter's id: lowercase letters, digits and '-'. Defaults to the folder's name.
    #[arg(long)]
    pub id: Option<String>,
    /// Languages as BCP 47 tags, the original first.
    #[arg(long, value_delimiter = ',', default_value = "ko,en,ru,uk")]
    pub languages: Vec<String>,
    /// The coalition roster this letter is signed under, relative to the letter folder.
    #[arg(long, default_value = "../roster.toml")]
    pub roster: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make an organization's minisign key pair: ORG.key (secret) and ORG.pub (public).
    New(KeyNewArgs),
    /// Show a public key's id and fingerprint.
    Show(KeyShowArgs),
}

#[derive(Debug, Args)]
pub struct KeyNewArgs {
    /// The organization's public name, as it will appear on every rendition.
    #[arg(long)]
    pub org: String,
    /// Folder to write the key pair into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// File name stem for the pair; defaults to a slug of the organization's name.
    #[arg(long)]
    pub id: Option<String>,
    /// Write the secret key without a password. For automation only: anyone who copies the
    /// file can sign in the organization's name.
    #[arg(long)]
    pub unencrypted: bool,
}

#[derive(Debug, Args)]
pub struct KeyShowArgs {
    /// A public key file (.pub) or a secret key file (.key; asks for its password).
    pub key: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Start a roster for a coalition.
    New(RosterNewArgs),
    /// Add a member organization and its public key. Existing member signatures are dropped,
    /// because they were made over the previous list.
    Add(RosterAddArgs),
    /// Sign the roster as one member organization.
    Sign(RosterSignArgs),
    /// Show the members, their fingerprints and who has signed the roster.
    Show(RosterShowArgs),
}

#[derive(Debug, Args)]
pub struct RosterNewArgs {
    /// The coalition's name.
    #[arg(long)]
    pub coalition: String,
    /// Where to write the roster.
    #[arg(long, default_value = "roster.toml")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RosterAddArgs {
    /// The roster file.
    pub roster: PathBuf,
    /// The member organization's public key file (.pub). Its name is taken from --org.
    #[arg(long)]
    pub key: PathBuf,
    /// The organization's public name.
    #[arg(long)]
    pub org: String,
    /// A short id for file names: lowercase letters, digits and '-'. Defaults to a slug of --org.
    #[arg(long)]
    pub id: Option<String>,
    /// Where readers and journalists can reach the organization to compare fingerprints.
    #[arg(long)]
    pub contact: String,
}

#[derive(Debug, Args)]
pub struct RosterSignArgs {
    /// The roster file.
    pub roster: PathBuf,
    /// The signing member's secret key.
    #[arg(long)]
    pub key: PathBuf,
}

#[derive(Debug, Args)]
pub struct RosterShowArgs {
    /// The roster file.
    pub roster: PathBuf,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The letter folder.
    pub letter: PathBuf,
    /// The organization's secret key (password from `MISSIVE_KEY_PASSWORD`, or asked).
    #[arg(long)]
    pub key: PathBuf,
    /// Sign only these languages (default: every language of the letter).
    #[arg(long, value_delimiter = ',')]
    pub lang: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The letter folder.
    pub letter: PathBuf,
}

#[derive(Debug, Args)]
pub struct CanonicalArgs {
    /// A letter folder, a Markdown file (.md, body only), a plain text copy, or `-` for
    /// standard input.
    pub input: PathBuf,
    /// With a letter folder: which language (default: the original).
    #[arg(long)]
    pub lang: Option<String>,
    /// Print only the SHA-256 and short code, not the text.
    #[arg(long)]
    pub hash: bool,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The letter folder.
    pub letter: PathBuf,
    /// Where to write the bundle. An existing bundle there is replaced atomically.
    #[arg(long)]
    pub out: PathBuf,
    /// Publish languages that not every roster member has signed. Every rendition then says
    /// plainly that it is an unsigned draft.
    #[arg(long)]
    pub allow_unsigned: bool,
    /// The public address the bundle will be served from (for link previews, feeds and the
    /// URL QR code), e.g. https://letter.example.org/
    #[arg(long)]
    pub base_url: Option<String>,
    /// Make only these renditions besides the page and signed text, e.g. `card,leaflet`
    /// (card, leaflet, qr, telegram, feed, radio). Default: all.
    #[arg(long)]
    pub only: Option<String>,
    /// Leaflet paper size: a5 (default), a6 or a4.
    #[arg(long, default_value = "a5")]
    pub paper: String,
    /// Also write an offline folder for USB sticks and SD cards: the signed text, the page,
    /// the card and the leaflet of every language, under neutral names.
    #[arg(long, value_name = "DIR")]
    pub offline: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// What to check: a signed text (letter.txt), a published page (.html), a bundle folder,
    /// or `-` to read text pasted from a messenger on standard input.
    pub input: PathBuf,
    /// The coalition roster you trust (roster.toml, or a bundle folder you got from a trusted
    /// source). Without it, or --key, the keys carried inside the copy are used, which proves
    /// nothing until their fingerprints are compared with a trusted source.
    #[arg(long)]
    pub roster: Option<PathBuf>,
    /// A public key (.pub) you trust; may be given several times.
    #[arg(long = "key")]
    pub keys: Vec<PathBuf>,
    /// An authentic copy to compare against (a bundle folder or a signed text), so an altered
    /// copy can be shown word by word; may be given several times.
    #[arg(long)]
    pub against: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build the demo (keys, roster, letter, bundle). Rebuilt if it holds an earlier demo.
    #[arg(long, default_value = "missive-demo")]
    pub dir: PathBuf,
    /// Address to serve the bundle on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Build, sign and publish, but do not serve.
    #[arg(long)]
    pub no_serve: bool,
}
