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
    let filter = tracing_subscriber::EnvFilter::try_from_env("MISSIVE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_log_filter(verbose)));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// The log filter when `MISSIVE_LOG` is unset. `axum::serve` reports every failed `accept`
/// (a client resetting mid-handshake, a port scan) as an error, which drowns the server's own
/// messages on a public address; `MISSIVE_LOG` can turn it back on.
fn default_log_filter(verbose: u8) -> String {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    format!("{level},axum::serve=off")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::default_log_filter;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn accept_errors_of_axum_serve_are_filtered_by_default() {
        for verbose in [0, 1, 2] {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(default_log_filter(
                    verbose,
                )))
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::with_default(subscriber, || {
                tracing::error!(target: "axum::serve", "accept error: connection reset");
                tracing::error!(target: "axum::serve::listener", "accept error: too many files");
                tracing::warn!(target: "missive_server::state", "a warning of our own");
            });
            let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
            assert!(!text.contains("accept error"), "{text}");
            assert!(text.contains("a warning of our own"), "{text}");
        }
    }
}
