//! One subcommand per file, mirroring the CLI tree in `cli.rs`.

pub mod canonical;
pub mod demo;
pub mod key;
pub mod migrate;
pub mod new;
pub mod publish;
pub mod roster;
pub mod serve;
pub mod sign;
pub mod signers;
pub mod status;
pub mod util;
pub mod verify;

use crate::cli::{Cli, Command};

/// Runs one command; returns the process exit code (see `crate::exit`).
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::New(args) => new::run(args),
        Command::Key(command) => key::run(command),
        Command::Roster(command) => roster::run(command),
        Command::Sign(args) => sign::run(args),
        Command::Status(args) => status::run(args),
        Command::Canonical(args) => canonical::run(args),
        Command::Publish(args) => publish::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::Signers(command) => signers::run(command),
    }
}
