//! Media assets: the outputs of jobs, registered so that GetMediaInfo can describe them.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{Db, DbError};

pub mod status {
    /// Allocated at submit; the file does not exist yet.
    pub const PREPARING: &str = "Preparing";
    pub const NORMAL: &str = "Normal";
    pub const PRODUCE_FAILED: &str = "ProduceFailed";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRow {
    pub media_id: String,
    pub job_id: String,
    pub input_url: String,
    pub bucket: String,
    pub object_key: String,
    pub status: String,
    pub title: String,
    pub cover_url: String,
    pub user_data: String,
    /// JSON of `livecut_media::MediaProbe`, empty until the file exists.
    pub probe: String,
    pub file_size: i64,
    pub created_at: i64,
    pub modified_at: i64,
    /// The account of the key that submitted its job.
    pub account: String,
}

const COLUMNS: &str = "media_id, job_id, input_url, bucket, object_key, status, title, cover_url, user_data, \
     probe, file_size, created_at, modified_at, account";

fn from_row(row: &AnyRow) -> Result<MediaRow, DbError> {
    Ok(MediaRow {
        media_id: row.try_get("media_id")?,
        job_id: row.try_get("job_id")?,
        input_url: row.try_get("input_url")?,
        bucket: row.try_get("bucket")?,
        object_key: row.try_get("object_key")?,
        status: row.try_get("status")?,
        title: row.try_get("title")?,
        cover_url: row.try_get("cover_url")?,
        user_data: row.try_get("user_data")?,
        probe: row.try_get("probe")?,
        file_size: row.try_get("file_size")?,
        created_at: row.try_get("created_at")?,
        modified_at: row.try_get("modified_at")?,
        account: row.try_get("account")?,
    })
}

pub async fn insert(tx: &mut Transaction<'_, Any>, m: &MediaRow) -> Result<(), DbError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO media_assets ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    )))
    .bind(&m.media_id)
    .bind(&m.job_id)
    .bind(&m.input_url)
    .bind(&m.bucket)
    .bind(&m.object_key)
    .bind(&m.status)
    .bind(&m.title)
    .bind(&m.cover_url)
    .bind(&m.user_data)
    .bind(&m.probe)
    .bind(m.file_size)
    .bind(m.created_at)
    .bind(m.modified_at)
    .bind(&m.account)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The real file of a finished job, once it is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ready<'a> {
    /// JSON of `livecut_media::MediaProbe`.
    pub probe_json: &'a str,
    pub file_size: i64,
    /// Empty when the job has no cover.
    pub cover_url: &'a str,
    /// The output's duration, metered as the account's usage.
    pub duration_ms: i64,
}

/// Marks the asset of job `job_id` `Normal` with its file's facts, or (`None`) `ProduceFailed`.
/// Only `db::queue::finish` calls this, inside the transaction that ends the job, so the asset
/// changes exactly when the job's worker still holds the lease.
pub(super) async fn finish_in(
    tx: &mut Transaction<'_, Any>,
    job_id: &str,
    ready: Option<Ready<'_>>,
    now_ms: i64,
) -> Result<(), DbError> {
    // The asset is found through the job, so a job can only ever finish its own asset.
    let query = match ready {
        Some(r) => sqlx::query(
            "UPDATE media_assets SET status = $1, probe = $2, file_size = $3, cover_url = $4, modified_at = $5 \
             WHERE media_id = (SELECT media_id FROM jobs WHERE job_id = $6)",
        )
        .bind(status::NORMAL)
        .bind(r.probe_json)
        .bind(r.file_size)
        .bind(r.cover_url)
        .bind(now_ms)
        .bind(job_id),
        None => sqlx::query(
            "UPDATE media_assets SET status = $1, modified_at = $2 \
             WHERE media_id = (SELECT media_id FROM jobs WHERE job_id = $3)",
        )
        .bind(status::PRODUCE_FAILED)
        .bind(now_ms)
        .bind(job_id),
    };
    query.execute(&mut **tx).await?;
    Ok(())
}

pub async fn get(db: &Db, media_id: &str) -> Result<Option<MediaRow>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM media_assets WHERE media_id = $1"
    )))
    .bind(media_id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The newest asset stored at a bucket location (several jobs may have written the same URL).
pub async fn find_by_location(
    db: &Db,
    bucket: &str,
    key: &str,
) -> Result<Option<MediaRow>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM media_assets WHERE bucket = $1 AND object_key = $2 \
         ORDER BY created_at DESC, media_id DESC LIMIT 1"
    )))
    .bind(bucket)
    .bind(key)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}
