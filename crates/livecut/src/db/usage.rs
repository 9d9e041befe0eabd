//! Usage per account: jobs, output seconds and bytes per mode and UTC day (metered when each job
//! ends, in the transaction that ends it), and what the account stores now (its media assets).
//! Read by `livecut usage` and at each `/metrics` scrape.

use sqlx::{Any, Row, Transaction};

use super::media;
use super::{Db, DbError};

const DAY_MS: i64 = 86_400_000;

/// The UTC day number (days since 1970-01-01) of a time in ms.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// What one job's end adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    pub succeeded: bool,
    /// Duration of the output (0 for a failure).
    pub output_ms: i64,
    /// Size of the output file (0 for a failure).
    pub output_bytes: i64,
}

/// Adds a job's end to its account's usage, inside the transaction that ends the job (so it is
/// counted exactly once: `db::queue::finish` is fenced by the lease).
pub(super) async fn record_in(
    tx: &mut Transaction<'_, Any>,
    job_id: &str,
    ended: Ended,
    now_ms: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO account_usage (account, day, mode, jobs_succeeded, jobs_failed, output_ms, \
         output_bytes) SELECT account, $1, mode, $2, $3, $4, $5 FROM jobs WHERE job_id = $6 \
         ON CONFLICT (account, day, mode) DO UPDATE SET \
         jobs_succeeded = account_usage.jobs_succeeded + excluded.jobs_succeeded, \
         jobs_failed = account_usage.jobs_failed + excluded.jobs_failed, \
         output_ms = account_usage.output_ms + excluded.output_ms, \
         output_bytes = account_usage.output_bytes + excluded.output_bytes",
    )
    .bind(day_of(now_ms))
    .bind(i64::from(ended.succeeded))
    .bind(i64::from(!ended.succeeded))
    .bind(ended.output_ms)
    .bind(ended.output_bytes)
    .bind(job_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One account's usage in one mode over a range of days.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModeUsage {
    pub account: String,
    /// The job's mode as stored (empty for jobs from before modes were stored).
    pub mode: String,
    pub jobs_succeeded: i64,
    pub jobs_failed: i64,
    pub output_ms: i64,
    pub output_bytes: i64,
}

/// Usage from day `from` to day `to` (inclusive), per account and mode, of one account or all.
pub async fn by_mode(
    db: &Db,
    account: Option<&str>,
    (from, to): (i64, i64),
) -> Result<Vec<ModeUsage>, DbError> {
    let rows = sqlx::query(
        // PostgreSQL sums BIGINTs as NUMERIC, which sqlx::Any cannot decode: cast back.
        "SELECT account, mode, CAST(SUM(jobs_succeeded) AS BIGINT) AS ok, \
         CAST(SUM(jobs_failed) AS BIGINT) AS failed, CAST(SUM(output_ms) AS BIGINT) AS ms, \
         CAST(SUM(output_bytes) AS BIGINT) AS bytes FROM account_usage \
         WHERE day >= $1 AND day <= $2 AND ($3 = '' OR account = $3) \
         GROUP BY account, mode ORDER BY account, mode",
    )
    .bind(from)
    .bind(to)
    .bind(account.unwrap_or(""))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ModeUsage {
                account: r.try_get("account")?,
                mode: r.try_get("mode")?,
                jobs_succeeded: r.try_get("ok")?,
                jobs_failed: r.try_get("failed")?,
                output_ms: r.try_get("ms")?,
                output_bytes: r.try_get("bytes")?,
            })
        })
        .collect()
}

/// What an account stores now: its finished media assets and their bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub account: String,
    pub assets: i64,
    pub bytes: i64,
}

pub async fn stored(db: &Db, account: Option<&str>) -> Result<Vec<Stored>, DbError> {
    let rows = sqlx::query(
        "SELECT account, COUNT(*) AS assets, CAST(SUM(file_size) AS BIGINT) AS bytes \
         FROM media_assets \
         WHERE status = $1 AND ($2 = '' OR account = $2) GROUP BY account ORDER BY account",
    )
    .bind(media::status::NORMAL)
    .bind(account.unwrap_or(""))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Stored {
                account: r.try_get("account")?,
                assets: r.try_get("assets")?,
                bytes: r.try_get("bytes")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{jobs, queue, testing};

    async fn add_job(db: &Db, id: &str, account: &str, mode: &str, now_ms: i64) {
        let mut tx = db.pool.begin().await.unwrap();
        let media = media::MediaRow {
            media_id: format!("m-{id}"),
            job_id: id.into(),
            input_url: format!("oss://b/{id}.mp4"),
            bucket: "b".into(),
            object_key: format!("{id}.mp4"),
            status: media::status::PREPARING.into(),
            title: String::new(),
            cover_url: String::new(),
            user_data: String::new(),
            probe: String::new(),
            file_size: 0,
            created_at: now_ms,
            modified_at: now_ms,
            account: account.into(),
            library: media::LibraryFields::default(),
        };
        media::insert(&mut tx, &media).await.unwrap();
        let job = jobs::NewJob {
            job_id: id,
            project_id: "p",
            media_id: &media.media_id,
            media_url: &media.input_url,
            mode,
            request: "{}",
            max_attempts: 3,
            now_ms,
            account,
        };
        jobs::insert(&mut tx, &job).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn end(db: &Db, id: &str, outcome: queue::Outcome<'_>, now_ms: i64) -> bool {
        let claimed = queue::claim(db, "w1", 60_000, now_ms).await.unwrap();
        assert_eq!(claimed.map(|j| j.job_id).as_deref(), Some(id));
        queue::finish(db, id, "w1", outcome, now_ms).await.unwrap()
    }

    async fn meters_each_end_once_per_account_mode_and_day(db: &Db) {
        let day = 20_000 * DAY_MS;
        let ready = media::Ready {
            probe_json: "{}",
            file_size: 1_000,
            cover_url: "",
            duration_ms: 30_500,
        };
        let success = queue::Outcome::Success {
            report: "{}",
            media: ready,
        };
        let failure = queue::Outcome::Failed {
            code: crate::code::ErrorCode::InternalError,
            message: "m",
            report: "",
        };
        add_job(db, "a1", "alpha", "AccurateFast", day).await;
        assert!(end(db, "a1", success, day + 10).await);
        // A second end of the same job (a lost lease) changes nothing.
        assert!(
            !queue::finish(db, "a1", "w1", success, day + 11)
                .await
                .unwrap()
        );
        add_job(db, "a2", "alpha", "AccurateFast", day + 20).await;
        assert!(end(db, "a2", success, day + 30).await);
        add_job(db, "a3", "alpha", "RoughFast", day + 40).await;
        assert!(end(db, "a3", failure, day + 50).await);
        add_job(db, "b1", "beta", "RoughFast", day + DAY_MS).await;
        assert!(end(db, "b1", success, day + DAY_MS).await);

        let all = by_mode(db, None, (0, i64::MAX)).await.unwrap();
        let row = |account: &str, mode: &str| {
            all.iter()
                .find(|u| u.account == account && u.mode == mode)
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(all.len(), 3, "{all:?}");
        let fast = row("alpha", "AccurateFast");
        assert_eq!(
            (
                fast.jobs_succeeded,
                fast.jobs_failed,
                fast.output_ms,
                fast.output_bytes
            ),
            (2, 0, 61_000, 2_000)
        );
        let failed = row("alpha", "RoughFast");
        assert_eq!(
            (failed.jobs_succeeded, failed.jobs_failed, failed.output_ms),
            (0, 1, 0)
        );
        // Day ranges and one account.
        let first_day = by_mode(db, None, (20_000, 20_000)).await.unwrap();
        assert!(
            first_day.iter().all(|u| u.account == "alpha"),
            "{first_day:?}"
        );
        let beta = by_mode(db, Some("beta"), (0, i64::MAX)).await.unwrap();
        assert_eq!(beta.len(), 1);
        assert_eq!(beta[0].output_ms, 30_500);

        let stored = stored(db, None).await.unwrap();
        assert_eq!(
            stored,
            vec![
                Stored {
                    account: "alpha".into(),
                    assets: 2,
                    bytes: 2_000
                },
                Stored {
                    account: "beta".into(),
                    assets: 1,
                    bytes: 1_000
                },
            ]
        );
    }

    #[tokio::test]
    async fn usage_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        meters_each_end_once_per_account_mode_and_day(&testing::sqlite(&dir).await).await;
    }

    #[tokio::test]
    async fn usage_on_postgres() {
        if let Some(db) = testing::postgres().await {
            meters_each_end_once_per_account_mode_and_day(&db).await;
        }
    }
}
