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
}

pub(crate) const COLUMNS: &str = "job_id, project_id, media_id, media_url, status, request, code, message, report, \
     created_at, modified_at, completed_at, attempts, max_attempts, lease_owner";

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
    })
}

/// A new job, queued at once: it becomes visible to workers when the transaction commits.
pub struct NewJob<'a> {
    pub job_id: &'a str,
    pub project_id: &'a str,
    pub media_id: &'a str,
    pub media_url: &'a str,
    pub request: &'a str,
    pub max_attempts: i64,
    pub now_ms: i64,
}

pub async fn insert(tx: &mut Transaction<'_, Any>, job: &NewJob<'_>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO jobs (job_id, project_id, media_id, media_url, status, request, created_at, modified_at, \
         max_attempts, run_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $7)",
    )
    .bind(job.job_id)
    .bind(job.project_id)
    .bind(job.media_id)
    .bind(job.media_url)
    .bind(status::QUEUING)
    .bind(job.request)
    .bind(job.now_ms)
    .bind(job.max_attempts)
    .execute(&mut **tx)
    .await?;
    Ok(())
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
