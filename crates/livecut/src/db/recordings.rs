//! Playlists registered for a stream with `livecut recordings add`.

use sqlx::Row;

use super::{Db, DbError};

/// Registers a playlist with the way its segments are timed (`segment_times`, as
/// `livecut_hls::SegmentTimes` prints it). Registering it again updates how it is timed; the
/// answer says whether it is new.
pub async fn add(
    db: &Db,
    (domain, app, stream): (&str, &str, &str),
    playlist: &str,
    segment_times: &str,
    now_ms: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO recordings (domain_name, app_name, stream_name, playlist, created_at, segment_times) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(domain)
    .bind(app)
    .bind(stream)
    .bind(playlist)
    .bind(now_ms)
    .bind(segment_times)
    .execute(&db.pool)
    .await?;
    if r.rows_affected() == 0 {
        sqlx::query(
            "UPDATE recordings SET segment_times = $5 WHERE domain_name = $1 AND app_name = $2 \
             AND stream_name = $3 AND playlist = $4",
        )
        .bind(domain)
        .bind(app)
        .bind(stream)
        .bind(playlist)
        .bind(segment_times)
        .execute(&db.pool)
        .await?;
    }
    Ok(r.rows_affected() == 1)
}

/// The registered playlists of a stream, each with how its segments are timed.
pub async fn playlists(
    db: &Db,
    domain: &str,
    app: &str,
    stream: &str,
) -> Result<Vec<(String, String)>, DbError> {
    let rows = sqlx::query(
        "SELECT playlist, segment_times FROM recordings WHERE domain_name = $1 AND app_name = $2 AND stream_name = $3 \
         ORDER BY created_at, playlist",
    )
    .bind(domain)
    .bind(app)
    .bind(stream)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("playlist")?, r.try_get("segment_times")?)))
        .collect()
}

/// Every registered playlist timed by `hook` (watched by the server), as (domain, app, stream,
/// playlist).
pub async fn watched(db: &Db) -> Result<Vec<(String, String, String, String)>, DbError> {
    let rows = sqlx::query(
        "SELECT domain_name, app_name, stream_name, playlist FROM recordings \
         WHERE segment_times = 'hook' ORDER BY created_at, playlist",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("domain_name")?,
                r.try_get("app_name")?,
                r.try_get("stream_name")?,
                r.try_get("playlist")?,
            ))
        })
        .collect()
}

/// Notes that `livecut recordings add` refused a playlist of a stream, and why.
pub async fn refuse(
    db: &Db,
    (domain, app, stream): (&str, &str, &str),
    playlist: &str,
    reason: &str,
    now_ms: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO refused_recordings (domain_name, app_name, stream_name, playlist, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (domain_name, app_name, stream_name, playlist) \
         DO UPDATE SET reason = excluded.reason, created_at = excluded.created_at",
    )
    .bind(domain)
    .bind(app)
    .bind(stream)
    .bind(playlist)
    .bind(reason)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A playlist registered after all is no longer refused.
pub async fn unrefuse(
    db: &Db,
    (domain, app, stream): (&str, &str, &str),
    playlist: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "DELETE FROM refused_recordings WHERE domain_name = $1 AND app_name = $2 AND stream_name = $3 AND playlist = $4",
    )
    .bind(domain)
    .bind(app)
    .bind(stream)
    .bind(playlist)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The latest refusal of a stream's playlists: (playlist, reason).
pub async fn refusal(
    db: &Db,
    domain: &str,
    app: &str,
    stream: &str,
) -> Result<Option<(String, String)>, DbError> {
    let row = sqlx::query(
        "SELECT playlist, reason FROM refused_recordings WHERE domain_name = $1 AND app_name = $2 AND stream_name = $3 \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(domain)
    .bind(app)
    .bind(stream)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| Ok((r.try_get("playlist")?, r.try_get("reason")?)))
        .transpose()
}
