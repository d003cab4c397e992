//! Errors that stop the server from starting or keep a bundle from loading. Errors answered to
//! a single request live in `reject.rs`: they are translated and never stop the server.

use std::path::PathBuf;

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("the configuration is not usable: {0}")]
    Config(String),
    #[error("could not load the bundle")]
    Bundle(#[from] BundleError),
    #[error("could not open the signature database")]
    Store(#[source] missive_store::StoreError),
    #[error("could not set up confirmation mail: {0}")]
    Mail(String),
    #[error("the HTTP server failed")]
    Io(#[from] std::io::Error),
}

/// Why a bundle folder could not be loaded. The server keeps serving the previous bundle.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(
        "{dir} holds no readable bundle.toml, so it is not a published bundle; make one with `missive publish LETTER --out DIR`"
    )]
    NoManifest {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid bundle manifest: {reason}")]
    BadManifest { path: PathBuf, reason: String },
    #[error("{path} cannot be served: {reason}")]
    BadPage { path: PathBuf, reason: String },
    #[error("could not read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} holds more than {limit} bytes; is --bundle pointing at the right folder?")]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{path} kept changing while it was read; is a publish running in a loop?")]
    Unstable { path: PathBuf },
}
