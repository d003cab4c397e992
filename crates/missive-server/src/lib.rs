//! The public server, the only crate that knows HTTP. It serves a published bundle from memory
//! (pre-compressed once, swapped atomically on re-publish) and takes public co-signatures
//! through one group-commit writer that acknowledges only durable commits.
//!
//! Entry points: [`serve`] binds nothing itself and runs until `shutdown` resolves;
//! [`router`] builds the application around an [`AppState`] so tests drive it in process.

mod abuse;
mod asset;
mod bundle;
mod config;
mod error;
mod files;
mod form;
mod headers;
mod i18n;
mod mail;
mod negotiate;
mod pages;
mod render;
mod reply;
mod routes;
mod sign;
mod site;
mod state;
mod writer;

use std::future::Future;
use std::net::SocketAddr;

pub use crate::abuse::solve as solve_challenge;
pub use crate::bundle::FORM_MARKER;
pub use crate::config::{AbuseConfig, ConfirmationConfig, ConfirmationMode, MailTransport, ServerConfig, WriterConfig};
pub use crate::error::{BundleError, ServerError};
pub use crate::routes::router;
pub use crate::state::AppState;
pub use crate::writer::WriterStats;

/// Runs the server on `listener` until `shutdown` resolves: opens the database, loads the
/// bundle, serves, then lets in-flight requests finish, drains the signature writer and closes
/// the database.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let state = AppState::start(config).await?;
    serve_state(listener, state, shutdown).await
}

/// [`serve`] with a state already started (e.g. on a store the caller opened).
pub async fn serve_state(
    listener: tokio::net::TcpListener,
    state: std::sync::Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let app = router(state.clone());
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        // Small responses go out at once instead of waiting for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    state.shutdown().await;
    Ok(())
}
