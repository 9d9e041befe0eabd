//! This process's row in the worker registry (`db::workers`): registered when its pool starts,
//! a heartbeat every few seconds with its state and running jobs (and at once when they change),
//! and `livecut workers`, which lists every process of a deployment.

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::clock::{format_api_time, now_ms};
use crate::db::workers::{self, NewWorker, state};
use crate::db::{Db, DbError};
use crate::settings::WorkerSettings;
use crate::worker::drain::{Drain, Phase};

/// The registry forgets processes it has not heard of for this long (stopped or dead).
const FORGET_AFTER_MS: i64 = 7 * 24 * 3600 * 1000;
/// The longest gap between two heartbeats (a short lease makes it shorter).
const MAX_HEARTBEAT: Duration = Duration::from_secs(5);

/// The jobs this process runs now.
#[derive(Default)]
pub struct Running {
    jobs: Mutex<BTreeSet<String>>,
    changed: Notify,
}

impl Running {
    pub fn add(&self, job_id: &str) {
        self.lock().insert(job_id.to_string());
        self.changed();
    }

    pub fn remove(&self, job_id: &str) {
        self.lock().remove(job_id);
        self.changed();
    }

    pub fn jobs(&self) -> Vec<String> {
        self.lock().iter().cloned().collect()
    }

    /// Asks for a heartbeat now (the jobs or the drain phase changed).
    pub fn changed(&self) {
        self.changed.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        // The set stays consistent whatever panicked while holding it.
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub async fn register(
    db: &Db,
    worker_id: &str,
    host: &str,
    settings: &WorkerSettings,
) -> Result<(), DbError> {
    let now = now_ms();
    workers::purge_silent_since(db, now - FORGET_AFTER_MS).await?;
    workers::register(
        db,
        &NewWorker {
            worker_id,
            host,
            pid: i64::from(std::process::id()),
            lease_ms: settings.lease().as_millis() as i64,
            slots: settings.workers as i64,
            now_ms: now,
        },
    )
    .await
}

/// Writes the row every `lease / 3` (at most [`MAX_HEARTBEAT`]) and whenever `running` changes,
/// until aborted.
pub fn spawn_heartbeat(
    db: Db,
    worker_id: String,
    drain: Drain,
    running: std::sync::Arc<Running>,
    lease_third: Duration,
) -> JoinHandle<()> {
    let every = lease_third
        .min(MAX_HEARTBEAT)
        .max(Duration::from_millis(100));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = running.changed.notified() => {}
            }
            let state = match drain.phase() {
                Phase::Running => state::RUNNING,
                Phase::Draining | Phase::HandBack => state::DRAINING,
            };
            let jobs = running.jobs();
            if let Err(e) = workers::heartbeat(&db, &worker_id, state, &jobs, now_ms()).await {
                tracing::warn!(error = %e, "worker registry heartbeat failed");
            }
        }
    })
}

/// `livecut workers`: every registered process, with its running jobs; `dead` for one silent
/// for longer than its lease (its jobs go back to the queue when their leases expire).
pub async fn print(db: &Db, json: bool) -> Result<(), DbError> {
    let now = now_ms();
    let rows = workers::list(db).await?;
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|w| {
                serde_json::json!({
                    "WorkerId": w.worker_id,
                    "Host": w.host,
                    "Pid": w.pid,
                    "State": w.state_at(now),
                    "Dead": w.is_dead(now),
                    "StartedAt": format_api_time(w.started_at),
                    "HeartbeatAt": format_api_time(w.heartbeat_at),
                    "HeartbeatAgeSeconds": (now - w.heartbeat_at) as f64 / 1000.0,
                    "LeaseSeconds": w.lease_ms as f64 / 1000.0,
                    "Slots": w.slots,
                    "RunningJobs": w.running_jobs,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
        return Ok(());
    }
    if rows.is_empty() {
        println!("no worker has registered yet");
        return Ok(());
    }
    println!(
        "{:<40} {:<9} {:>8} {:<20} {:>9} {:>5}  RUNNING JOBS",
        "WORKER", "STATE", "PID", "STARTED", "HEARTBEAT", "SLOTS"
    );
    for w in &rows {
        println!(
            "{:<40} {:<9} {:>8} {:<20} {:>8.1}s {:>5}  {}",
            w.worker_id,
            w.state_at(now),
            w.pid,
            format_api_time(w.started_at),
            (now - w.heartbeat_at) as f64 / 1000.0,
            w.slots,
            if w.running_jobs.is_empty() {
                "-".to_string()
            } else {
                w.running_jobs.join(",")
            }
        );
    }
    Ok(())
}
