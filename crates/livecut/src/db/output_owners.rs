//! Who writes an output location (`output_owners`): taken in the Submit transaction, so that of
//! two jobs naming one MediaURL only one is accepted, and a job never overwrites the output of
//! another that has not failed.

use sqlx::{Any, Row, Transaction};

use super::DbError;
use super::jobs::status;

/// Takes `bucket/key` for `job_id`: `Ok(None)` when taken (free, or its owner failed), else the
/// job that owns it.
pub async fn take(
    tx: &mut Transaction<'_, Any>,
    bucket: &str,
    key: &str,
    job_id: &str,
) -> Result<Option<String>, DbError> {
    // One statement, so two transactions racing for one location serialise on its row: the
    // loser sees the winner's committed row, whose job is not failed, and updates nothing.
    let r = sqlx::query(
        "INSERT INTO output_owners (bucket, object_key, job_id) VALUES ($1, $2, $3) \
         ON CONFLICT (bucket, object_key) DO UPDATE SET job_id = excluded.job_id \
         WHERE output_owners.job_id IN (SELECT job_id FROM jobs WHERE status = $4)",
    )
    .bind(bucket)
    .bind(key)
    .bind(job_id)
    .bind(status::FAILED)
    .execute(&mut **tx)
    .await?;
    if r.rows_affected() == 1 {
        return Ok(None);
    }
    let row = sqlx::query("SELECT job_id FROM output_owners WHERE bucket = $1 AND object_key = $2")
        .bind(bucket)
        .bind(key)
        .fetch_one(&mut **tx)
        .await?;
    Ok(Some(row.try_get("job_id")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::jobs::{NewJob, insert};
    use crate::db::{Db, testing};

    async fn submit(db: &Db, job_id: &str) -> Option<String> {
        let mut tx = db.pool.begin().await.unwrap();
        let owner = take(&mut tx, "b", "out/k.mp4", job_id).await.unwrap();
        if owner.is_none() {
            let job = NewJob {
                job_id,
                project_id: "p",
                media_id: job_id,
                media_url: "oss://b/out/k.mp4",
                mode: "RoughFast",
                request: "{}",
                max_attempts: 3,
                now_ms: 1,
                account: "default",
            };
            insert(&mut tx, &job).await.unwrap();
        }
        tx.commit().await.unwrap();
        owner
    }

    async fn one_live_owner_per_location(db: &Db) {
        assert_eq!(submit(db, "j1").await, None);
        assert_eq!(submit(db, "j2").await.as_deref(), Some("j1"));
        // Another location is free.
        let mut tx = db.pool.begin().await.unwrap();
        assert_eq!(
            take(&mut tx, "b", "out/other.mp4", "j2").await.unwrap(),
            None
        );
        tx.rollback().await.unwrap();
        // Once the owner failed, a new job takes the location over.
        sqlx::query("UPDATE jobs SET status = $1 WHERE job_id = 'j1'")
            .bind(status::FAILED)
            .execute(&db.pool)
            .await
            .unwrap();
        assert_eq!(submit(db, "j3").await, None);
        assert_eq!(submit(db, "j4").await.as_deref(), Some("j3"));
    }

    #[tokio::test]
    async fn on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        one_live_owner_per_location(&testing::sqlite(&dir).await).await;
    }

    #[tokio::test]
    async fn on_postgres() {
        if let Some(db) = testing::postgres().await {
            one_live_owner_per_location(&db).await;
        }
    }

    /// Two Submits of one location at the same time: exactly one is accepted.
    #[tokio::test]
    async fn racing_submits_on_postgres() {
        let Some(db) = testing::postgres().await else {
            return;
        };
        let (a, b) = tokio::join!(submit(&db, "r1"), submit(&db, "r2"));
        assert!(
            matches!((&a, &b), (None, Some(_)) | (Some(_), None)),
            "{a:?} {b:?}"
        );
    }
}
