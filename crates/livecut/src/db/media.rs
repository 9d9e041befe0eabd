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
    /// What UpdateMediaInfo edits besides Title, CoverURL and UserData.
    pub library: LibraryFields,
}

/// The media library's descriptive fields of an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryFields {
    pub description: String,
    /// Comma-separated tags.
    pub media_tags: String,
    pub category: String,
    pub cate_id: i64,
    pub business_type: String,
    /// The caller's own id for the asset (the job id until changed).
    pub reference_id: String,
}

impl Default for LibraryFields {
    fn default() -> Self {
        LibraryFields {
            description: String::new(),
            media_tags: String::new(),
            category: String::new(),
            cate_id: 0,
            business_type: "general".to_string(),
            reference_id: String::new(),
        }
    }
}

const COLUMNS: &str = "media_id, job_id, input_url, bucket, object_key, status, title, cover_url, user_data, \
     probe, file_size, created_at, modified_at, account, description, media_tags, category, \
     cate_id, business_type, reference_id";

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
        library: LibraryFields {
            description: row.try_get("description")?,
            media_tags: row.try_get("media_tags")?,
            category: row.try_get("category")?,
            cate_id: row.try_get("cate_id")?,
            business_type: row.try_get("business_type")?,
            reference_id: row.try_get("reference_id")?,
        },
    })
}

pub async fn insert(tx: &mut Transaction<'_, Any>, m: &MediaRow) -> Result<(), DbError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO media_assets ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         $13, $14, $15, $16, $17, $18, $19, $20)"
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
    .bind(&m.library.description)
    .bind(&m.library.media_tags)
    .bind(&m.library.category)
    .bind(m.library.cate_id)
    .bind(&m.library.business_type)
    .bind(if m.library.reference_id.is_empty() {
        &m.job_id
    } else {
        &m.library.reference_id
    })
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

/// `account`'s newest asset stored at a bucket location (several jobs may have written the same
/// URL; another account's newer one does not hide it).
pub async fn find_by_location(
    db: &Db,
    account: &str,
    bucket: &str,
    key: &str,
) -> Result<Option<MediaRow>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM media_assets WHERE bucket = $1 AND object_key = $2 \
         AND account = $3 ORDER BY created_at DESC, media_id DESC LIMIT 1"
    )))
    .bind(bucket)
    .bind(key)
    .bind(account)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}
/// What ListMediaBasicInfos filters on; empty strings filter nothing.
#[derive(Debug, Clone, Default)]
pub struct MediaFilter {
    pub media_id: String,
    pub status: String,
    pub business_type: String,
    pub created_from: Option<i64>,
    pub created_before: Option<i64>,
}

const FILTER: &str = "account = $1 AND ($2 = '' OR media_id = $2) AND ($3 = '' OR status = $3) \
     AND ($4 = '' OR business_type = $4) AND created_at >= $5 AND created_at <= $6";

/// One page of `account`'s assets matching `filter` (keyset paging as `projects::list`).
pub async fn list(
    db: &Db,
    account: &str,
    filter: &MediaFilter,
    oldest_first: bool,
    after: Option<&(i64, String)>,
    limit: i64,
) -> Result<Vec<MediaRow>, DbError> {
    let keyset = super::Keyset::new(oldest_first);
    let sql = format!(
        "SELECT {COLUMNS} FROM media_assets WHERE {FILTER} AND {} {} LIMIT $10",
        keyset.after("media_id", 7),
        keyset.order_by("media_id")
    );
    let (after_at, after_id) = after.cloned().unwrap_or_default();
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account)
        .bind(&filter.media_id)
        .bind(&filter.status)
        .bind(&filter.business_type)
        .bind(filter.created_from.unwrap_or(i64::MIN))
        .bind(filter.created_before.unwrap_or(i64::MAX))
        .bind(i64::from(after.is_some()))
        .bind(after_at)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

/// How many of `account`'s assets match `filter` (ListMediaBasicInfos' TotalCount).
pub async fn count(db: &Db, account: &str, filter: &MediaFilter) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM media_assets WHERE {FILTER}"
    )))
    .bind(account)
    .bind(&filter.media_id)
    .bind(&filter.status)
    .bind(&filter.business_type)
    .bind(filter.created_from.unwrap_or(i64::MIN))
    .bind(filter.created_before.unwrap_or(i64::MAX))
    .fetch_one(&db.pool)
    .await?)
}

/// Writes the editable fields of `m` (UpdateMediaInfo); false when the asset is gone.
pub async fn update_info(db: &Db, m: &MediaRow, now_ms: i64) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE media_assets SET title = $1, cover_url = $2, user_data = $3, description = $4, \
         media_tags = $5, category = $6, cate_id = $7, business_type = $8, reference_id = $9, \
         modified_at = $10 WHERE media_id = $11 AND account = $12",
    )
    .bind(&m.title)
    .bind(&m.cover_url)
    .bind(&m.user_data)
    .bind(&m.library.description)
    .bind(&m.library.media_tags)
    .bind(&m.library.category)
    .bind(m.library.cate_id)
    .bind(&m.library.business_type)
    .bind(&m.library.reference_id)
    .bind(now_ms)
    .bind(&m.media_id)
    .bind(&m.account)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Deletes asset `media_id` of `account` and frees its output location for new jobs (when its
/// job still owns it); false when there was no such asset. Its objects are left to the caller.
pub async fn delete(db: &Db, media_id: &str, account: &str) -> Result<bool, DbError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "DELETE FROM output_owners WHERE job_id IN \
         (SELECT job_id FROM media_assets WHERE media_id = $1 AND account = $2)",
    )
    .bind(media_id)
    .bind(account)
    .execute(&mut *tx)
    .await?;
    let r = sqlx::query("DELETE FROM media_assets WHERE media_id = $1 AND account = $2")
        .bind(media_id)
        .bind(account)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(r.rows_affected() == 1)
}
