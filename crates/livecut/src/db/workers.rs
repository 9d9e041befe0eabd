//! The `workers` table: the registry of worker processes. Each process writes only its own row
//! (registered at start, a heartbeat every few seconds with the jobs it runs, `stopped` on a
//! clean exit); `livecut workers` reads them all.
//!
//! The registry is for operators: a dead worker's jobs are taken back by the lease recovery in
//! `db::queue`, which never reads this table.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbError};

/// A worker process's state as it last wrote it.
pub mod state {
    pub const RUNNING: &str = "running";
    /// Claims nothing new; finishes or hands back what it runs.
    pub const DRAINING: &str = "draining";
    pub const STOPPED: &str = "stopped";
    /// Never stored: how a row that is not stopped but silent for longer than its lease is shown.
    pub const DEAD: &str = "dead";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRow {
    pub worker_id: String,
    pub host: String,
    pub pid: i64,
    pub started_at: i64,
    pub heartbeat_at: i64,
    /// The lease of its jobs: a heartbeat older than this means the process is dead.
    pub lease_ms: i64,
    pub state: String,
    /// Jobs it runs at the same time.
    pub slots: i64,
    pub running_jobs: Vec<String>,
}

impl WorkerRow {
    /// Not stopped, yet silent for longer than its lease: killed, crashed or cut off.
    pub fn is_dead(&self, now_ms: i64) -> bool {
        self.state != state::STOPPED && now_ms - self.heartbeat_at > self.lease_ms
    }

    /// The state to show: [`state::DEAD`] for a dead process, else the one it wrote.
    pub fn state_at(&self, now_ms: i64) -> &str {
        if self.is_dead(now_ms) {
            state::DEAD
        } else {
            &self.state
        }
    }
}

/// A process's own row when it starts.
pub struct NewWorker<'a> {
    pub worker_id: &'a str,
    pub host: &'a str,
    pub pid: i64,
    pub lease_ms: i64,
    pub slots: i64,
    pub now_ms: i64,
}

pub async fn register(db: &Db, w: &NewWorker<'_>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO workers (worker_id, host, pid, started_at, heartbeat_at, lease_ms, state, slots, running_jobs) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7, '')",
    )
    .bind(w.worker_id)
    .bind(w.host)
    .bind(w.pid)
    .bind(w.now_ms)
    .bind(w.lease_ms)
    .bind(state::RUNNING)
    .bind(w.slots)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The process is alive, in `state`, running `running_jobs`. A row already `stopped` stays so:
/// a heartbeat cancelled at shutdown may still reach the database after the goodbye (SQLite runs
/// statements on its own thread, so dropping the future does not unsend it).
pub async fn heartbeat(
    db: &Db,
    worker_id: &str,
    state: &str,
    running_jobs: &[String],
    now_ms: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE workers SET heartbeat_at = $1, state = $2, running_jobs = $3 \
         WHERE worker_id = $4 AND state <> $5",
    )
    .bind(now_ms)
    .bind(state)
    .bind(running_jobs.join(","))
    .bind(worker_id)
    .bind(state::STOPPED)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A clean exit: nothing runs there any more.
pub async fn stopped(db: &Db, worker_id: &str, now_ms: i64) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE workers SET heartbeat_at = $1, state = $2, running_jobs = '' WHERE worker_id = $3",
    )
    .bind(now_ms)
    .bind(state::STOPPED)
    .bind(worker_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Forgets rows not heard of since `before` (stopped or dead long ago), so the list stays short.
pub async fn purge_silent_since(db: &Db, before_ms: i64) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM workers WHERE heartbeat_at < $1")
        .bind(before_ms)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected())
}

/// Every registered worker, oldest first.
pub async fn list(db: &Db) -> Result<Vec<WorkerRow>, DbError> {
    let rows = sqlx::query(
        "SELECT worker_id, host, pid, started_at, heartbeat_at, lease_ms, state, slots, running_jobs \
         FROM workers ORDER BY started_at, worker_id",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &AnyRow) -> Result<WorkerRow, DbError> {
    let running: String = row.try_get("running_jobs")?;
    Ok(WorkerRow {
        worker_id: row.try_get("worker_id")?,
        host: row.try_get("host")?,
        pid: row.try_get("pid")?,
        started_at: row.try_get("started_at")?,
        heartbeat_at: row.try_get("heartbeat_at")?,
        lease_ms: row.try_get("lease_ms")?,
        state: row.try_get("state")?,
        slots: row.try_get("slots")?,
        running_jobs: running
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    async fn lifecycle(db: &Db) {
        let new = |id: &'static str, now_ms| NewWorker {
            worker_id: id,
            host: "h1",
            pid: 42,
            lease_ms: 1000,
            slots: 2,
            now_ms,
        };
        register(db, &new("a", 100)).await.unwrap();
        register(db, &new("b", 200)).await.unwrap();
        let jobs = ["j1".to_string(), "j2".to_string()];
        heartbeat(db, "a", state::RUNNING, &jobs, 500)
            .await
            .unwrap();
        heartbeat(db, "b", state::DRAINING, &jobs[..1], 300)
            .await
            .unwrap();
        let rows = list(db).await.unwrap();
        assert_eq!(rows.len(), 2);
        let (a, b) = (&rows[0], &rows[1]);
        assert_eq!(a.worker_id, "a", "oldest first");
        assert_eq!((a.host.as_str(), a.pid, a.slots), ("h1", 42, 2));
        assert_eq!((a.started_at, a.heartbeat_at), (100, 500));
        assert_eq!(a.running_jobs, jobs);
        assert_eq!(b.state, state::DRAINING);
        assert_eq!(b.running_jobs, ["j1"]);
        assert!(
            !a.is_dead(1500),
            "a heartbeat exactly one lease old is alive"
        );
        assert!(a.is_dead(1501));
        assert_eq!(
            (a.state_at(1500), a.state_at(1501)),
            (state::RUNNING, state::DEAD)
        );
        stopped(db, "a", 600).await.unwrap();
        let a = &list(db).await.unwrap()[0];
        assert_eq!(a.state, state::STOPPED);
        assert!(a.running_jobs.is_empty());
        assert!(!a.is_dead(1_000_000), "a stopped worker is not dead");
        heartbeat(db, "a", state::DRAINING, &jobs, 700)
            .await
            .unwrap();
        let a = &list(db).await.unwrap()[0];
        assert_eq!(
            (a.state.as_str(), a.heartbeat_at),
            (state::STOPPED, 600),
            "a late heartbeat does not undo the goodbye"
        );
        assert_eq!(purge_silent_since(db, 400).await.unwrap(), 1, "b");
        let left: Vec<_> = list(db)
            .await
            .unwrap()
            .into_iter()
            .map(|w| w.worker_id)
            .collect();
        assert_eq!(left, ["a"]);
    }

    #[tokio::test]
    async fn registry_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        lifecycle(&testing::sqlite(&dir).await).await;
    }

    #[tokio::test]
    async fn registry_on_postgres() {
        if let Some(db) = testing::postgres().await {
            lifecycle(&db).await;
        }
    }
}
