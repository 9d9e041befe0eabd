//! Rows of the `jobs` table as stored. JSON columns stay strings here; `job::record` gives them
//! their types. State transitions of running jobs live in `db::queue`.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{Db, DbError};

/// The IMS job statuses, which double as queue states.
pub mod status {
    pub const QUEUING: &str = "Queuing";
    pub const PROCESSING: &str = "Processing";
    pub const SUCCESS: &str = "Success";
    pub const FAILED: &str = "Failed";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub job_id: String,
    pub project_id: String,
    pub media_id: String,
    pub media_url: String,
    pub status: String,
    /// JSON of `job::request::JobRequest`.
    pub request: String,
    pub code: String,
    pub message: String,
    /// JSON of `job::report::JobReport`, empty until the job ends.
    pub report: String,
    pub created_at: i64,
    pub modified_at: i64,
    pub completed_at: Option<i64>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub lease_owner: Option<String>,
    /// The account of the key that submitted it.
    pub account: String,
    /// How far it is, JSON (`worker::progress`); empty until a worker reports.
    pub progress: String,
}

pub(crate) const COLUMNS: &str = "job_id, project_id, media_id, media_url, status, request, code, message, report, \
     created_at, modified_at, completed_at, attempts, max_attempts, lease_owner, account, progress";

pub(crate) fn from_row(row: &AnyRow) -> Result<JobRow, DbError> {
    Ok(JobRow {
        job_id: row.try_get("job_id")?,
        project_id: row.try_get("project_id")?,
        media_id: row.try_get("media_id")?,
        media_url: row.try_get("media_url")?,
        status: row.try_get("status")?,
        request: row.try_get("request")?,
        code: row.try_get("code")?,
        message: row.try_get("message")?,
        report: row.try_get("report")?,
        created_at: row.try_get("created_at")?,
        modified_at: row.try_get("modified_at")?,
        completed_at: row.try_get("completed_at")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        lease_owner: row.try_get("lease_owner")?,
        account: row.try_get("account")?,
        progress: row.try_get("progress")?,
    })
}

/// A new job, queued at once: it becomes visible to workers when the transaction commits.
pub struct NewJob<'a> {
    pub job_id: &'a str,
    pub project_id: &'a str,
    pub media_id: &'a str,
    pub media_url: &'a str,
    /// The request's cut mode (`Mode::as_str`), a column of its own for counting by mode.
    pub mode: &'a str,
    pub request: &'a str,
    pub max_attempts: i64,
    pub now_ms: i64,
    pub account: &'a str,
}

pub async fn insert(tx: &mut Transaction<'_, Any>, job: &NewJob<'_>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO jobs (job_id, project_id, media_id, media_url, status, request, created_at, modified_at, \
         max_attempts, run_at, mode, account) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $7, $9, $10)",
    )
    .bind(job.job_id)
    .bind(job.project_id)
    .bind(job.media_id)
    .bind(job.media_url)
    .bind(status::QUEUING)
    .bind(job.request)
    .bind(job.now_ms)
    .bind(job.max_attempts)
    .bind(job.mode)
    .bind(job.account)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The account of job `job_id`, read inside `tx`.
pub async fn account_of_in(
    tx: &mut Transaction<'_, Any>,
    job_id: &str,
) -> Result<Option<String>, DbError> {
    let row = sqlx::query("SELECT account FROM jobs WHERE job_id = $1")
        .bind(job_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| r.try_get("account").map_err(DbError::from))
        .transpose()
}

pub async fn get(db: &Db, job_id: &str) -> Result<Option<JobRow>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE job_id = $1"
    )))
    .bind(job_id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// What `/metrics` reports about the jobs table, read at scrape time so that every process of a
/// scale-out reports the database's truth, whichever processes died.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Census {
    /// (status, mode, count) for every pair with at least one job.
    pub by_status_and_mode: Vec<(String, String, i64)>,
    /// When the oldest job still `Queuing` was submitted (ms), if any is.
    pub oldest_queued_created_at: Option<i64>,
}

impl Census {
    /// Jobs waiting for a worker.
    pub fn queue_depth(&self) -> i64 {
        self.by_status_and_mode
            .iter()
            .filter(|(s, _, _)| s == status::QUEUING)
            .map(|(_, _, n)| n)
            .sum()
    }
}

pub async fn census(db: &Db) -> Result<Census, DbError> {
    let rows = sqlx::query(
        "SELECT status, mode, COUNT(*) AS n FROM jobs GROUP BY status, mode ORDER BY status, mode",
    )
    .fetch_all(&db.pool)
    .await?;
    let by_status_and_mode = rows
        .iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("mode")?, r.try_get("n")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let oldest: Option<i64> =
        sqlx::query_scalar("SELECT MIN(created_at) FROM jobs WHERE status = $1")
            .bind(status::QUEUING)
            .fetch_one(&db.pool)
            .await?;
    Ok(Census {
        by_status_and_mode,
        oldest_queued_created_at: oldest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{queue, testing};

    async fn add(db: &Db, id: &str, mode: &str, now_ms: i64) {
        let mut tx = db.pool.begin().await.unwrap();
        let job = NewJob {
            job_id: id,
            project_id: "p",
            media_id: id,
            media_url: "oss://b/k.mp4",
            mode,
            request: "{}",
            max_attempts: 3,
            now_ms,
            account: "default",
        };
        insert(&mut tx, &job).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn census_counts_by_status_and_mode(db: &Db) {
        assert_eq!(census(db).await.unwrap(), Census::default());
        add(db, "a", "AccurateFast", 10).await;
        add(db, "b", "RoughFast", 20).await;
        add(db, "c", "AccurateFast", 30).await;
        let claimed = queue::claim(db, "w", 1000, 40).await.unwrap().unwrap();
        assert_eq!(claimed.job_id, "a");
        let c = census(db).await.unwrap();
        let row = |s: &str, m: &str, n: i64| (s.to_string(), m.to_string(), n);
        assert_eq!(
            c.by_status_and_mode,
            [
                row(status::PROCESSING, "AccurateFast", 1),
                row(status::QUEUING, "AccurateFast", 1),
                row(status::QUEUING, "RoughFast", 1),
            ]
        );
        assert_eq!(c.queue_depth(), 2);
        assert_eq!(c.oldest_queued_created_at, Some(20));
    }

    #[tokio::test]
    async fn census_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        census_counts_by_status_and_mode(&testing::sqlite(&dir).await).await;
    }

    #[tokio::test]
    async fn census_on_postgres() {
        if let Some(db) = testing::postgres().await {
            census_counts_by_status_and_mode(&db).await;
        }
    }
}
