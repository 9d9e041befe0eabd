//! Workers: claim a queued job, run it, finish it. Each worker is a tokio task; the media work of
//! a job runs in a child process (`child`), so a crash or hang inside libav ends one job, never
//! the server.
//!
//! Architecture invariant: every job that is queued or running when a server dies is finished by
//! some worker later: a running job's lease expires and `db::queue::recover_expired` queues it again.

mod child;
mod execute;
mod lease;
pub mod media_job;
mod notify;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::clock::now_ms;
use crate::db::{Db, queue};
use crate::settings::WorkerSettings;
use crate::storage::Buckets;

#[derive(Clone)]
pub struct WorkerContext {
    pub db: Db,
    pub buckets: Buckets,
    /// The configured `[[streams]]` folders of recordings.
    pub streams: Arc<[crate::config::StreamSource]>,
    /// The configuration file, which `media-job` children read again (for the buckets their
    /// downloads come from; secrets stay in the environment and files it names).
    pub config_path: Option<PathBuf>,
    pub recordings_dir: PathBuf,
    pub scratch_dir: PathBuf,
    pub settings: WorkerSettings,
    /// The executable that runs `media-job` children (this binary).
    pub exe: PathBuf,
}

/// Starts `settings.workers` workers. They run until the process ends.
pub fn spawn_pool(ctx: WorkerContext, wake: Arc<Notify>) {
    let process_id = format!(
        "{}:{}:{}",
        hostname(),
        std::process::id(),
        &crate::ids::new_resource_id()[..8]
    );
    for n in 0..ctx.settings.workers {
        let ctx = ctx.clone();
        let wake = wake.clone();
        let owner = format!("{process_id}:w{n}");
        tokio::spawn(async move { run_worker(ctx, wake, owner).await });
    }
}

async fn run_worker(ctx: WorkerContext, wake: Arc<Notify>, owner: String) {
    let lease_ms = ctx.settings.lease().as_millis() as i64;
    let poll = Duration::from_millis(ctx.settings.poll_millis.max(10));
    loop {
        match queue::recover_expired(&ctx.db, now_ms()).await {
            Ok((0, 0)) => {}
            Ok((requeued, failed)) => {
                tracing::warn!(
                    requeued,
                    failed,
                    "took back jobs whose worker stopped renewing its lease"
                );
            }
            Err(e) => tracing::error!(error = %e, "lease recovery failed"),
        }
        match queue::claim(&ctx.db, &owner, lease_ms, now_ms()).await {
            Ok(Some(job)) => {
                tracing::info!(job_id = %job.job_id, attempt = job.attempts, worker = %owner, "job claimed");
                execute::run(&ctx, &owner, job).await;
                // Look again at once: more jobs may be waiting.
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "claiming a job failed"),
        }
        // Submits in this process wake us at once; the poll catches jobs queued by other
        // processes and leases that expire.
        let _ = tokio::time::timeout(poll, wake.notified()).await;
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "host".to_string())
}
