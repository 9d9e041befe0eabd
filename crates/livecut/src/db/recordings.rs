//! Playlists registered for a stream with `livecut recordings add`.

use sqlx::Row;

use super::{Db, DbError};

pub async fn add(
    db: &Db,
    domain: &str,
    app: &str,
    stream: &str,
    playlist: &str,
    now_ms: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO recordings (domain_name, app_name, stream_name, playlist, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(domain)
    .bind(app)
    .bind(stream)
    .bind(playlist)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn playlists(
    db: &Db,
    domain: &str,
    app: &str,
    stream: &str,
) -> Result<Vec<String>, DbError> {
    let rows = sqlx::query(
        "SELECT playlist FROM recordings WHERE domain_name = $1 AND app_name = $2 AND stream_name = $3 \
         ORDER BY created_at, playlist",
    )
    .bind(domain)
    .bind(app)
    .bind(stream)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| r.try_get("playlist").map_err(DbError::from))
        .collect()
}
