//! `missive`: the command line. Thin: parse, run, print the error chain once, map to an exit code.

mod cli;
mod cmd;
mod password;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes are part of the interface (see `missive verify --help`).
pub mod exit {
    /// Success; for `verify`: the copy is authentic.
    pub const OK: u8 = 0;
    /// `verify`: the copy is not authentic (altered, not signed, or unknown).
    pub const NOT_AUTHENTIC: u8 = 1;
    /// Usage, input or I/O error: nothing was changed.
    pub const ERROR: u8 = 2;
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_tracing(cli.verbose);
    match cmd::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // Print the chain once: a message that already quotes its cause is not repeated.
            let mut shown = err.to_string();
            eprintln!("error: {shown}");
            for cause in err.chain().skip(1) {
                let cause = cause.to_string();
                if !shown.contains(&cause) {
                    eprintln!("  caused by: {cause}");
                    shown = cause;
                }
            }
            ExitCode::from(exit::ERROR)
        }
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MISSIVE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
