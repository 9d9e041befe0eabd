//! A window of a stream's recording as an index playlist: the same recordings a clip is planned
//! from (registered and configured playlists, the segment index), on the same timeline.

use livecut_hls::TimedSegment;

use super::playlist::{self, Entry};
use crate::db::segments;
use crate::job::request::StreamKey;
use crate::recordings::plan::{Catalog, PlanError, StreamRecordings};
use crate::storage::Source;

/// The longest window one playlist lists (as Alibaba Live's index files: four days); a growing
/// window stops there too, so a playlist never holds months.
pub const MAX_WINDOW_US: i64 = 4 * 24 * 3_600_000_000;
/// The window when the caller names none: the last day recorded.
pub const DEFAULT_WINDOW_US: i64 = 24 * 3_600_000_000;

/// `[start, end)` in UTC µs; no end: up to whatever the recorder adds (at most `MAX_WINDOW_US`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start_us: i64,
    pub end_us: Option<i64>,
}

impl Window {
    fn last_us(&self) -> i64 {
        let cap = self.start_us.saturating_add(MAX_WINDOW_US);
        self.end_us.map_or(cap, |e| e.min(cap))
    }
}

/// Where the stream's recording ends now; `None` when nothing is recorded.
pub async fn recorded_until(
    catalog: Catalog<'_>,
    stream: &StreamKey,
) -> Result<Option<i64>, PlanError> {
    let recordings = StreamRecordings::load(catalog, 0, stream).await?;
    let in_playlists = recordings.timeline(0)?.span().map(|(_, end)| end);
    let names = (
        stream.domain_name.as_str(),
        stream.app_name.as_str(),
        stream.stream_name.as_str(),
    );
    let in_index = segments::latest(catalog.db, names)
        .await?
        .map(|s| s.start_us + s.duration_us);
    let until = in_playlists.into_iter().chain(in_index).max();
    if until.is_none() {
        recordings.refuse_if_empty(catalog, 0, stream).await?;
    }
    Ok(until)
}

/// The playlist of `window`; `link(source, stem)` is how a segment (stem: its ordinal) or an
/// init section (stem `init`: one link for one file, so players load it once) is named in it.
pub async fn write(
    catalog: Catalog<'_>,
    stream: &StreamKey,
    window: Window,
    link: &(dyn Fn(&Source, &str) -> String + Sync),
) -> Result<String, PlanError> {
    let last_us = window.last_us();
    let mut recordings = StreamRecordings::load(catalog, 0, stream).await?;
    recordings
        .add_indexed(catalog.db, stream, (window.start_us, last_us))
        .await?;
    let timeline = recordings.timeline(0)?;
    let pieces: Vec<&TimedSegment> = timeline.overlapping(window.start_us, last_us);
    let mut entries = Vec::with_capacity(pieces.len());
    for (k, segment) in pieces.into_iter().enumerate() {
        let (media, init) = recordings.sources_of(0, segment, catalog.buckets)?;
        entries.push(Entry {
            segment,
            media: link(&media, &k.to_string()),
            init: init.map(|i| link(&i, "init")),
        });
    }
    let recorded_until = timeline.span().map_or(i64::MIN, |(_, end)| end);
    // Nothing more will come into this window: the recording stopped growing, or it already
    // reaches past the window's end.
    let ended = !recordings.growing() || (window.end_us.is_some() && recorded_until >= last_us);
    Ok(playlist::write(&entries, ended))
}
