//! The segment index (`segments`): every segment a recorder reported, by stream and UTC start.
//!
//! Planning reads only the rows around a clip (`around`): the last segment starting at or before
//! the clip, those starting inside it, and the one after (what the accurate modes look ahead
//! into). Each is an index range scan on `(stream, start_us)`, so the time and memory of a plan
//! do not grow with the months of history behind it.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbError};

/// A stream's three names.
pub type StreamNames<'a> = (&'a str, &'a str, &'a str);

/// One indexed segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedSegment {
    /// Where it is stored: an absolute path or a bucket URL (`Source::to_index_string`).
    pub uri: String,
    /// UTC microseconds of its first frame.
    pub start_us: i64,
    pub duration_us: i64,
    /// Its fMP4 init section, when it needs one.
    pub init_uri: Option<String>,
    /// Consecutive numbers without `discontinuity` share one media clock.
    pub sequence: i64,
    /// Its media does not continue the previous segment's (timestamps restart, an encoder
    /// restarted, a self-contained file).
    pub discontinuity: bool,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
}

/// A query of one stream's segments: the columns `read` takes, then `$tail` after the stream's
/// condition ($1, $2, $3).
macro_rules! select_of_stream {
    ($tail:literal) => {
        concat!(
            "SELECT uri, start_us, duration_us, init_uri, sequence, discontinuity, video_codec, \
             audio_codec FROM segments WHERE domain_name = $1 AND app_name = $2 \
             AND stream_name = $3 ",
            $tail
        )
    };
}

fn read(row: &AnyRow) -> Result<IndexedSegment, DbError> {
    Ok(IndexedSegment {
        uri: row.try_get("uri")?,
        start_us: row.try_get("start_us")?,
        duration_us: row.try_get("duration_us")?,
        init_uri: row.try_get("init_uri")?,
        sequence: row.try_get("sequence")?,
        discontinuity: row.try_get::<i64, _>("discontinuity")? != 0,
        video_codec: row.try_get("video_codec")?,
        audio_codec: row.try_get("audio_codec")?,
    })
}

/// Adds segments of a stream in one transaction; one already indexed (the same `uri`) keeps its
/// row. Answers how many were new.
pub async fn add(
    db: &Db,
    (domain, app, stream): StreamNames<'_>,
    segments: &[IndexedSegment],
    added_by: &str,
    now_ms: i64,
) -> Result<u64, DbError> {
    let mut tx = db.pool.begin().await?;
    let mut new = 0;
    for s in segments {
        let r = sqlx::query(
            "INSERT INTO segments (domain_name, app_name, stream_name, uri, start_us, duration_us, \
             init_uri, sequence, discontinuity, video_codec, audio_codec, added_by, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
        )
        .bind(domain)
        .bind(app)
        .bind(stream)
        .bind(&s.uri)
        .bind(s.start_us)
        .bind(s.duration_us)
        .bind(s.init_uri.as_deref())
        .bind(s.sequence)
        .bind(i64::from(s.discontinuity))
        .bind(s.video_codec.as_deref())
        .bind(s.audio_codec.as_deref())
        .bind(added_by)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        new += r.rows_affected();
    }
    tx.commit().await?;
    Ok(new)
}

/// The segments a clip of `[start_us, end_us)` can need, in start order: the last one starting
/// at or before `start_us` (it may reach into the range), every one starting inside the range,
/// and the first one starting at or after `end_us`.
pub async fn around(
    db: &Db,
    (domain, app, stream): StreamNames<'_>,
    start_us: i64,
    end_us: i64,
) -> Result<Vec<IndexedSegment>, DbError> {
    let before = sqlx::query(select_of_stream!(
        "AND start_us <= $4 ORDER BY start_us DESC LIMIT 1"
    ))
    .bind(domain)
    .bind(app)
    .bind(stream)
    .bind(start_us)
    .fetch_optional(&db.pool)
    .await?;
    let inside = sqlx::query(select_of_stream!(
        "AND start_us > $4 AND start_us < $5 ORDER BY start_us"
    ))
    .bind(domain)
    .bind(app)
    .bind(stream)
    .bind(start_us)
    .bind(end_us)
    .fetch_all(&db.pool)
    .await?;
    let after = sqlx::query(select_of_stream!(
        "AND start_us >= $4 ORDER BY start_us LIMIT 1"
    ))
    .bind(domain)
    .bind(app)
    .bind(stream)
    .bind(end_us.max(start_us.saturating_add(1)))
    .fetch_optional(&db.pool)
    .await?;
    before
        .iter()
        .chain(&inside)
        .chain(after.iter())
        .map(read)
        .collect()
}

/// The latest segment (by start) of the stream.
pub async fn latest(
    db: &Db,
    (domain, app, stream): StreamNames<'_>,
) -> Result<Option<IndexedSegment>, DbError> {
    let row = sqlx::query(select_of_stream!("ORDER BY start_us DESC LIMIT 1"))
        .bind(domain)
        .bind(app)
        .bind(stream)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(read).transpose()
}

/// The latest segment (by start) of the stream that `added_by` indexed: where a watched
/// playlist's ingestion left off.
pub async fn last_added_by(
    db: &Db,
    (domain, app, stream): StreamNames<'_>,
    added_by: &str,
) -> Result<Option<IndexedSegment>, DbError> {
    let row = sqlx::query(select_of_stream!(
        "AND added_by = $4 ORDER BY start_us DESC LIMIT 1"
    ))
    .bind(domain)
    .bind(app)
    .bind(stream)
    .bind(added_by)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(read).transpose()
}

/// Up to `limit` segments of the stream starting in `[from_us, to_us)`, in start order (for
/// `livecut recordings segments`).
pub async fn list(
    db: &Db,
    (domain, app, stream): StreamNames<'_>,
    (from_us, to_us): (i64, i64),
    limit: i64,
) -> Result<Vec<IndexedSegment>, DbError> {
    let rows = sqlx::query(select_of_stream!(
        "AND start_us >= $4 AND start_us < $5 ORDER BY start_us LIMIT $6"
    ))
    .bind(domain)
    .bind(app)
    .bind(stream)
    .bind(from_us)
    .bind(to_us)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(read).collect()
}

/// Whether the index holds any segment of the stream.
pub async fn any(db: &Db, (domain, app, stream): StreamNames<'_>) -> Result<bool, DbError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM segments WHERE domain_name = $1 \
         AND app_name = $2 AND stream_name = $3 LIMIT 1) AS one",
    )
    .bind(domain)
    .bind(app)
    .bind(stream)
    .fetch_one(&db.pool)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// The sequence number a new segment of the stream gets when its recorder gives none: one past
/// the highest so far (0 for the first).
pub async fn next_sequence(
    db: &Db,
    (domain, app, stream): StreamNames<'_>,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "SELECT MAX(sequence) AS s FROM segments WHERE domain_name = $1 AND app_name = $2 \
         AND stream_name = $3",
    )
    .bind(domain)
    .bind(app)
    .bind(stream)
    .fetch_one(&db.pool)
    .await?;
    Ok(row.try_get::<Option<i64>, _>("s")?.map_or(0, |s| s + 1))
}

/// Forgets every segment (of every stream) that ended before `cutoff_us`; answers their URIs,
/// for a retention that also deletes the files.
pub async fn forget_before(db: &Db, cutoff_us: i64) -> Result<Vec<String>, DbError> {
    let mut tx = db.pool.begin().await?;
    let rows = sqlx::query("SELECT uri FROM segments WHERE start_us + duration_us < $1")
        .bind(cutoff_us)
        .fetch_all(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM segments WHERE start_us + duration_us < $1")
        .bind(cutoff_us)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("uri")?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    fn seg(n: i64) -> IndexedSegment {
        IndexedSegment {
            uri: format!("/rec/cam/{n:05}.ts"),
            start_us: 1_000_000_000 + n * 2_000_000,
            duration_us: 2_000_000,
            init_uri: (n % 2 == 0).then(|| "/rec/cam/init.mp4".to_string()),
            sequence: n,
            discontinuity: n == 0,
            video_codec: Some("h264".into()),
            audio_codec: None,
        }
    }

    async fn check(db: &Db) {
        let cam = ("d", "a", "cam");
        assert!(!any(db, cam).await.unwrap());
        assert_eq!(next_sequence(db, cam).await.unwrap(), 0);
        let all: Vec<IndexedSegment> = (0..10).map(seg).collect();
        assert_eq!(add(db, cam, &all, "test", 1).await.unwrap(), 10);
        // Reported again (a hook that retries): nothing new.
        assert_eq!(add(db, cam, &all[3..5], "test", 2).await.unwrap(), 0);
        assert!(any(db, cam).await.unwrap());
        assert_eq!(last_added_by(db, cam, "test").await.unwrap(), Some(seg(9)));
        assert_eq!(last_added_by(db, cam, "other").await.unwrap(), None);
        let t0 = 1_000_000_000;
        assert_eq!(
            list(db, cam, (t0 + 4_000_000, t0 + 99_000_000), 3)
                .await
                .unwrap(),
            vec![seg(2), seg(3), seg(4)]
        );
        assert!(!any(db, ("d", "a", "other")).await.unwrap());
        assert_eq!(next_sequence(db, cam).await.unwrap(), 10);
        // [7 s, 11 s) after the first segment's start: segment 3 (6-8 s) reaches in, 4 and 5
        // start inside, 6 (12 s) is the one after.
        let t = |s: f64| 1_000_000_000 + (s * 1e6) as i64;
        let got = around(db, cam, t(7.0), t(11.0)).await.unwrap();
        assert_eq!(got, vec![seg(3), seg(4), seg(5), seg(6)]);
        // A range that starts on a segment's start takes that one as "before".
        let got = around(db, cam, t(8.0), t(8.5)).await.unwrap();
        assert_eq!(got, vec![seg(4), seg(5)]);
        // Before the history: only what follows; after it: only the last.
        assert_eq!(
            around(db, cam, t(-9.0), t(-5.0)).await.unwrap(),
            vec![seg(0)]
        );
        assert_eq!(
            around(db, cam, t(99.0), t(100.0)).await.unwrap(),
            vec![seg(9)]
        );
        // Retention: segments ended before 6 s are gone.
        let gone = forget_before(db, t(6.0)).await.unwrap();
        assert_eq!(gone.len(), 2, "{gone:?}");
        assert_eq!(around(db, cam, t(0.0), t(5.0)).await.unwrap()[0], seg(2));
    }

    #[tokio::test]
    async fn indexed_segments_are_found_around_a_range_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        check(&testing::sqlite(&dir).await).await;
    }

    #[tokio::test]
    async fn indexed_segments_are_found_around_a_range_on_postgres() {
        if let Some(db) = testing::postgres().await {
            check(&db).await;
        }
    }
}
