//! The server's shared state and its background work. One maintainer task refreshes the public
//! count in batches and picks up re-published bundles (polling the folder's identity), building
//! a new [`Site`] off the request path and swapping it in atomically.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::http::HeaderValue;
use missive_store::{EmailSecret, EmailSecretSource, MissingSecret, Store};

use crate::abuse::{Guard, now_ms};
use crate::asset::{Asset, CachePolicy};
use crate::bundle::{Bundle, BundleIdentity};
use crate::config::{ConfirmationMode, ServerConfig};
use crate::error::{BundleError, ServerError};
use crate::headers::SecurityHeaders;
use crate::mail::Mailer;
use crate::render::{self, SIGN_JS};
use crate::site::{CountSnapshot, RenderSettings, Site};
use crate::writer::Writer;

/// Pages showing an unchanged count are still re-rendered this often, so their "as of" time
/// does not grow too old.
const PAGE_MAX_AGE: Duration = Duration::from_secs(300);

/// Rendered pages of the public list by (language, page number), with when each was made.
pub type SignersCache = HashMap<(String, u64), (Instant, Arc<Asset>)>;

/// Everything request handlers share. Build with [`AppState::start`].
pub struct AppState {
    pub config: ServerConfig,
    pub store: Store,
    /// Keys email duplicate keys; resolved once at start (config, environment, or the file
    /// beside a SQLite database), so every signature is keyed alike.
    pub email_secret: EmailSecret,
    pub writer: Writer,
    pub guard: Guard,
    pub site: ArcSwap<Site>,
    pub security: SecurityHeaders,
    pub mailer: Option<Mailer>,
    /// `sign.<hash>.js` and its asset.
    pub script_name: String,
    pub script: Arc<Asset>,
    pub server_csp: HeaderValue,
    pub settings: RenderSettings,
    /// Rendered pages of the public list, by (language, page), with when they were made.
    pub signers_cache: Mutex<SignersCache>,
    writer_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The last bundle identity that failed to load, so it is reported once.
    failed_identity: Mutex<Option<BundleIdentity>>,
    last_page_render: Mutex<Instant>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the database named in the config, loads the bundle and starts the writer and the
    /// maintainer. Must be called inside a Tokio runtime.
    pub async fn start(config: ServerConfig) -> Result<Arc<AppState>, ServerError> {
        config.validate().map_err(ServerError::Config)?;
        let store = Store::open(&config.database)
            .await
            .map_err(ServerError::Store)?;
        Self::start_with_store(config, store).await
    }

    /// Like [`AppState::start`] with an already open store (tests, embedding).
    pub async fn start_with_store(
        config: ServerConfig,
        store: Store,
    ) -> Result<Arc<AppState>, ServerError> {
        config.validate().map_err(ServerError::Config)?;
        let (email_secret, source) = store
            .email_secret(config.email_secret.as_deref(), MissingSecret::Create)
            .map_err(|err| ServerError::Config(err.to_string()))?;
        match &source {
            EmailSecretSource::Configured => {
                tracing::info!("email duplicate keys use the configured secret")
            }
            EmailSecretSource::File(path) => {
                tracing::info!(file = %path.display(), "email duplicate keys use the secret file")
            }
            EmailSecretSource::Created(path) => tracing::warn!(
                file = %path.display(),
                "made a new email secret file; back it up with the database: without it, \
                 duplicate detection forgets everyone who signed before"
            ),
        }
        match store.durability().await {
            Ok(durability) if is_durable(&durability) => tracing::info!(
                backend = %store.backend(),
                %durability,
                "signature database opened; every acknowledged signature is durable"
            ),
            Ok(durability) => tracing::warn!(
                backend = %store.backend(),
                %durability,
                "signature database opened, but its settings do not make commits durable: \
                 a power loss may lose acknowledged signatures"
            ),
            Err(err) => {
                tracing::warn!(error = %err, "could not read the database's durability settings")
            }
        }
        let mailer = match config.confirmation.mode {
            ConfirmationMode::Off => None,
            ConfirmationMode::Email => {
                Some(Mailer::new(&config.confirmation).map_err(ServerError::Mail)?)
            }
        };
        let guard = Guard::new(config.abuse.clone()).map_err(|err| {
            ServerError::Config(format!("no randomness for the server's secret: {err}"))
        })?;
        let dir = config.bundle.clone();
        let quality = config.brotli_quality;
        let bundle = tokio::task::spawn_blocking(move || Bundle::load(&dir, quality))
            .await
            .map_err(|err| ServerError::Io(std::io::Error::other(err.to_string())))??;
        let bundle = Arc::new(bundle);
        let count = store
            .count(&bundle.manifest.letter)
            .await
            .map_err(ServerError::Store)?;
        let settings = RenderSettings {
            email_required: config.confirmation.mode == ConfirmationMode::Email,
            script_name: render::script_name(),
            count_refresh_ms: config.count_refresh.as_millis() as u64,
        };
        let snapshot = CountSnapshot {
            count,
            as_of: jiff::Timestamp::now(),
        };
        let site = {
            let settings = settings.clone();
            tokio::task::spawn_blocking(move || Site::build(bundle, snapshot, &settings))
                .await
                .map_err(|err| ServerError::Io(std::io::Error::other(err.to_string())))?
        };
        let script = Arc::new(Asset::new(
            SIGN_JS.as_bytes().to_vec(),
            "text/javascript; charset=utf-8",
            CachePolicy::Immutable,
            None,
            11,
        ));
        let (writer, writer_task) =
            Writer::spawn(store.clone(), config.writer.max_batch, config.writer.queue);
        let state = Arc::new(AppState {
            security: SecurityHeaders::new(config.onion.as_deref()),
            script_name: settings.script_name.clone(),
            script,
            server_csp: render::server_page_csp(),
            settings,
            config,
            store,
            email_secret,
            writer,
            guard,
            site: ArcSwap::from_pointee(site),
            mailer,
            signers_cache: Mutex::new(HashMap::new()),
            writer_task: Mutex::new(Some(writer_task)),
            failed_identity: Mutex::new(None),
            last_page_render: Mutex::new(Instant::now()),
        });
        tokio::spawn(maintain(Arc::downgrade(&state)));
        Ok(state)
    }

    /// Refreshes the public count now (the maintainer does this every `count_refresh`).
    pub async fn refresh_count(&self) {
        let site = self.site.load_full();
        let count = match self.store.count(site.letter()).await {
            Ok(count) => count,
            Err(err) => {
                tracing::warn!(error = %err, "could not refresh the public count; showing the previous one");
                return;
            }
        };
        let snapshot = CountSnapshot {
            count,
            as_of: jiff::Timestamp::now(),
        };
        let stale = lock(&self.last_page_render).elapsed() >= PAGE_MAX_AGE;
        let next = if count != site.page_count.count || stale {
            let bundle = site.bundle.clone();
            let settings = self.settings.clone();
            match tokio::task::spawn_blocking(move || Site::build(bundle, snapshot, &settings))
                .await
            {
                Ok(next) => {
                    *lock(&self.last_page_render) = Instant::now();
                    next
                }
                Err(err) => {
                    tracing::error!(error = %err, "rendering pages with the new count failed");
                    return;
                }
            }
        } else {
            site.with_fresh_json(snapshot, self.settings.count_refresh_ms)
        };
        // A re-published bundle may have been swapped in meanwhile; only replace what we read.
        let current = self.site.load();
        if Arc::ptr_eq(&current.bundle, &site.bundle) {
            self.site.store(Arc::new(next));
        }
    }

    /// Loads the bundle again if its folder changed; keeps serving the old one on any error.
    pub async fn reload_if_changed(&self) -> Result<bool, BundleError> {
        let site = self.site.load_full();
        let dir = self.config.bundle.clone();
        let identity = {
            let dir = dir.clone();
            match tokio::task::spawn_blocking(move || BundleIdentity::read(&dir)).await {
                Ok(Ok(identity)) => identity,
                // Mid-publish the folder may briefly be missing: try again at the next poll.
                Ok(Err(_)) | Err(_) => return Ok(false),
            }
        };
        if identity == site.bundle.identity
            || lock(&self.failed_identity).as_ref() == Some(&identity)
        {
            return Ok(false);
        }
        let quality = self.config.brotli_quality;
        let loaded = tokio::task::spawn_blocking(move || Bundle::load(&dir, quality))
            .await
            .map_err(|err| BundleError::Io {
                path: self.config.bundle.clone(),
                source: std::io::Error::other(err.to_string()),
            })?;
        let bundle = match loaded {
            Ok(bundle) => Arc::new(bundle),
            Err(err) => {
                *lock(&self.failed_identity) = Some(identity);
                return Err(err);
            }
        };
        let count = if bundle.manifest.letter == site.letter() {
            site.count
        } else {
            CountSnapshot {
                count: self.store.count(&bundle.manifest.letter).await.unwrap_or(0),
                as_of: jiff::Timestamp::now(),
            }
        };
        let settings = self.settings.clone();
        let next = tokio::task::spawn_blocking(move || Site::build(bundle, count, &settings))
            .await
            .map_err(|err| BundleError::Io {
                path: self.config.bundle.clone(),
                source: std::io::Error::other(err.to_string()),
            })?;
        tracing::info!(
            letter = %next.bundle.manifest.letter,
            version = next.bundle.manifest.version,
            "serving the re-published bundle"
        );
        self.site.store(Arc::new(next));
        lock(&self.signers_cache).clear();
        Ok(true)
    }

    /// Stops taking signatures: waits until the writer has answered everything it was given,
    /// then closes the database (SQLite checkpoints its log).
    pub async fn shutdown(self: Arc<Self>) {
        let task = lock(&self.writer_task).take();
        let store = self.store.clone();
        // Dropping the last handle to the writer lets it finish its queue and stop.
        drop(self);
        if let Some(task) = task {
            match tokio::time::timeout(Duration::from_secs(30), task).await {
                Ok(_) => {}
                Err(_) => tracing::warn!("the signature writer did not stop within 30 s"),
            }
        }
        store.close().await;
    }
}

async fn maintain(state: Weak<AppState>) {
    let (count_every, reload_every) = match state.upgrade() {
        Some(s) => (s.config.count_refresh, s.config.reload_poll),
        None => return,
    };
    let mut count_tick = tokio::time::interval(count_every);
    let mut reload_tick = tokio::time::interval(reload_every.max(Duration::from_millis(50)));
    let mut prune_tick = tokio::time::interval(Duration::from_secs(60));
    for tick in [&mut count_tick, &mut reload_tick, &mut prune_tick] {
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    }
    loop {
        tokio::select! {
            _ = count_tick.tick() => {
                let Some(s) = state.upgrade() else { return };
                s.refresh_count().await;
            }
            _ = reload_tick.tick() => {
                let Some(s) = state.upgrade() else { return };
                if let Err(err) = s.reload_if_changed().await {
                    tracing::error!(error = %err, "the re-published bundle cannot be served; still serving the previous one");
                }
            }
            _ = prune_tick.tick() => {
                let Some(s) = state.upgrade() else { return };
                s.guard.prune(now_ms());
                {
                    let mut cache = lock(&s.signers_cache);
                    let ttl = s.config.count_refresh;
                    cache.retain(|_, (made, _)| made.elapsed() < ttl);
                }
                if s.config.confirmation.mode == ConfirmationMode::Email {
                    // Pending signatures whose link expired are never counted: remove them, so
                    // nothing is kept about people who did not confirm.
                    match s.store.purge_expired(jiff::Timestamp::now()).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(removed = n, "removed expired unconfirmed signatures"),
                        Err(err) => tracing::warn!(error = %err, "could not remove expired unconfirmed signatures"),
                    }
                }
            }
        }
    }
}

/// Whether `Store::durability` reports commits that survive a power loss: SQLite with
/// `synchronous=full` or `extra`; PostgreSQL with any `synchronous_commit` but `off` (even
/// `local` flushes the server's own WAL before answering).
fn is_durable(durability: &str) -> bool {
    durability
        .split_whitespace()
        .all(|setting| match setting.split_once('=') {
            Some(("synchronous", value)) => matches!(value, "full" | "extra"),
            Some(("synchronous_commit", value)) => value != "off",
            _ => true,
        })
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::is_durable;

    #[test]
    fn durability_settings_are_judged() {
        assert!(is_durable("journal_mode=wal synchronous=full"));
        assert!(!is_durable("journal_mode=wal synchronous=normal"));
        assert!(is_durable("synchronous_commit=on"));
        assert!(is_durable("synchronous_commit=remote_apply"));
        assert!(!is_durable("synchronous_commit=off"));
    }
}
