//! Planning one clip: the overlapping segments of its stream and the gaps. A segment is a local
//! file the engine reads in place (a path, or an object of a folder bucket), or a remote object
//! the media child downloads while it cuts (`ClipPlan::remote`).

use std::path::{Path, PathBuf};

use livecut_hls::{
    MapSection, MediaPlaylist, Segment, SegmentTimes, TimedSegment, Timeline, parse_media_playlist,
};
use livecut_media::{ClipInput, InitSection, SegmentInput};

use crate::code::ErrorCode;
use crate::config::StreamSource;
use crate::db::segments::{self, IndexedSegment};
use crate::db::{Db, DbError, recordings};
use crate::job::request::{ClipSpec, StreamKey};
use crate::storage::Remote;
use crate::storage::{Buckets, Source, StorageError};

#[derive(Debug, Clone)]
pub struct ClipPlan {
    pub input: ClipInput,
    /// For each segment of `input`, where to download it (and its fMP4 init section) from when
    /// it is not a local file (its `path` is then filled in by the cut step, inside the
    /// attempt's scratch folder).
    pub remote: Vec<Remote>,
    /// Sub-ranges of the clip with no recording (UTC microseconds).
    pub missing: Vec<(i64, i64)>,
    /// Some playlist of the stream has no EXT-X-ENDLIST yet: the recorder may still add segments.
    pub growing: bool,
    /// End of the last recorded segment of the stream.
    pub recorded_until_us: i64,
}

impl ClipPlan {
    /// The clip reaches past what a still-running recorder has written so far.
    pub fn waits_for_live_edge(&self) -> bool {
        self.growing && self.recorded_until_us < self.input.end_utc_us
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(
        "Clip {index} ({stream}): no recording is known for this stream (no playlist registered or configured, and none under {dir})."
    )]
    NoRecording {
        index: usize,
        stream: String,
        dir: String,
    },
    #[error(
        "Clip {index} ({stream}): the only recording offered for this stream, {playlist}, was refused at registration: {reason}"
    )]
    Refused {
        index: usize,
        stream: String,
        playlist: String,
        reason: String,
    },
    #[error("Clip {index} ({stream}): the recording has no content between {start} and {end}.")]
    NoContent {
        index: usize,
        stream: String,
        start: String,
        end: String,
        /// The recording is still growing, so content may yet arrive.
        growing: bool,
    },
    #[error("Clip {index}: cannot read playlist {playlist}: {reason}")]
    Playlist {
        index: usize,
        playlist: String,
        reason: String,
    },
    #[error("Clip {index}: the storage of playlist {playlist} did not answer: {reason}")]
    Storage {
        index: usize,
        playlist: String,
        reason: String,
    },
    #[error("Clip {index}: segment {uri} of {playlist} cannot be read: {reason}")]
    Segment {
        index: usize,
        playlist: String,
        uri: String,
        reason: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl PlanError {
    /// The code a job fails with: the recording is missing, unreadable or unreachable, or the
    /// database failed us.
    pub fn code(&self) -> ErrorCode {
        match self {
            PlanError::NoRecording { .. } | PlanError::NoContent { .. } => {
                ErrorCode::ResourceNotFound
            }
            PlanError::Playlist { .. } => ErrorCode::ResourceContentBad,
            PlanError::Storage { .. } => ErrorCode::StorageUnavailable,
            PlanError::Segment { .. } | PlanError::Refused { .. } => ErrorCode::NotSupported,
            PlanError::Db(_) => ErrorCode::InternalError,
        }
    }
}

pub fn stream_label(s: &StreamKey) -> String {
    format!("{}/{}/{}", s.domain_name, s.app_name, s.stream_name)
}

/// The folder scanned for a stream's playlists.
pub fn stream_dir(recordings_dir: &Path, s: &StreamKey) -> PathBuf {
    recordings_dir
        .join(&s.domain_name)
        .join(&s.app_name)
        .join(&s.stream_name)
}

/// Where a process finds recordings: registrations in the database, the local recordings
/// folder, and the configured `[[streams]]` folders in object storage.
#[derive(Clone, Copy)]
pub struct Catalog<'a> {
    pub db: &'a Db,
    pub buckets: &'a Buckets,
    pub recordings_dir: &'a Path,
    pub streams: &'a [StreamSource],
}

/// Stream names come from validated JSON strings; one with path separators finds no folder
/// rather than reaching outside the recordings directory or a bucket prefix.
fn unsafe_name(stream: &StreamKey) -> bool {
    [&stream.domain_name, &stream.app_name, &stream.stream_name]
        .iter()
        .any(|p| {
            p.contains('/')
                || p.contains('\\')
                || p.as_str() == ".."
                || p.as_str() == "."
                || p.is_empty()
        })
}

impl Catalog<'_> {
    /// All playlists of a stream: registered ones first (in registration order), then those in
    /// the local folder, then those under the configured folders.
    pub async fn playlists_of(
        &self,
        index: usize,
        stream: &StreamKey,
    ) -> Result<Vec<(Source, SegmentTimes)>, PlanError> {
        let mut out: Vec<(Source, SegmentTimes)> = Vec::new();
        for (raw, times) in recordings::playlists(
            self.db,
            &stream.domain_name,
            &stream.app_name,
            &stream.stream_name,
        )
        .await?
        {
            // A registration whose bucket is no longer configured is skipped with a warning
            // rather than failing every clip of the stream.
            let times = times.parse::<SegmentTimes>().map_err(|e| {
                PlanError::Db(DbError::Corrupt(format!("segment times of {raw}: {e}")))
            })?;
            // A watched playlist's segments are in the segment index, timed as they appeared.
            if times == SegmentTimes::Hook {
                continue;
            }
            match self.buckets.source(&raw) {
                Ok(s) => out.push((s, times)),
                Err(e) => {
                    tracing::warn!(playlist = %raw, error = %e, "registered playlist is not readable here");
                }
            }
        }
        if unsafe_name(stream) {
            return Ok(out);
        }
        let mut folders = vec![(
            Source::File(stream_dir(self.recordings_dir, stream)),
            SegmentTimes::Pdt,
        )];
        for s in self.streams {
            if s.matches(&stream.domain_name, &stream.app_name, &stream.stream_name) {
                let folder = s.folder(&stream.domain_name, &stream.app_name, &stream.stream_name);
                match self.buckets.source(&folder) {
                    Ok(f) => folders.push((f, s.times())),
                    Err(e) => {
                        tracing::warn!(folder = %folder, error = %e, "configured stream folder is not readable");
                    }
                }
            }
        }
        for (folder, times) in folders {
            let found = self
                .buckets
                .list_playlists(&folder)
                .await
                .map_err(|e| storage_error(index, &folder, e))?;
            for p in found {
                if !out.iter().any(|(known, _)| *known == p) {
                    out.push((p, times.clone()));
                }
            }
        }
        Ok(out)
    }
}

fn storage_error(index: usize, source: &Source, e: StorageError) -> PlanError {
    match e {
        StorageError::Store { .. } => PlanError::Storage {
            index,
            playlist: source.shown(),
            reason: e.to_string(),
        },
        other => PlanError::Playlist {
            index,
            playlist: source.shown(),
            reason: other.to_string(),
        },
    }
}

pub async fn plan_clip(
    catalog: Catalog<'_>,
    index: usize,
    clip: &ClipSpec,
) -> Result<ClipPlan, PlanError> {
    let label = stream_label(&clip.stream);
    let mut recordings = StreamRecordings::load(catalog, index, &clip.stream).await?;
    recordings
        .add_indexed(catalog.db, &clip.stream, (clip.start_us, clip.end_us))
        .await?;
    recordings
        .refuse_if_empty(catalog, index, &clip.stream)
        .await?;
    recordings.plan(index, &label, (clip.start_us, clip.end_us), catalog.buckets)
}

/// What is recorded of one stream: its playlists (read and timed) and, once asked for a range,
/// the indexed segments around it as one more playlist.
pub struct StreamRecordings {
    origins: Vec<Origin>,
    playlists: Vec<MediaPlaylist>,
}

impl StreamRecordings {
    /// Reads every playlist of the stream (not yet the segment index, which only ever is read
    /// for a range: it may hold months).
    pub async fn load(
        catalog: Catalog<'_>,
        index: usize,
        stream: &StreamKey,
    ) -> Result<StreamRecordings, PlanError> {
        let sources = catalog.playlists_of(index, stream).await?;
        let mut origins = Vec::with_capacity(sources.len() + 1);
        let mut playlists = Vec::with_capacity(sources.len() + 1);
        for (source, times) in &sources {
            let text = catalog
                .buckets
                .read_text(source)
                .await
                .map_err(|e| storage_error(index, source, e))?;
            playlists.push(parse_playlist(index, source, times, &text)?);
            origins.push(Origin::of(source));
        }
        Ok(StreamRecordings { origins, playlists })
    }

    /// Adds the indexed segments around `[start, end)` (UTC µs).
    pub async fn add_indexed(
        &mut self,
        db: &Db,
        s: &StreamKey,
        (start_us, end_us): (i64, i64),
    ) -> Result<(), PlanError> {
        let names = (
            s.domain_name.as_str(),
            s.app_name.as_str(),
            s.stream_name.as_str(),
        );
        let indexed = segments::around(db, names, start_us, end_us).await?;
        if !indexed.is_empty() {
            self.playlists.push(indexed_playlist(&indexed));
            self.origins.push(Origin {
                source: Source::File(PathBuf::from("/")),
                shown: "the segment index".into(),
            });
        }
        Ok(())
    }

    /// Nothing recorded at all: why (a refused registration, or nothing offered).
    pub async fn refuse_if_empty(
        &self,
        catalog: Catalog<'_>,
        index: usize,
        s: &StreamKey,
    ) -> Result<(), PlanError> {
        if !self.playlists.is_empty() {
            return Ok(());
        }
        let label = stream_label(s);
        if let Some((playlist, reason)) =
            recordings::refusal(catalog.db, &s.domain_name, &s.app_name, &s.stream_name).await?
        {
            return Err(PlanError::Refused {
                index,
                stream: label,
                playlist,
                reason,
            });
        }
        Err(PlanError::NoRecording {
            index,
            stream: label,
            dir: stream_dir(catalog.recordings_dir, s).display().to_string(),
        })
    }

    /// Still growing: some playlist has no EXT-X-ENDLIST (the index always may grow).
    pub fn growing(&self) -> bool {
        self.playlists.iter().any(|p| !p.ended)
    }

    /// The segments on one UTC timeline (overlaps and gaps resolved).
    pub fn timeline(&self, index: usize) -> Result<Timeline, PlanError> {
        Timeline::build(&self.playlists).map_err(|e| PlanError::Playlist {
            index,
            playlist: self
                .origins
                .iter()
                .map(|l| l.shown.clone())
                .collect::<Vec<_>>()
                .join(", "),
            reason: e.to_string(),
        })
    }

    /// Where a segment of the timeline and its fMP4 init section are read from. Byte ranges of
    /// a larger file are refused: livecut reads one file per segment.
    pub fn sources_of(
        &self,
        index: usize,
        seg: &TimedSegment,
        buckets: &Buckets,
    ) -> Result<(Source, Option<Source>), PlanError> {
        let Origin {
            source: playlist,
            shown,
        } = &self.origins[seg.playlist_index];
        let refuse = |uri: &str, reason: String| PlanError::Segment {
            index,
            playlist: shown.clone(),
            uri: uri.to_string(),
            reason,
        };
        let resolve = |uri: &str| {
            playlist
                .join(uri, &|u| buckets.source(u))
                .map_err(|e| refuse(uri, e.to_string()))
        };
        if seg.byte_range.is_some() || seg.map.as_ref().is_some_and(|m| m.byte_range.is_some()) {
            return Err(refuse(
                &seg.uri,
                "it is a byte range of a larger file (#EXT-X-BYTERANGE), which livecut does not \
                 read yet; record one file per segment"
                    .into(),
            ));
        }
        let media = resolve(&seg.uri)?;
        let init = seg.map.as_ref().map(|m| resolve(&m.uri)).transpose()?;
        Ok((media, init))
    }
}

/// Where a playlist of a stream came from (its segment URIs resolve against `source`) and how
/// messages name it.
struct Origin {
    source: Source,
    shown: String,
}

impl Origin {
    fn of(source: &Source) -> Origin {
        Origin {
            source: source.clone(),
            shown: source.shown(),
        }
    }
}

fn parse_playlist(
    index: usize,
    source: &Source,
    times: &SegmentTimes,
    text: &str,
) -> Result<MediaPlaylist, PlanError> {
    let bad = |e: livecut_hls::HlsError| PlanError::Playlist {
        index,
        playlist: source.shown(),
        reason: e.to_string(),
    };
    let mut playlist = parse_media_playlist(text).map_err(bad)?;
    times.apply(&mut playlist).map_err(bad)?;
    Ok(playlist)
}

/// The indexed segments around a clip as one playlist: each placed at its own start, runs kept
/// by sequence numbers and discontinuities, still growing (a hook may report more).
fn indexed_playlist(rows: &[IndexedSegment]) -> MediaPlaylist {
    let sequence = |r: &IndexedSegment| u64::try_from(r.sequence).unwrap_or(0);
    let longest_us = rows.iter().map(|r| r.duration_us).max().unwrap_or(0);
    MediaPlaylist {
        target_duration_s: u64::try_from((longest_us + 999_999) / 1_000_000).unwrap_or(0),
        media_sequence: rows.first().map_or(0, sequence),
        discontinuity_sequence: 0,
        playlist_type: None,
        ended: false,
        segments: rows
            .iter()
            .map(|r| Segment {
                uri: r.uri.clone(),
                sequence: sequence(r),
                duration_us: r.duration_us,
                program_date_time_us: Some(r.start_us),
                discontinuity: r.discontinuity,
                gap: false,
                byte_range: None,
                map: r.init_uri.as_ref().map(|uri| MapSection {
                    uri: uri.clone(),
                    byte_range: None,
                }),
            })
            .collect(),
    }
}

/// Plans `[start, end)` (UTC µs) over local playlist files of one stream, timed by their
/// PROGRAM-DATE-TIME.
pub fn plan_range(
    index: usize,
    label: &str,
    range: (i64, i64),
    paths: &[PathBuf],
) -> Result<ClipPlan, PlanError> {
    let mut playlists = Vec::with_capacity(paths.len());
    for p in paths {
        let text = std::fs::read_to_string(p).map_err(|e| PlanError::Playlist {
            index,
            playlist: p.display().to_string(),
            reason: e.to_string(),
        })?;
        playlists.push((Source::File(p.clone()), SegmentTimes::Pdt, text));
    }
    plan_texts(
        index,
        label,
        range,
        &playlists,
        &Buckets::local(PathBuf::new()),
    )
}

/// Plans `[start, end)` (UTC µs) over the given playlists: where each came from, how its
/// segments are timed, and its text.
pub fn plan_texts(
    index: usize,
    label: &str,
    range: (i64, i64),
    texts: &[(Source, SegmentTimes, String)],
    buckets: &Buckets,
) -> Result<ClipPlan, PlanError> {
    let playlists = texts
        .iter()
        .map(|(source, times, text)| parse_playlist(index, source, times, text))
        .collect::<Result<Vec<_>, _>>()?;
    let origins: Vec<Origin> = texts.iter().map(|(s, _, _)| Origin::of(s)).collect();
    StreamRecordings { origins, playlists }.plan(index, label, range, buckets)
}

impl StreamRecordings {
    fn plan(
        &self,
        index: usize,
        label: &str,
        (start_us, end_us): (i64, i64),
        buckets: &Buckets,
    ) -> Result<ClipPlan, PlanError> {
        let timeline = self.timeline(index)?;
        let growing = self.growing();
        let mut overlapping = timeline.overlapping(start_us, end_us);
        let in_range = overlapping.len();
        // The segment right after the range, if recorded, is read too (`lookahead`): with open
        // GOPs it codes the last frames shown in the range (leading pictures come after their
        // keyframe), and recorders mux audio of the range's last frames into it (the ffmpeg
        // CLI's segments start their audio ~50 ms before their video). The engine takes only
        // that from it: the accurate modes select frames by time, and the rough modes none of
        // its own frames.
        if let Some(next) = overlapping
            .last()
            .and_then(|&last| timeline.next_after(last))
        {
            overlapping.push(next);
        }
        if overlapping.is_empty() {
            return Err(PlanError::NoContent {
                index,
                stream: label.to_string(),
                start: crate::clock::format_precise_time(start_us),
                end: crate::clock::format_precise_time(end_us),
                growing,
            });
        }
        let mut segments = Vec::with_capacity(overlapping.len());
        let mut remote = Vec::with_capacity(overlapping.len());
        for (k, seg) in overlapping.into_iter().enumerate() {
            let (source, init_source) = self.sources_of(index, seg, buckets)?;
            let (path, uri, from) = match buckets.local_file(&source) {
                Some(path) => (path, seg.uri.clone(), None),
                None => (PathBuf::new(), source.shown(), Some(source)),
            };
            let (init, init_from) = match (&seg.map, init_source) {
                (Some(map), Some(source)) => match buckets.local_file(&source) {
                    Some(path) => (
                        Some(InitSection {
                            path,
                            uri: map.uri.clone(),
                        }),
                        None,
                    ),
                    None => (
                        Some(InitSection {
                            path: PathBuf::new(),
                            uri: source.shown(),
                        }),
                        Some(source),
                    ),
                },
                _ => (None, None),
            };
            // A segment that another recording of the stream already partly covers starts on the
            // timeline `media_offset_us` into its file; the media engine anchors the file itself, so
            // it gets the file's own start. (Frames in the overlap may then appear twice.)
            segments.push(SegmentInput {
                path,
                uri,
                sequence: seg.sequence,
                utc_start_us: seg.start_us - seg.media_offset_us,
                duration_us: seg.end_us - seg.start_us + seg.media_offset_us,
                discontinuity: seg.discontinuity,
                lookahead: k >= in_range,
                init,
            });
            remote.push(Remote {
                media: from,
                init: init_from,
            });
        }
        Ok(ClipPlan {
            input: ClipInput {
                index,
                start_utc_us: start_us,
                end_utc_us: end_us,
                segments,
            },
            remote,
            missing: timeline.gaps(start_us, end_us),
            growing,
            recorded_until_us: timeline.span().map_or(i64::MIN, |(_, end)| end),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_errors_fail_jobs_with_their_codes() {
        let cases = [
            (
                PlanError::NoRecording {
                    index: 0,
                    stream: "d/a/s".into(),
                    dir: "/rec/d/a/s".into(),
                },
                "InvalidParameter.ResourceNotFound",
            ),
            (
                PlanError::NoContent {
                    index: 1,
                    stream: "d/a/s".into(),
                    start: "2021-06-21T08:01:00Z".into(),
                    end: "2021-06-21T08:02:00Z".into(),
                    growing: false,
                },
                "InvalidParameter.ResourceNotFound",
            ),
            (
                PlanError::Playlist {
                    index: 0,
                    playlist: "index.m3u8".into(),
                    reason: "not a playlist".into(),
                },
                "InvalidParameter.ResourceContentBad",
            ),
            (
                PlanError::Segment {
                    index: 0,
                    playlist: "index.m3u8".into(),
                    uri: "https://cdn/x.ts".into(),
                    reason: "not allowed".into(),
                },
                "InvalidParameter.NotSupported",
            ),
            (
                PlanError::Storage {
                    index: 0,
                    playlist: "oss://b/index.m3u8".into(),
                    reason: "timed out".into(),
                },
                "InternalError.StorageUnavailable",
            ),
            (PlanError::Db(DbError::Corrupt("x".into())), "InternalError"),
        ];
        for (e, wire) in cases {
            assert_eq!(e.code().as_str(), wire, "{e:?}");
        }
    }
}
