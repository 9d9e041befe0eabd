//! Workers: claim a queued job, run it, finish it. Each worker is a tokio task; the media work of
//! a job runs in a child process (`child`), so a crash or hang inside libav ends one job, never
//! the server. A process's workers form one [`Pool`], registered in the `workers` table
//! (`registry`) and stopped by a drain (`drain`).
//!
//! Architecture invariant: every job that is queued or running when a server dies is finished by
//! some worker later: a running job's lease expires and `db::queue::recover_expired` queues it again.

mod child;
pub mod drain;
mod execute;
mod lease;
pub mod media_job;
pub mod progress;
pub mod registry;
pub(crate) mod scratch;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::clock::now_ms;
use crate::db::{Db, DbError, queue};
use crate::settings::WorkerSettings;
use crate::storage::Buckets;
use drain::{Drain, Phase};
use registry::Running;

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
    /// Stops claiming, then running jobs, when the process is asked to stop.
    pub drain: Drain,
}

/// How long workers get to stop after their jobs were told to be handed back (killing a media
/// child is immediate; an upload in progress is not interrupted).
const HAND_BACK_GRACE: Duration = Duration::from_secs(15);

/// The `settings.workers` workers of this process.
pub struct Pool {
    ctx: WorkerContext,
    process_id: String,
    tasks: JoinSet<()>,
    running: Arc<Running>,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Pool {
    /// Registers this process and starts its workers; they run until [`Pool::drain`].
    pub async fn start(ctx: WorkerContext, wake: Arc<Notify>) -> Result<Pool, DbError> {
        // The id's random tail (its head is the time, UUIDv7): two processes with one host
        // name and pid (containers) still get ids of their own.
        let nonce = crate::ids::new_resource_id();
        let process_id = format!(
            "{}:{}:{}",
            hostname(),
            std::process::id(),
            &nonce[nonce.len() - 8..]
        );
        registry::register(&ctx.db, &process_id, &hostname(), &ctx.settings).await?;
        let swept = scratch::sweep(&ctx.db, &ctx.scratch_dir).await;
        if swept > 0 {
            tracing::info!(
                folders = swept,
                "removed the scratch of attempts killed earlier"
            );
        }
        let running = Arc::new(Running::default());
        let heartbeat = registry::spawn_heartbeat(
            ctx.db.clone(),
            process_id.clone(),
            ctx.drain.clone(),
            running.clone(),
            ctx.settings.heartbeat(),
        );
        let mut tasks = JoinSet::new();
        for n in 0..ctx.settings.workers {
            let worker = Worker {
                ctx: ctx.clone(),
                wake: wake.clone(),
                owner: format!("{process_id}:w{n}"),
                running: running.clone(),
            };
            tasks.spawn(worker.run());
        }
        tracing::info!(worker_id = %process_id, slots = ctx.settings.workers, "workers started");
        Ok(Pool {
            ctx,
            process_id,
            tasks,
            running,
            heartbeat,
        })
    }

    /// The id of this process in the registry (its workers' lease owners start with it).
    pub fn id(&self) -> &str {
        &self.process_id
    }

    /// Stops the pool: no new claims at once; running jobs get `within` to finish (or until
    /// `hurry` resolves, e.g. a second signal); the ones still running then are handed back.
    /// Returns when every worker has stopped and the registry says so.
    pub async fn drain(mut self, within: Duration, hurry: impl Future<Output = ()>) {
        self.ctx.drain.advance(Phase::Draining);
        self.running.changed();
        let running = self.running.jobs().len();
        tracing::info!(
            running,
            seconds = within.as_secs(),
            "draining: claiming no new jobs; running ones get the drain time to finish"
        );
        let finished = tokio::select! {
            r = tokio::time::timeout(within, join_all(&mut self.tasks)) => r.is_ok(),
            () = hurry => false,
        };
        if !finished {
            let left = self.running.jobs();
            tracing::warn!(jobs = ?left, "drain time is up: handing back the jobs still running");
            self.ctx.drain.advance(Phase::HandBack);
            if tokio::time::timeout(HAND_BACK_GRACE, join_all(&mut self.tasks))
                .await
                .is_err()
            {
                tracing::error!(
                    jobs = ?self.running.jobs(),
                    "workers did not stop; their jobs are taken up again when their leases expire"
                );
                self.tasks.abort_all();
            }
        }
        self.heartbeat.abort();
        // Wait until it is gone, so its last write cannot land after the goodbye.
        let _ = (&mut self.heartbeat).await;
        if let Err(e) = crate::db::workers::stopped(&self.ctx.db, &self.process_id, now_ms()).await
        {
            tracing::warn!(error = %e, "cannot mark this worker stopped in the registry");
        }
        tracing::info!(worker_id = %self.process_id, "workers stopped");
    }
}

async fn join_all(tasks: &mut JoinSet<()>) {
    while tasks.join_next().await.is_some() {}
}

/// One worker task: claims and runs one job at a time.
struct Worker {
    ctx: WorkerContext,
    wake: Arc<Notify>,
    owner: String,
    running: Arc<Running>,
}

impl Worker {
    async fn run(self) {
        let ctx = &self.ctx;
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
            if ctx.drain.phase() >= Phase::Draining {
                return;
            }
            match queue::claim(&ctx.db, &self.owner, lease_ms, now_ms()).await {
                Ok(Some(job)) => {
                    tracing::info!(job_id = %job.job_id, attempt = job.attempts, worker = %self.owner, "job claimed");
                    let job_id = job.job_id.clone();
                    self.running.add(&job_id);
                    execute::run(ctx, &self.owner, job).await;
                    if ctx.drain.phase() == Phase::HandBack {
                        self.hand_back(&job_id).await;
                    }
                    self.running.remove(&job_id);
                    // Look again at once: more jobs may be waiting.
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "claiming a job failed"),
            }
            // Submits in this process wake us at once; the poll catches jobs queued by other
            // processes and leases that expire.
            tokio::select! {
                _ = tokio::time::timeout(poll, self.wake.notified()) => {}
                () = ctx.drain.reached(Phase::Draining) => return,
            }
        }
    }

    /// After a job stopped for the hand-back (its child killed, its scratch folder removed):
    /// back to the queue, unless it finished meanwhile or is someone else's.
    async fn hand_back(&self, job_id: &str) {
        match queue::hand_back(&self.ctx.db, job_id, &self.owner, now_ms()).await {
            Ok(true) => tracing::info!(job_id, "job handed back to the queue"),
            Ok(false) => {}
            Err(e) => tracing::error!(
                job_id,
                error = %e,
                "cannot hand the job back; it is taken up again when its lease expires"
            ),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "host".to_string())
}
