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
}

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
        let lease_ms = lease.as_millis() as i64;
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
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
        LeaseKeeper { lost, task }
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
