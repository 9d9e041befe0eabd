//! The job queue on the `jobs` table: claim with a lease, renew it, finish fenced by the lease
//! owner (the job and its media asset together), and take back jobs whose worker died.
//!
//! Architecture invariant: a job is changed by a worker only while that worker holds its lease
//! (`lease_owner` matches); a worker that lost its lease stops and writes nothing, neither to
//! the job nor to its media asset.

use super::jobs::{COLUMNS, JobRow, from_row, status};
use super::{Db, DbError, Dialect};
use super::{callbacks, media, projects, usage};
use crate::code::ErrorCode;

/// Takes the oldest queued job, if any, for `owner` until `now + lease`.
pub async fn claim(
    db: &Db,
    owner: &str,
    lease_ms: i64,
    now_ms: i64,
) -> Result<Option<JobRow>, DbError> {
    // PostgreSQL: SKIP LOCKED lets concurrent claimers pass each other. SQLite: the UPDATE runs
    // under the single writer lock, so the sub-select cannot hand one job to two claimers.
    let lock = match db.dialect {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET status = $1, lease_owner = $2, lease_expires_at = $3, attempts = attempts + 1, \
         modified_at = $4, started_at = $4, progress = '' WHERE job_id = (SELECT job_id FROM jobs WHERE status = $5 AND run_at <= $4 \
         ORDER BY run_at, job_id LIMIT 1{lock}) AND status = $5 RETURNING {COLUMNS}"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(status::PROCESSING)
        .bind(owner)
        .bind(now_ms + lease_ms)
        .bind(now_ms)
        .bind(status::QUEUING)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Renews the lease; false when this worker no longer owns the job and must stop.
pub async fn heartbeat(
    db: &Db,
    job_id: &str,
    owner: &str,
    lease_ms: i64,
    now_ms: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE jobs SET lease_expires_at = $1 WHERE job_id = $2 AND lease_owner = $3 AND status = $4",
    )
    .bind(now_ms + lease_ms)
    .bind(job_id)
    .bind(owner)
    .bind(status::PROCESSING)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records how far a running job is (`progress`, JSON), fenced like every write of a running
/// job; false when `owner` no longer holds it.
pub async fn set_progress(
    db: &Db,
    job_id: &str,
    owner: &str,
    progress: &str,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE jobs SET progress = $1 WHERE job_id = $2 AND lease_owner = $3 AND status = $4",
    )
    .bind(progress)
    .bind(job_id)
    .bind(owner)
    .bind(status::PROCESSING)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// How a job ended.
#[derive(Clone, Copy)]
pub enum Outcome<'a> {
    /// The output is published; its asset becomes `Normal` with these facts.
    Success {
        report: &'a str,
        media: media::Ready<'a>,
    },
    /// The asset becomes `ProduceFailed`.
    Failed {
        code: ErrorCode,
        message: &'a str,
        report: &'a str,
    },
}

/// Ends the job and its media asset in one transaction if `owner` still holds the lease; false
/// when the lease was lost (someone else may be running it now, so nothing was written).
pub async fn finish(
    db: &Db,
    job_id: &str,
    owner: &str,
    outcome: Outcome<'_>,
    now_ms: i64,
) -> Result<bool, DbError> {
    let (state, code, message, report, ready) = match outcome {
        Outcome::Success { report, media } => (status::SUCCESS, "", "", report, Some(media)),
        Outcome::Failed {
            code,
            message,
            report,
        } => (status::FAILED, code.as_str(), message, report, None),
    };
    // The fenced job update goes first: once it matched, the job's row is ours (locked on
    // PostgreSQL, the single writer lock on SQLite) until commit, so no other worker can take the
    // lease between it and the asset's update. If it did not match, nothing is written.
    let mut tx = db.pool.begin().await?;
    let r = sqlx::query(
        "UPDATE jobs SET status = $1, code = $2, message = $3, report = $4, modified_at = $5, \
         completed_at = $5, lease_owner = NULL, lease_expires_at = NULL \
         WHERE job_id = $6 AND lease_owner = $7 AND status = $8",
    )
    .bind(state)
    .bind(code)
    .bind(message)
    .bind(report)
    .bind(now_ms)
    .bind(job_id)
    .bind(owner)
    .bind(status::PROCESSING)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    media::finish_in(&mut tx, job_id, ready, now_ms).await?;
    let ended = usage::Ended {
        succeeded: ready.is_some(),
        output_ms: ready.map_or(0, |r| r.duration_ms),
        output_bytes: ready.map_or(0, |r| r.file_size),
    };
    usage::record_in(&mut tx, job_id, ended, now_ms).await?;
    projects::set_ended_in(&mut tx, job_id, ended.succeeded, now_ms).await?;
    // The completion event, in the same transaction: written exactly when the job ends.
    callbacks::enqueue_in(&mut tx, job_id, now_ms).await?;
    tx.commit().await?;
    Ok(true)
}

/// Gives a running job back to the queue when its worker stops before finishing it (a drain
/// whose time ran out): `Queuing` again at its old place in line, and the attempt does not count,
/// since the job did nothing wrong. Fenced like every write of a running job: false when `owner`
/// no longer holds it (it finished, or another worker took it over).
pub async fn hand_back(db: &Db, job_id: &str, owner: &str, now_ms: i64) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE jobs SET status = $1, lease_owner = NULL, lease_expires_at = NULL, \
         attempts = attempts - 1, modified_at = $2 WHERE job_id = $3 AND lease_owner = $4 AND status = $5",
    )
    .bind(status::QUEUING)
    .bind(now_ms)
    .bind(job_id)
    .bind(owner)
    .bind(status::PROCESSING)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Puts a running job back in the queue until `run_at_ms`: its clip ends in the future (no
/// worker waits for the recorder that long; the attempt does not count), or its media process
/// was killed and it gets another attempt (`counts`). Fenced by the lease.
pub async fn defer(
    db: &Db,
    job_id: &str,
    owner: &str,
    run_at_ms: i64,
    counts: bool,
    now_ms: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE jobs SET status = $1, lease_owner = NULL, lease_expires_at = NULL, \
         attempts = attempts - $7, modified_at = $2, run_at = $3 \
         WHERE job_id = $4 AND lease_owner = $5 AND status = $6",
    )
    .bind(status::QUEUING)
    .bind(now_ms)
    .bind(run_at_ms)
    .bind(job_id)
    .bind(owner)
    .bind(status::PROCESSING)
    .bind(i64::from(!counts))
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Jobs whose lease expired: queued again, or failed when their attempts are used up (a job that
/// kills its worker every time must not cycle forever). Returns (requeued, failed).
pub async fn recover_expired(db: &Db, now_ms: i64) -> Result<(u64, u64), DbError> {
    let mut tx = db.pool.begin().await?;
    // Jobs out of attempts end here as their worker would have ended them: each one's failure,
    // asset, usage, project and completion event in this transaction. Each is failed by a
    // fenced update of its own, so two processes recovering at once never end one job twice.
    let abandoned: Vec<String> = sqlx::query_scalar(
        "SELECT job_id FROM jobs WHERE status = $1 AND lease_expires_at < $2 \
         AND attempts >= max_attempts",
    )
    .bind(status::PROCESSING)
    .bind(now_ms)
    .fetch_all(&mut *tx)
    .await?;
    let mut failed = 0u64;
    for job_id in &abandoned {
        let ended = sqlx::query(
            "UPDATE jobs SET status = $1, code = $4, \
             message = 'The job was abandoned by its worker ' || CAST(attempts AS TEXT) || ' times (worker process died or lost its lease); giving up.', \
             modified_at = $2, completed_at = $2, lease_owner = NULL, lease_expires_at = NULL \
             WHERE job_id = $5 AND status = $3 AND lease_expires_at < $2 AND attempts >= max_attempts",
        )
        .bind(status::FAILED)
        .bind(now_ms)
        .bind(status::PROCESSING)
        .bind(ErrorCode::InternalError.as_str())
        .bind(job_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if ended != 1 {
            continue;
        }
        failed += 1;
        media::finish_in(&mut tx, job_id, None, now_ms).await?;
        let lost = usage::Ended {
            succeeded: false,
            output_ms: 0,
            output_bytes: 0,
        };
        usage::record_in(&mut tx, job_id, lost, now_ms).await?;
        projects::set_ended_in(&mut tx, job_id, false, now_ms).await?;
        callbacks::enqueue_in(&mut tx, job_id, now_ms).await?;
    }
    tx.commit().await?;
    let requeued = sqlx::query(
        "UPDATE jobs SET status = $1, lease_owner = NULL, lease_expires_at = NULL, modified_at = $2, run_at = $2 \
         WHERE status = $3 AND lease_expires_at < $2",
    )
    .bind(status::QUEUING)
    .bind(now_ms)
    .bind(status::PROCESSING)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok((requeued, failed))
}

#[cfg(test)]
mod tests;
