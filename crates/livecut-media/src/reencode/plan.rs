//! A clip's index -> what pass 2 decodes and where each run's frames land
//! on the output timeline (90 kHz ticks), by the crate's timeline rule:
//! the clip starts at `offset`, each run continues right after the
//! previous run's last frame (which lasts `frame_duration`).

use super::index::SourceIndex;
use crate::{ClipInput, ClipReport, MediaError};

/// Output placement of one run: `out = base + pts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunMapping {
    pub base: i64,
    /// Output interval covered by the run's video, `[start, end)`.
    pub span_start: i64,
    pub span_end: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipPlan {
    /// Per GOP: decoded in pass 2 (it holds selected frames, or the next
    /// GOP's selected RASL pictures reference it).
    pub decoded: Vec<bool>,
    /// Per run; `None` for runs without a selected frame.
    pub runs: Vec<Option<RunMapping>>,
    /// Output ticks where the clip starts and where the next one starts.
    pub offset: i64,
    pub end: i64,
    pub frames: u64,
    pub first_frame_utc_us: i64,
    pub last_frame_utc_us: i64,
}

impl ClipPlan {
    /// The clip's report once its `frames` frames are encoded.
    pub fn report(&self, clip: &ClipInput, index: &SourceIndex, frames: u64) -> ClipReport {
        ClipReport {
            index: clip.index,
            requested_start_us: clip.start_utc_us,
            requested_end_us: clip.end_utc_us,
            first_frame_utc_us: self.first_frame_utc_us,
            last_frame_utc_us: self.last_frame_utc_us,
            output_offset_us: crate::timeline::ticks_to_us(self.offset),
            frames,
            reencoded_frames: frames,
            copied_frames: 0,
            segments: index.segments_used.clone(),
            notes: vec![format!("all {frames} frames decoded and encoded again")],
        }
    }
}

/// Which GOPs are decoded: those with selected frames, and the one before
/// each of them whose selected RASL pictures need it (same run only).
fn decoded_gops(index: &SourceIndex) -> Vec<bool> {
    let gops = &index.gops;
    (0..gops.len())
        .map(|g| {
            gops[g].selected > 0
                || gops.get(g + 1).is_some_and(|next| {
                    next.selected > 0 && next.needs_previous && next.run == gops[g].run
                })
        })
        .collect()
}

pub fn plan(
    clip: &ClipInput,
    index: &SourceIndex,
    offset: i64,
    frame_duration: i64,
) -> Result<ClipPlan, MediaError> {
    let mut cursor = offset;
    let mut first_utc = None;
    let mut last_utc = None;
    let mut runs = Vec::with_capacity(index.runs.len());
    for run in &index.runs {
        let (Some(min), Some(max)) = (run.selected_min, run.selected_max) else {
            runs.push(None);
            continue;
        };
        let base = cursor - min;
        let span_end = max + base + frame_duration;
        runs.push(Some(RunMapping {
            base,
            span_start: cursor,
            span_end,
        }));
        first_utc.get_or_insert(run.anchor.utc_of(min));
        last_utc = Some(run.anchor.utc_of(max));
        cursor = span_end;
    }
    let (Some(first_frame_utc_us), Some(last_frame_utc_us)) = (first_utc, last_utc) else {
        let detail = match index.available_utc_us {
            _ if index.gops.is_empty() => {
                "the listed segments contain no keyframe to start decoding at".to_string()
            }
            Some((lo, hi)) => format!(
                "the listed segments hold video from {lo} to {hi} us UTC, none of it in the range"
            ),
            None => "the listed segments hold no video frame".to_string(),
        };
        return Err(MediaError::NoContent {
            clip: clip.index,
            start_utc_us: clip.start_utc_us,
            end_utc_us: clip.end_utc_us,
            detail,
        });
    };
    Ok(ClipPlan {
        decoded: decoded_gops(index),
        runs,
        offset,
        end: cursor,
        frames: index.gops.iter().map(|g| u64::from(g.selected)).sum(),
        first_frame_utc_us,
        last_frame_utc_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reencode::index::{Gop, RunStats};
    use crate::timeline::RunAnchor;

    fn gop(run: usize, selected: u32, needs_previous: bool) -> Gop {
        Gop {
            run,
            selected,
            needs_previous,
        }
    }

    fn clip() -> ClipInput {
        ClipInput {
            index: 3,
            start_utc_us: 0,
            end_utc_us: 10_000_000,
            segments: vec![],
        }
    }

    fn run(utc_us: i64, pts: i64, selected: Option<(i64, i64)>) -> RunStats {
        RunStats {
            anchor: RunAnchor { utc_us, pts },
            selected_min: selected.map(|s| s.0),
            selected_max: selected.map(|s| s.1),
        }
    }

    #[test]
    fn runs_follow_each_other_on_the_output_timeline() {
        let index = SourceIndex {
            runs: vec![
                run(0, 100, Some((100, 100 + 29 * 3000))),
                run(50_000_000, 7_000, None),
                run(60_000_000, 5_000_000, Some((5_000_000, 5_027_000))),
            ],
            gops: vec![gop(0, 30, false), gop(1, 0, false), gop(2, 10, false)],
            ..SourceIndex::default()
        };
        let p = plan(&clip(), &index, 0, 3000).expect("plan");
        assert_eq!(p.runs[1], None);
        let second = p.runs[2].expect("mapped");
        assert_eq!(second.span_start, 90_000);
        assert_eq!(second.base + 5_000_000, 90_000);
        assert_eq!(p.end, 120_000);
        assert_eq!(p.frames, 40);
        assert_eq!(p.decoded, vec![true, false, true]);
        assert_eq!(p.first_frame_utc_us, 0);
        assert_eq!(p.last_frame_utc_us, 60_000_000 + 300_000);
    }

    #[test]
    fn selected_rasl_pictures_pull_in_the_gop_before_in_their_run() {
        let index = SourceIndex {
            runs: vec![
                run(0, 0, Some((0, 90_000))),
                run(9_000_000, 0, Some((0, 3000))),
            ],
            gops: vec![
                gop(0, 0, false),
                gop(0, 0, false),
                gop(0, 5, true),
                gop(0, 30, true),
                gop(1, 4, true),
            ],
            ..SourceIndex::default()
        };
        let p = plan(&clip(), &index, 0, 3000).expect("plan");
        assert_eq!(p.decoded, vec![false, true, true, true, true]);
    }

    #[test]
    fn nothing_selected_is_no_content() {
        let index = SourceIndex {
            runs: vec![run(0, 0, None)],
            gops: vec![gop(0, 0, false)],
            ..SourceIndex::default()
        };
        let err = plan(&clip(), &index, 0, 3000).expect_err("empty");
        assert_eq!(err.code(), "InvalidParameter.ResourceNotFound");
        assert!(err.to_string().contains("clip 3"), "{err}");
    }
}
