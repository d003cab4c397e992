//! The one signature writer: requests arrive over a channel, the writer takes everything that
//! is waiting (up to `max_batch`), stores it in one transaction with `insert_batch`, and only
//! then answers each request. Under load, batches grow by themselves (group commit); when idle,
//! a lone signature is committed at once. Nothing is acknowledged before its commit is durable.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use missive_store::{InsertOutcome, NewSigner, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// What the writer answers for one signature.
pub type WriteResult = Result<InsertOutcome, WriteError>;

/// Why a signature was not stored. Nothing was written in either case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteError {
    /// The database failed (its error is logged by the writer).
    Store,
    /// The writer is gone (shutting down).
    Closed,
    /// The queue is full.
    Busy,
}

struct Job {
    signer: NewSigner,
    reply: oneshot::Sender<WriteResult>,
}

/// Figures the benchmark and `/_missive/status` can read.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub signatures: AtomicU64,
    pub largest_batch: AtomicU64,
}

/// A handle to send signatures to the writer.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    pub stats: Arc<WriterStats>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").finish_non_exhaustive()
    }
}

impl Writer {
    /// Starts the writer task. It stops when every handle is dropped, after draining.
    pub fn spawn(
        store: Store,
        max_batch: usize,
        queue: usize,
    ) -> (Writer, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let stats = Arc::new(WriterStats::default());
        let task = tokio::spawn(run(store, rx, max_batch.max(1), stats.clone()));
        (Writer { tx, stats }, task)
    }

    /// Stores one signature; returns once it is durable (or refused).
    pub async fn write(&self, signer: NewSigner) -> WriteResult {
        let (reply, answer) = oneshot::channel();
        let job = Job { signer, reply };
        match self.tx.try_send(job) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(job)) => {
                // Wait a little for room rather than refusing at the first spike.
                let wait =
                    tokio::time::timeout(std::time::Duration::from_secs(5), self.tx.send(job))
                        .await;
                match wait {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return Err(WriteError::Closed),
                    Err(_) => return Err(WriteError::Busy),
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(WriteError::Closed),
        }
        answer.await.unwrap_or(Err(WriteError::Closed))
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>, max_batch: usize, stats: Arc<WriterStats>) {
    let mut jobs: Vec<Job> = Vec::with_capacity(max_batch);
    let mut signers: Vec<NewSigner> = Vec::with_capacity(max_batch);
    let mut replies: Vec<oneshot::Sender<WriteResult>> = Vec::with_capacity(max_batch);
    loop {
        if rx.recv_many(&mut jobs, max_batch).await == 0 {
            break;
        }
        for job in jobs.drain(..) {
            signers.push(job.signer);
            replies.push(job.reply);
        }
        let result = store.insert_batch(&signers).await;
        let n = signers.len() as u64;
        signers.clear();
        match result {
            Ok(outcomes) if outcomes.len() as u64 == n => {
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats.signatures.fetch_add(n, Ordering::Relaxed);
                stats.largest_batch.fetch_max(n, Ordering::Relaxed);
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Ok(outcomes) => {
                tracing::error!(
                    sent = n,
                    answered = outcomes.len(),
                    "the store answered a batch with the wrong number of outcomes; reporting every signature of it as not saved"
                );
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(WriteError::Store));
                }
            }
            Err(err) => {
                log_store_error(&err, n as usize);
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(WriteError::Store));
                }
            }
        }
    }
}

fn log_store_error(err: &StoreError, batch: usize) {
    if err.is_transient() {
        tracing::warn!(error = %err, batch, "a batch of signatures could not be stored; the signers were told to retry");
    } else {
        tracing::error!(error = %err, batch, "a batch of signatures could not be stored");
    }
}
