//! Keeping a claimed job's lease alive for as long as the worker works on it (planning, waiting
//! for a live recording, cutting, publishing), and telling the worker the moment it must stop:
//! the lease is lost, or the pool's drain time ran out and the job is to be handed back (the
//! worker then stops exactly as after a loss, and its pool hands the job back, `worker::drain`).

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::now_ms;
use crate::db::{Db, queue};
use crate::worker::drain::{Drain, Phase};

pub struct LeaseKeeper {
    lost: watch::Receiver<bool>,
    task: JoinHandle<()>,
    /// The job's latest progress (JSON), written into its row by the keeper task.
    progress: watch::Sender<String>,
}

/// How often a changed progress is written into the job's row.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

impl LeaseKeeper {
    pub fn start(
        db: Db,
        job_id: String,
        owner: String,
        lease: Duration,
        every: Duration,
        drain: Drain,
    ) -> Self {
        let (tx, lost) = watch::channel(false);
        let (progress, mut reported) = watch::channel(String::new());
        let lease_ms = lease.as_millis() as i64;
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            let mut progress_tick = tokio::time::interval(PROGRESS_EVERY);
            // Progress is written beside the heartbeat, never in its way: a slow write delays
            // only the next progress report.
            let mut writing: Option<JoinHandle<()>> = None;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = progress_tick.tick() => {
                        let idle = writing.as_ref().is_none_or(JoinHandle::is_finished);
                        if idle && reported.has_changed().unwrap_or(false) {
                            let value = reported.borrow_and_update().clone();
                            let (db, job_id, owner) = (db.clone(), job_id.clone(), owner.clone());
                            writing = Some(tokio::spawn(async move {
                                // A lost write is only a stale progress; the lease decides the rest.
                                if let Err(e) = queue::set_progress(&db, &job_id, &owner, &value).await {
                                    tracing::debug!(job_id, error = %e, "progress not recorded");
                                }
                            }));
                        }
                        continue;
                    }
                    () = drain.reached(Phase::HandBack) => {
                        tracing::warn!(job_id, "drain time is up; stopping the job to hand it back");
                        let _ = tx.send(true);
                        return;
                    }
                }
                match queue::heartbeat(&db, &job_id, &owner, lease_ms, now_ms()).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job_id, "lease lost; abandoning the job");
                        let _ = tx.send(true);
                        return;
                    }
                    // A database hiccup is not a lost lease; the next beat tries again.
                    Err(e) => tracing::warn!(job_id, error = %e, "lease renewal failed"),
                }
            }
        });
        LeaseKeeper {
            lost,
            task,
            progress,
        }
    }

    /// Reports how far the job is (written into its row within a second).
    pub fn report(&self, progress: &serde_json::Value) {
        self.progress.send_replace(progress.to_string());
    }

    /// A handle that reports progress while the keeper itself is borrowed elsewhere.
    pub fn reporter(&self) -> watch::Sender<String> {
        self.progress.clone()
    }

    pub fn is_lost(&self) -> bool {
        *self.lost.borrow()
    }

    /// Resolves when the lease is lost or the job is to be handed back (never, while it is kept).
    pub async fn lost(&mut self) {
        while !*self.lost.borrow() {
            if self.lost.changed().await.is_err() {
                // The keeper task ended without reporting a loss: wait forever.
                std::future::pending::<()>().await;
            }
        }
    }
}

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        self.task.abort();
    }
}
