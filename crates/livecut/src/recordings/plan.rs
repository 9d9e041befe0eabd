//! Planning one clip: the overlapping segments of its stream, as local files, plus the gaps.

use std::path::{Path, PathBuf};

use livecut_hls::{MediaPlaylist, Timeline, parse_media_playlist};
use livecut_media::{ClipInput, SegmentInput};

use crate::code::ErrorCode;
use crate::db::{Db, DbError, recordings};
use crate::job::request::{ClipSpec, StreamKey};

#[derive(Debug, Clone)]
pub struct ClipPlan {
    pub input: ClipInput,
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
        "Clip {index} ({stream}): no recording is known for this stream (no playlist registered and none under {dir})."
    )]
    NoRecording {
        index: usize,
        stream: String,
        dir: String,
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
    #[error(
        "Clip {index}: segment {uri} of {playlist} is not a local file; remote segments are not supported yet."
    )]
    RemoteSegment {
        index: usize,
        playlist: String,
        uri: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl PlanError {
    /// The code a job fails with: the recording is missing, unreadable or remote, or the
    /// database failed us.
    pub fn code(&self) -> ErrorCode {
        match self {
            PlanError::NoRecording { .. } | PlanError::NoContent { .. } => {
                ErrorCode::ResourceNotFound
            }
            PlanError::Playlist { .. } => ErrorCode::ResourceContentBad,
            PlanError::RemoteSegment { .. } => ErrorCode::NotSupported,
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

/// All playlists of a stream: registered ones first (in registration order), then scanned ones.
pub async fn playlists_of(
    db: &Db,
    recordings_dir: &Path,
    stream: &StreamKey,
) -> Result<Vec<PathBuf>, DbError> {
    let mut out: Vec<PathBuf> = recordings::playlists(
        db,
        &stream.domain_name,
        &stream.app_name,
        &stream.stream_name,
    )
    .await?
    .into_iter()
    .map(PathBuf::from)
    .collect();
    // Stream names come from validated JSON strings; a name with path separators simply finds
    // no folder rather than reaching outside the recordings directory.
    let unsafe_name = [&stream.domain_name, &stream.app_name, &stream.stream_name]
        .iter()
        .any(|p| p.contains('/') || p.contains('\\') || p.as_str() == ".." || p.as_str() == ".");
    if !unsafe_name {
        let dir = stream_dir(recordings_dir, stream);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut scanned: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "m3u8"))
                .collect();
            scanned.sort();
            for p in scanned {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    Ok(out)
}

/// Which segments a clip needs besides those playing in its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Only the segments playing in the range (the rough modes copy or
    /// re-encode them whole).
    Range,
    /// Also the segment right after the range, if recorded: with open GOPs
    /// it codes the last frames shown in the range (leading pictures come
    /// after their keyframe). The accurate modes select frames by time, so
    /// it adds no frame outside the range.
    CodedRange,
}

impl Reach {
    pub fn for_mode(mode: livecut_media::CutMode) -> Self {
        match mode {
            livecut_media::CutMode::Accurate | livecut_media::CutMode::AccurateFast => {
                Reach::CodedRange
            }
            livecut_media::CutMode::Rough | livecut_media::CutMode::RoughFast => Reach::Range,
        }
    }
}

pub async fn plan_clip(
    db: &Db,
    recordings_dir: &Path,
    index: usize,
    clip: &ClipSpec,
    reach: Reach,
) -> Result<ClipPlan, PlanError> {
    let label = stream_label(&clip.stream);
    let paths = playlists_of(db, recordings_dir, &clip.stream).await?;
    if paths.is_empty() {
        return Err(PlanError::NoRecording {
            index,
            stream: label,
            dir: stream_dir(recordings_dir, &clip.stream)
                .display()
                .to_string(),
        });
    }
    let range = (clip.start_us, clip.end_us);
    tokio::task::spawn_blocking(move || plan_range(index, &label, range, &paths, reach))
        .await
        .map_err(|e| PlanError::Db(DbError::Corrupt(format!("planner task failed: {e}"))))?
}

/// Plans `[start, end)` (UTC µs) over the given playlists of one stream.
pub fn plan_range(
    index: usize,
    label: &str,
    (start_us, end_us): (i64, i64),
    paths: &[PathBuf],
    reach: Reach,
) -> Result<ClipPlan, PlanError> {
    let mut playlists: Vec<MediaPlaylist> = Vec::with_capacity(paths.len());
    for p in paths {
        let bad = |reason: String| PlanError::Playlist {
            index,
            playlist: p.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(p).map_err(|e| bad(e.to_string()))?;
        playlists.push(parse_media_playlist(&text).map_err(|e| bad(e.to_string()))?);
    }
    let timeline = Timeline::build(&playlists).map_err(|e| PlanError::Playlist {
        index,
        playlist: paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        reason: e.to_string(),
    })?;
    let growing = playlists.iter().any(|p| !p.ended);
    let mut overlapping = timeline.overlapping(start_us, end_us);
    let in_range = overlapping.len();
    if reach == Reach::CodedRange
        && let Some(next) = overlapping
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
    for (k, seg) in overlapping.into_iter().enumerate() {
        let playlist = &paths[seg.playlist_index];
        let path = resolve_segment(playlist, &seg.uri).ok_or_else(|| PlanError::RemoteSegment {
            index,
            playlist: playlist.display().to_string(),
            uri: seg.uri.clone(),
        })?;
        // A segment that another recording of the stream already partly covers starts on the
        // timeline `media_offset_us` into its file; the media engine anchors the file itself, so
        // it gets the file's own start. (Frames in the overlap may then appear twice.)
        segments.push(SegmentInput {
            path,
            uri: seg.uri.clone(),
            sequence: seg.sequence,
            utc_start_us: seg.start_us - seg.media_offset_us,
            duration_us: seg.end_us - seg.start_us + seg.media_offset_us,
            discontinuity: seg.discontinuity,
            lookahead: k >= in_range,
        });
    }
    Ok(ClipPlan {
        input: ClipInput {
            index,
            start_utc_us: start_us,
            end_utc_us: end_us,
            segments,
        },
        missing: timeline.gaps(start_us, end_us),
        growing,
        recorded_until_us: timeline.span().map_or(i64::MIN, |(_, end)| end),
    })
}

/// A segment URI relative to its playlist, or an absolute local path / file:// URL.
fn resolve_segment(playlist: &Path, uri: &str) -> Option<PathBuf> {
    if let Some(rest) = uri.strip_prefix("file://") {
        return Some(PathBuf::from(rest));
    }
    if uri.contains("://") {
        return None;
    }
    let uri = uri.split(['?', '#']).next().unwrap_or(uri);
    let p = Path::new(uri);
    if p.is_absolute() {
        Some(p.to_path_buf())
    } else {
        Some(playlist.parent().unwrap_or(Path::new(".")).join(p))
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
                PlanError::RemoteSegment {
                    index: 0,
                    playlist: "index.m3u8".into(),
                    uri: "https://cdn/x.ts".into(),
                },
                "InvalidParameter.NotSupported",
            ),
            (PlanError::Db(DbError::Corrupt("x".into())), "InternalError"),
        ];
        for (e, wire) in cases {
            assert_eq!(e.code().as_str(), wire, "{e:?}");
        }
    }

    #[test]
    fn segment_uris_resolve_against_their_playlist() {
        let pl = Path::new("/rec/d/a/s/index.m3u8");
        assert_eq!(
            resolve_segment(pl, "seg001.ts"),
            Some(PathBuf::from("/rec/d/a/s/seg001.ts"))
        );
        assert_eq!(
            resolve_segment(pl, "sub/seg.ts?token=1"),
            Some(PathBuf::from("/rec/d/a/s/sub/seg.ts"))
        );
        assert_eq!(
            resolve_segment(pl, "/abs/seg.ts"),
            Some(PathBuf::from("/abs/seg.ts"))
        );
        assert_eq!(resolve_segment(pl, "https://cdn/x.ts"), None);
    }
}
