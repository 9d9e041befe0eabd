//! What a finished job tells about each clip: requested vs achieved range, how many frames were
//! re-encoded, which recorded ranges were missing. Stored as JSON in `jobs.report` and shown in
//! GetLiveEditingJob as the extra field `ClipResults` (SDKs ignore unknown fields).

use serde::{Deserialize, Serialize};

use livecut_media::ClipReport;

use crate::clock::format_precise_time;

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct JobReport {
    pub clips: Vec<ClipResult>,
    pub duration_us: i64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ClipResult {
    /// What the media engine achieved for the clip.
    pub cut: ClipReport,
    /// Sub-ranges of the request with no recording, UTC microseconds.
    pub missing: Vec<(i64, i64)>,
}

impl ClipResult {
    /// Spans of the clip the output has no video for: gaps of the recording (no segment) and
    /// spans a segment should hold but whose video could not be read (truncated or damaged),
    /// in time order, touching spans merged.
    pub fn missing_ranges(&self) -> Vec<(i64, i64)> {
        let mut all: Vec<(i64, i64)> = self.missing.iter().chain(&self.cut.lost).copied().collect();
        all.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(all.len());
        for (a, b) in all {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }

    /// The wire form inside `LiveEditingJob.ClipResults`.
    pub fn to_wire(&self) -> serde_json::Value {
        let c = &self.cut;
        serde_json::json!({
            "Index": c.index,
            "RequestedStartTime": format_precise_time(c.requested_start_us),
            "RequestedEndTime": format_precise_time(c.requested_end_us),
            "FirstFrameTime": format_precise_time(c.first_frame_utc_us),
            "LastFrameTime": format_precise_time(c.last_frame_utc_us),
            "OutputOffset": c.output_offset_us as f64 / 1e6,
            "Frames": c.frames,
            "ReencodedFrames": c.reencoded_frames,
            "CopiedFrames": c.copied_frames,
            "Segments": c.segments,
            "Notes": c.notes,
            "MissingRanges": self.missing_ranges().iter().map(|(a, b)| serde_json::json!({
                "StartTime": format_precise_time(*a),
                "EndTime": format_precise_time(*b),
            })).collect::<Vec<_>>(),
        })
    }
}
