//! What a finished job tells about each clip: requested vs achieved range, how many frames were
//! re-encoded, which recorded ranges were missing. Stored as JSON in `jobs.report` and shown in
//! GetLiveEditingJob as the extra field `ClipResults` (SDKs ignore unknown fields).

use serde::{Deserialize, Serialize};

use crate::clock::format_precise_time;

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct JobReport {
    pub clips: Vec<ClipResult>,
    pub duration_us: i64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ClipResult {
    pub index: usize,
    pub requested_start_us: i64,
    pub requested_end_us: i64,
    pub first_frame_utc_us: i64,
    pub last_frame_utc_us: i64,
    pub output_offset_us: i64,
    pub frames: u64,
    pub reencoded_frames: u64,
    pub copied_frames: u64,
    pub segments: Vec<u64>,
    /// Sub-ranges of the request with no recording, UTC microseconds.
    pub missing: Vec<(i64, i64)>,
}

impl ClipResult {
    pub fn from_media(c: &livecut_media::ClipReport, missing: Vec<(i64, i64)>) -> ClipResult {
        ClipResult {
            index: c.index,
            requested_start_us: c.requested_start_us,
            requested_end_us: c.requested_end_us,
            first_frame_utc_us: c.first_frame_utc_us,
            last_frame_utc_us: c.last_frame_utc_us,
            output_offset_us: c.output_offset_us,
            frames: c.frames,
            reencoded_frames: c.reencoded_frames,
            copied_frames: c.copied_frames,
            segments: c.segments.clone(),
            missing,
        }
    }

    /// The wire form inside `LiveEditingJob.ClipResults`.
    pub fn to_wire(&self) -> serde_json::Value {
        serde_json::json!({
            "Index": self.index,
            "RequestedStartTime": format_precise_time(self.requested_start_us),
            "RequestedEndTime": format_precise_time(self.requested_end_us),
            "FirstFrameTime": format_precise_time(self.first_frame_utc_us),
            "LastFrameTime": format_precise_time(self.last_frame_utc_us),
            "OutputOffset": self.output_offset_us as f64 / 1e6,
            "Frames": self.frames,
            "ReencodedFrames": self.reencoded_frames,
            "CopiedFrames": self.copied_frames,
            "Segments": self.segments,
            "MissingRanges": self.missing.iter().map(|(a, b)| serde_json::json!({
                "StartTime": format_precise_time(*a),
                "EndTime": format_precise_time(*b),
            })).collect::<Vec<_>>(),
        })
    }
}
