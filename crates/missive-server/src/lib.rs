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
pub use crate::config::{
    AbuseConfig, ConfirmationConfig, ConfirmationMode, MailTransport, ServerConfig, WriterConfig,
};
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
///
/// HTTP is answered by `http_threads` threads (one per core by default), each running its own
/// single-threaded event loop on a clone of the listening socket: a connection is accepted,
/// read and answered on one thread, as in nginx's worker model. The signature writer and the
/// maintainer stay on the caller's runtime.
pub async fn serve_state(
    listener: tokio::net::TcpListener,
    state: std::sync::Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let threads = match state.config.http_threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let listener = listener.into_std()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Each HTTP thread reports here when it ends; one ending early stops the server.
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<std::io::Result<()>>();
    for i in 0..threads {
        let listener = listener.try_clone()?;
        let app = router(state.clone());
        let mut stop = stop_rx.clone();
        let done = done_tx.clone();
        std::thread::Builder::new()
            .name(format!("missive-http-{i}"))
            .spawn(move || {
                let result = (|| -> std::io::Result<()> {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async move {
                        let listener = tokio::net::TcpListener::from_std(listener)?;
                        let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
                            // Small responses go out at once instead of waiting for Nagle.
                            let _ = stream.set_nodelay(true);
                        });
                        axum::serve(
                            listener,
                            app.into_make_service_with_connect_info::<SocketAddr>(),
                        )
                        .with_graceful_shutdown(async move {
                            let _ = stop.wait_for(|stopped| *stopped).await;
                        })
                        .await
                    })
                })();
                let _ = done.send(result);
            })?;
    }
    drop(listener);
    drop(done_tx);
    let mut result = Ok(());
    let mut running = threads;
    tokio::select! {
        _ = shutdown => {}
        ended = done_rx.recv() => {
            running -= 1;
            result = match ended {
                Some(Err(err)) => Err(ServerError::Io(err)),
                _ => Err(ServerError::Io(std::io::Error::other("an HTTP thread stopped unexpectedly"))),
            };
        }
    }
    let _ = stop_tx.send(true);
    while running > 0 {
        match done_rx.recv().await {
            Some(Ok(())) => {}
            Some(Err(err)) => {
                if result.is_ok() {
                    result = Err(ServerError::Io(err));
                }
            }
            // A thread that panicked drops its sender without reporting.
            None => break,
        }
        running -= 1;
    }
    state.shutdown().await;
    result
}
