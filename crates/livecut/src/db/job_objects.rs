//! The objects a job writes (`job_objects`): written before each upload starts with the id of
//! its multipart upload, cleared to "whole" when it completes. A later attempt aborts the uploads
//! its predecessor left in flight; a job that fails for good has its objects deleted.

use sqlx::Row;

use super::{Db, DbError};

/// One object of a job, and its upload if one is in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobObject {
    pub bucket: String,
    pub key: String,
    /// Empty once the object is whole.
    pub upload_id: String,
}

/// Records an upload that is about to send its first byte (or an object about to be written
/// with one PUT, `upload_id` empty).
pub async fn started(db: &Db, job_id: &str, o: &JobObject, now_ms: i64) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO job_objects (job_id, bucket, object_key, upload_id, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind(job_id)
    .bind(&o.bucket)
    .bind(&o.key)
    .bind(&o.upload_id)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The upload completed (the object is whole: it stays listed as the job's) or was aborted
/// (nothing of it remains). Other uploads of the same object stay listed until aborted.
pub async fn ended(db: &Db, job_id: &str, o: &JobObject, completed: bool) -> Result<(), DbError> {
    let mut tx = db.pool.begin().await?;
    if !o.upload_id.is_empty() {
        sqlx::query(
            "DELETE FROM job_objects WHERE job_id = $1 AND bucket = $2 AND object_key = $3 AND upload_id = $4",
        )
        .bind(job_id)
        .bind(&o.bucket)
        .bind(&o.key)
        .bind(&o.upload_id)
        .execute(&mut *tx)
        .await?;
    }
    if completed {
        sqlx::query(
            "INSERT INTO job_objects (job_id, bucket, object_key, upload_id, created_at) VALUES ($1, $2, $3, '', 0) \
             ON CONFLICT DO NOTHING",
        )
        .bind(job_id)
        .bind(&o.bucket)
        .bind(&o.key)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Every object of a job, whole or in flight.
pub async fn of_job(db: &Db, job_id: &str) -> Result<Vec<JobObject>, DbError> {
    let rows = sqlx::query(
        "SELECT bucket, object_key, upload_id FROM job_objects WHERE job_id = $1 ORDER BY bucket, object_key",
    )
    .bind(job_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(JobObject {
                bucket: r.try_get("bucket")?,
                key: r.try_get("object_key")?,
                upload_id: r.try_get("upload_id")?,
            })
        })
        .collect()
}

/// Forgets one row of a job's objects (after the object was deleted or its upload aborted).
pub async fn forget(db: &Db, job_id: &str, o: &JobObject) -> Result<(), DbError> {
    sqlx::query(
        "DELETE FROM job_objects WHERE job_id = $1 AND bucket = $2 AND object_key = $3 AND upload_id = $4",
    )
    .bind(job_id)
    .bind(&o.bucket)
    .bind(&o.key)
    .bind(&o.upload_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The job that owns an object, if any job recorded it.
pub async fn owner(db: &Db, bucket: &str, key: &str) -> Result<Option<String>, DbError> {
    let row =
        sqlx::query("SELECT job_id FROM job_objects WHERE bucket = $1 AND object_key = $2 LIMIT 1")
            .bind(bucket)
            .bind(key)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|r| r.try_get("job_id")).transpose()?)
}

/// Whether `job_id` is the only job that recorded the object (so deleting it takes nothing from
/// another job, e.g. a later job that wrote the same name).
pub async fn only_of(db: &Db, job_id: &str, bucket: &str, key: &str) -> Result<bool, DbError> {
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM job_objects WHERE bucket = $1 AND object_key = $2 AND job_id <> $3",
    )
    .bind(bucket)
    .bind(key)
    .bind(job_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(others == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn uploads_are_recorded_completed_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("t.db").display()
        ))
        .await
        .unwrap();
        let o = JobObject {
            bucket: "b".into(),
            key: "out/a.mp4".into(),
            upload_id: "up-1".into(),
        };
        started(&db, "job1", &o, 1).await.unwrap();
        assert_eq!(of_job(&db, "job1").await.unwrap(), vec![o.clone()]);
        // A retry that starts the same object again lists its upload beside the first (which
        // stays listed until someone aborts it).
        let again = JobObject {
            upload_id: "up-2".into(),
            ..o.clone()
        };
        started(&db, "job1", &again, 2).await.unwrap();
        assert_eq!(
            of_job(&db, "job1").await.unwrap(),
            vec![o.clone(), again.clone()]
        );
        ended(&db, "job1", &again, true).await.unwrap();
        forget(&db, "job1", &o).await.unwrap();
        let whole = of_job(&db, "job1").await.unwrap();
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].upload_id, "");
        assert_eq!(
            owner(&db, "b", "out/a.mp4").await.unwrap().as_deref(),
            Some("job1")
        );
        forget(&db, "job1", &whole[0]).await.unwrap();
        assert!(of_job(&db, "job1").await.unwrap().is_empty());
        assert_eq!(owner(&db, "b", "out/a.mp4").await.unwrap(), None);
    }
}
