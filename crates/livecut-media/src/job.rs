//! The job description and report types shared with the service. They are
//! serde types because the service hands a `CutJob` to a worker child
//! process as JSON and reads the `CutReport` back the same way.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How precisely a clip's range is honoured and what is re-encoded.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutMode {
    /// Whole segments, stream copy.
    RoughFast,
    /// Whole segments, re-encoded and scaled.
    Rough,
    /// Exact frames; only the partial GOPs at the clip edges are re-encoded.
    AccurateFast,
    /// Exact frames, fully re-encoded and scaled.
    Accurate,
}

/// One segment of a recording (MPEG-TS, or fMP4 fragments with their
/// initialization section), in playlist order.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct SegmentInput {
    /// Local file to read.
    pub path: PathBuf,
    /// The segment's URI as written in the playlist (for messages).
    pub uri: String,
    /// Media sequence number.
    pub sequence: u64,
    /// EXT-X-PROGRAM-DATE-TIME, UTC microseconds since the epoch.
    pub utc_start_us: i64,
    /// EXTINF in microseconds.
    pub duration_us: i64,
    /// EXT-X-DISCONTINUITY precedes this segment.
    pub discontinuity: bool,
    /// Listed only for what it may code of the range (an open GOP's leading
    /// pictures, shown before the segment starts): where it cannot be read,
    /// the clip's input ends instead of the job failing (`select::source`).
    #[serde(default)]
    pub lookahead: bool,
    /// The fMP4 initialization section (`#EXT-X-MAP`) the segment's
    /// fragments are read with; `None` for MPEG-TS and for self-contained
    /// MP4 segments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<InitSection>,
}

/// An fMP4 initialization section (`ftyp` + `moov`) as a local file.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct InitSection {
    /// Local file to read.
    pub path: PathBuf,
    /// Its URI as written in the playlist (for messages).
    pub uri: String,
}

/// One requested time range and the segments that overlap it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ClipInput {
    /// 0-based position in the job's clip list.
    pub index: usize,
    /// Inclusive start, UTC microseconds.
    pub start_utc_us: i64,
    /// Exclusive end, UTC microseconds.
    pub end_utc_us: i64,
    /// Every segment overlapping `[start, end)`, in playlist order.
    pub segments: Vec<SegmentInput>,
}

/// Cut the clips and join them, in order, into one MP4 at `output`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CutJob {
    pub mode: CutMode,
    pub clips: Vec<ClipInput>,
    pub output: PathBuf,
    /// Output picture width (`Accurate`/`Rough` only; see the crate docs
    /// for how it combines with the height). Even, 16..=8192.
    #[serde(default)]
    pub output_width: Option<u32>,
    /// Output picture height, as the width.
    #[serde(default)]
    pub output_height: Option<u32>,
    /// Average video bit rate in kbit/s (`Accurate`/`Rough` only); without
    /// it the encoder targets a constant quality.
    #[serde(default)]
    pub video_bitrate_kbps: Option<u32>,
}

/// What ended up in the output for one clip.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ClipReport {
    pub index: usize,
    pub requested_start_us: i64,
    pub requested_end_us: i64,
    /// UTC presentation instant of the clip's first output video frame.
    pub first_frame_utc_us: i64,
    /// UTC presentation instant of the clip's last output video frame.
    pub last_frame_utc_us: i64,
    /// Where this clip starts in the output timeline.
    pub output_offset_us: i64,
    pub frames: u64,
    pub reencoded_frames: u64,
    pub copied_frames: u64,
    /// Sequence numbers of the segments that contributed frames.
    pub segments: Vec<u64>,
    /// What was done to the clip beyond copying, and why, in words (e.g.
    /// "12 frames re-encoded at the range's edges (partial GOPs)").
    #[serde(default)]
    pub notes: Vec<String>,
    /// Spans of the clip (UTC µs) its recording covers but where no video could be read: a
    /// truncated or damaged segment, frames the recorder dropped. The output has no frames there.
    #[serde(default)]
    pub lost: Vec<(i64, i64)>,
}

/// What a cut produced.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CutReport {
    pub clips: Vec<ClipReport>,
    /// Output video duration (last clip's offset + its frames' duration).
    pub duration_us: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_survives_a_json_round_trip() {
        let job = CutJob {
            mode: CutMode::AccurateFast,
            clips: vec![ClipInput {
                index: 0,
                start_utc_us: 1_795_000_000_000_000,
                end_utc_us: 1_795_000_005_000_000,
                segments: vec![SegmentInput {
                    path: "/rec/seg00001.ts".into(),
                    uri: "seg00001.ts".into(),
                    sequence: 1,
                    utc_start_us: 1_794_999_999_000_000,
                    duration_us: 2_000_000,
                    discontinuity: false,
                    lookahead: false,
                    init: Some(InitSection {
                        path: "/rec/init.mp4".into(),
                        uri: "init.mp4".into(),
                    }),
                }],
            }],
            output: "/out/a.mp4".into(),
            output_width: Some(640),
            output_height: None,
            video_bitrate_kbps: Some(800),
        };
        let text = serde_json::to_string(&job).expect("serialisable");
        assert!(text.contains("\"AccurateFast\""), "{text}");
        let back: CutJob = serde_json::from_str(&text).expect("parsable");
        assert_eq!(back, job);
    }

    #[test]
    fn a_job_without_the_output_options_still_parses() {
        let text = r#"{"mode":"Rough","clips":[],"output":"/out/b.mp4"}"#;
        let job: CutJob = serde_json::from_str(text).expect("parsable");
        assert_eq!(job.mode, CutMode::Rough);
        assert_eq!(
            (job.output_width, job.output_height, job.video_bitrate_kbps),
            (None, None, None)
        );
    }
}
