//! Watched playlists (`--segment-times hook`): recorders that write neither PROGRAM-DATE-TIME
//! nor times in their file names (GStreamer's hlssink2, nginx-rtmp's sequential names). The
//! server reads each such registered playlist every `--watch-millis`, and every segment it has
//! not indexed yet goes to the segment index, timed by when it appeared:
//!
//! - The newest new segment ended when it was written: its file's modification time for a
//!   local file (the recorder closes it then), else the time the poll saw it; the others new in
//!   the same poll are placed back from it by their durations.
//! - A segment that follows the one indexed before it (next sequence number, no
//!   discontinuity, and not arriving later than `CHAIN_SLACK_US` after where that one ends) is
//!   chained to it by duration instead, so poll and write jitter do not move frames: one run,
//!   one anchor. Arriving early is no break: recorders write in bursts (GStreamer's hlssink2
//!   holds a GOP before it closes a file, and flushes the last two at once when the stream
//!   ends). Arriving much later is: the recorder stalled or restarted without saying so.
//!
//! The times are when the recorder made each segment available, so they are late by its
//! write latency (hlssink2: about one GOP); frames within a run keep their exact spacing.
//! - The index keeps every segment it has seen, so a recorder's sliding window (a playlist of
//!   the last N segments, the files kept) loses nothing once the watcher has seen it.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use livecut_hls::{MediaPlaylist, parse_media_playlist};

use crate::clock::now_ms;
use crate::db::segments::{self, IndexedSegment, StreamNames};
use crate::db::{Db, recordings};
use crate::storage::{Buckets, Source};

/// How much later than where the previous segment ends a segment may arrive and still continue
/// it (polls, writes and clocks jitter; a stall or a restart moves more).
const CHAIN_SLACK_US: i64 = 1_500_000;

/// Whether a new segment numbered `sequence` (`tagged`: the recorder marked a discontinuity
/// before it), starting at `start_us` as far as its arrival or stamp says, continues `last`'s
/// media clock: the next number, no tag, and not starting more than `CHAIN_SLACK_US` after
/// where `last` ends (earlier is fine: recorders write in bursts). The one rule of the watcher,
/// the pull recorder and the SRS hook.
pub(crate) fn continues(last: &IndexedSegment, sequence: i64, tagged: bool, start_us: i64) -> bool {
    sequence == last.sequence + 1
        && !tagged
        && start_us - (last.start_us + last.duration_us) <= CHAIN_SLACK_US
}

/// What one ingestion added.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ingested {
    pub new: u64,
}

/// `added_by` of a watched playlist's segments.
fn watcher_of(playlist: &Source) -> String {
    format!("watch:{}", playlist.to_index_string())
}

/// Indexes the segments of `playlist` (whose text is `text`) that are not indexed yet, as of
/// `now_us`.
pub async fn ingest(
    db: &Db,
    buckets: &Buckets,
    stream: StreamNames<'_>,
    playlist: &Source,
    text: &str,
    now_us: i64,
) -> Result<Ingested, String> {
    let parsed: MediaPlaylist = parse_media_playlist(text).map_err(|e| e.to_string())?;
    let added_by = watcher_of(playlist);
    let last = segments::last_added_by(db, stream, &added_by)
        .await
        .map_err(|e| e.to_string())?;
    let resolve = |uri: &str| {
        playlist
            .join(uri, &|u| buckets.source(u))
            .map_err(|e| format!("segment {uri}: {e}"))
    };
    // The segments after the last one indexed; all of them when it is no longer listed (the
    // window moved past it) and the numbering says they are newer.
    let mut fresh = Vec::new();
    let mut seen_last = false;
    for seg in &parsed.segments {
        let source = resolve(&seg.uri)?;
        let uri = source.to_index_string();
        match &last {
            Some(l) if l.uri == uri => {
                seen_last = true;
                fresh.clear();
            }
            Some(l) if !seen_last && i64::try_from(seg.sequence).unwrap_or(0) <= l.sequence => {}
            _ => fresh.push((seg, source, uri)),
        }
    }
    if fresh.is_empty() {
        return Ok(Ingested::default());
    }
    // The newest one ended when its file was last written (local), or now.
    let (_, newest_source, _) = &fresh[fresh.len() - 1];
    let end_us = buckets
        .local_file(newest_source)
        .and_then(|p| modified_us(&p))
        .unwrap_or(now_us);
    let total_us: i64 = fresh.iter().map(|(s, _, _)| s.duration_us).sum();
    let mut start_us = end_us - total_us;
    let first = fresh[0].0;
    let first_sequence = i64::try_from(first.sequence).unwrap_or(0);
    let chained = last
        .as_ref()
        .filter(|l| continues(l, first_sequence, first.discontinuity, start_us));
    if let Some(l) = chained {
        start_us = l.start_us + l.duration_us;
    }
    let chained = chained.is_some();
    let mut rows = Vec::with_capacity(fresh.len());
    for (k, (seg, _, uri)) in fresh.iter().enumerate() {
        let init_uri = match &seg.map {
            Some(m) => Some(resolve(&m.uri)?.to_index_string()),
            None => None,
        };
        rows.push(IndexedSegment {
            uri: uri.clone(),
            start_us,
            duration_us: seg.duration_us,
            init_uri,
            sequence: i64::try_from(seg.sequence).unwrap_or(0),
            discontinuity: seg.discontinuity || (k == 0 && !chained),
            video_codec: None,
            audio_codec: None,
        });
        start_us += seg.duration_us;
    }
    let new = segments::add(db, stream, &rows, &added_by, now_ms())
        .await
        .map_err(|e| e.to_string())?;
    Ok(Ingested { new })
}

fn modified_us(path: &PathBuf) -> Option<i64> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    let d = t.duration_since(UNIX_EPOCH).ok()?;
    i64::try_from(d.as_micros()).ok()
}

/// Reads every watched playlist every `every`, for as long as the process serves.
pub async fn run(db: Db, buckets: Buckets, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let watched = match recordings::watched(&db).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list the watched playlists");
                continue;
            }
        };
        for (domain, app, stream, playlist) in watched {
            let Ok(source) = buckets.source(&playlist) else {
                continue;
            };
            let text = match buckets.read_text(&source).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::debug!(playlist = %playlist, error = %e, "watched playlist not readable now");
                    continue;
                }
            };
            let names = (domain.as_str(), app.as_str(), stream.as_str());
            match ingest(&db, &buckets, names, &source, &text, now_ms() * 1000).await {
                Ok(Ingested { new }) if new > 0 => {
                    crate::metrics::indexed("watch", new);
                    tracing::debug!(playlist = %playlist, new, "watched playlist: segments indexed");
                }
                Ok(_) => {}
                Err(e) => {
                    crate::metrics::ingest_error("watch");
                    tracing::warn!(playlist = %playlist, error = %e, "watched playlist");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    fn playlist(first: u64, count: u64) -> String {
        let mut t = format!("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:{first}\n");
        for k in first..first + count {
            t.push_str(&format!("#EXTINF:2.0,\nseg{k}.ts\n"));
        }
        t
    }

    #[tokio::test]
    async fn a_sliding_window_is_indexed_whole_and_chained() {
        let dir = tempfile::tempdir().unwrap();
        let db = testing::sqlite(&dir).await;
        let buckets = Buckets::local(dir.path().join("buckets"));
        // Remote-like (no file to take a modification time from): times are the polls'.
        let source = Source::File(PathBuf::from("/nonexistent/live/index.m3u8"));
        let stream = ("d", "a", "s");
        let t = 1_800_000_000_000_000;
        // First poll: three segments, the newest ending now.
        let got = ingest(&db, &buckets, stream, &source, &playlist(0, 3), t)
            .await
            .unwrap();
        assert_eq!(got.new, 3);
        // The window slides by two; the poll comes 2.3 s after the segment ended: chained.
        let got = ingest(
            &db,
            &buckets,
            stream,
            &source,
            &playlist(2, 3),
            t + 4_300_000,
        )
        .await
        .unwrap();
        assert_eq!(got.new, 2);
        // Two at once, written early (a recorder's flush at the end): still chained.
        let got = ingest(
            &db,
            &buckets,
            stream,
            &source,
            &playlist(3, 4),
            t + 4_500_000,
        )
        .await
        .unwrap();
        assert_eq!(got.new, 2);
        // Nothing new: nothing added.
        let got = ingest(
            &db,
            &buckets,
            stream,
            &source,
            &playlist(2, 3),
            t + 5_000_000,
        )
        .await
        .unwrap();
        assert_eq!(got.new, 0);
        let all = segments::list(&db, stream, (0, i64::MAX), 100)
            .await
            .unwrap();
        let starts: Vec<i64> = all.iter().map(|s| s.start_us - t).collect();
        assert_eq!(
            starts,
            [
                -6_000_000, -4_000_000, -2_000_000, 0, 2_000_000, 4_000_000, 6_000_000
            ]
        );
        let breaks: Vec<bool> = all.iter().map(|s| s.discontinuity).collect();
        assert_eq!(breaks, [true, false, false, false, false, false, false]);
        // A stall: the next segment appears a minute after it could have ended: a new run,
        // placed at its arrival.
        let got = ingest(
            &db,
            &buckets,
            stream,
            &source,
            &playlist(7, 1),
            t + 68_000_000,
        )
        .await
        .unwrap();
        assert_eq!(got.new, 1);
        let last = segments::list(&db, stream, (t + 10_000_000, i64::MAX), 10)
            .await
            .unwrap();
        let placed: Vec<(i64, bool)> = last
            .iter()
            .map(|s| (s.start_us - t, s.discontinuity))
            .collect();
        assert_eq!(placed, [(66_000_000, true)]);
    }
}
