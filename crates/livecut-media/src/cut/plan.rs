//! Turns a clip's index into decisions: what happens to each GOP, and where
//! each run's frames land on the output timeline (90 kHz ticks).

use super::index::ClipIndex;
use crate::{ClipInput, MediaError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GopAction {
    /// No frame of the GOP is in the clip.
    Skip,
    /// Every frame is in the clip: packets are copied unchanged.
    Copy,
    /// Some frames are: decode the GOP, re-encode the selected frames.
    Reencode,
}

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
    pub actions: Vec<GopAction>,
    pub runs: Vec<Option<RunMapping>>,
    /// Output ticks where the clip starts and where the next one starts.
    pub offset: i64,
    pub end: i64,
    pub frames: u64,
    pub copied: u64,
    pub reencoded: u64,
    pub first_frame_utc_us: i64,
    pub last_frame_utc_us: i64,
}

/// Plans a clip that starts at output tick `offset`; the last frame of each
/// run lasts `frame_duration` ticks.
pub fn plan(
    clip: &ClipInput,
    index: &ClipIndex,
    offset: i64,
    frame_duration: i64,
) -> Result<ClipPlan, MediaError> {
    let no_content = |detail: &str| MediaError::NoContent {
        clip: clip.index,
        start_utc_us: clip.start_utc_us,
        end_utc_us: clip.end_utc_us,
        detail: detail.to_string(),
    };
    let actions: Vec<GopAction> = index
        .gops
        .iter()
        .map(|g| {
            if g.selected == 0 {
                GopAction::Skip
            } else if g.fully_selected() {
                GopAction::Copy
            } else {
                GopAction::Reencode
            }
        })
        .collect();
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
        return Err(no_content(&match index.available_utc_us {
            _ if index.gops.is_empty() => {
                "the listed segments contain no IDR frame to start decoding at".to_string()
            }
            Some((lo, hi)) => format!(
                "the listed segments hold video from {lo} to {hi} us UTC, none of it in the range"
            ),
            None => "the listed segments hold no video frame".to_string(),
        }));
    };
    let count = |action: GopAction| -> u64 {
        index
            .gops
            .iter()
            .zip(&actions)
            .filter(|(_, a)| **a == action)
            .map(|(g, _)| u64::from(g.selected))
            .sum()
    };
    let copied = count(GopAction::Copy);
    let reencoded = count(GopAction::Reencode);
    Ok(ClipPlan {
        actions,
        runs,
        offset,
        end: cursor,
        frames: copied + reencoded,
        copied,
        reencoded,
        first_frame_utc_us,
        last_frame_utc_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cut::index::{Gop, RunStats};
    use crate::timeline::RunAnchor;

    fn gop(run: usize, frames: u32, selected: u32, min: i64, max: i64) -> Gop {
        Gop {
            run,
            frames,
            selected,
            selected_min: min,
            selected_max: max,
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

    #[test]
    fn partial_gops_are_reencoded_and_full_ones_copied() {
        let index = ClipIndex {
            runs: vec![RunStats {
                anchor: RunAnchor {
                    utc_us: 1_000_000,
                    pts: 900_000,
                },
                selected_min: Some(900_000 + 10 * 3000),
                selected_max: Some(900_000 + 69 * 3000),
            }],
            gops: vec![
                gop(0, 30, 20, 900_000 + 10 * 3000, 900_000 + 29 * 3000),
                gop(0, 30, 30, 900_000 + 30 * 3000, 900_000 + 59 * 3000),
                gop(0, 30, 10, 900_000 + 60 * 3000, 900_000 + 69 * 3000),
                gop(0, 30, 0, 0, 0),
            ],
            ..ClipIndex::default()
        };
        let p = plan(&clip(), &index, 5000, 3000).expect("plan");
        assert_eq!(
            p.actions,
            vec![
                GopAction::Reencode,
                GopAction::Copy,
                GopAction::Reencode,
                GopAction::Skip
            ]
        );
        assert_eq!((p.frames, p.copied, p.reencoded), (60, 30, 30));
        let run = p.runs[0].expect("mapped");
        assert_eq!(run.base + 900_000 + 10 * 3000, 5000);
        assert_eq!(run.span_end, 5000 + 60 * 3000);
        assert_eq!(p.end, 5000 + 60 * 3000);
        assert_eq!(p.first_frame_utc_us, 1_000_000 + 333_333);
        assert_eq!(p.last_frame_utc_us, 1_000_000 + 2_300_000);
    }

    #[test]
    fn a_later_run_continues_where_the_previous_ended() {
        let index = ClipIndex {
            runs: vec![
                RunStats {
                    anchor: RunAnchor {
                        utc_us: 0,
                        pts: 100,
                    },
                    selected_min: Some(100),
                    selected_max: Some(100 + 29 * 3000),
                },
                RunStats {
                    anchor: RunAnchor {
                        utc_us: 50_000_000,
                        pts: 7_000,
                    },
                    selected_min: None,
                    selected_max: None,
                },
                RunStats {
                    anchor: RunAnchor {
                        utc_us: 60_000_000,
                        pts: 5_000_000,
                    },
                    selected_min: Some(5_000_000),
                    selected_max: Some(5_000_000 + 9 * 3000),
                },
            ],
            gops: vec![
                gop(0, 30, 30, 100, 100 + 29 * 3000),
                gop(2, 10, 10, 5_000_000, 5_027_000),
            ],
            ..ClipIndex::default()
        };
        let p = plan(&clip(), &index, 0, 3000).expect("plan");
        assert_eq!(p.runs[1], None);
        let second = p.runs[2].expect("mapped");
        assert_eq!(second.span_start, 90_000);
        assert_eq!(second.base + 5_000_000, 90_000);
        assert_eq!(p.end, 120_000);
        assert_eq!(p.last_frame_utc_us, 60_000_000 + 300_000);
    }

    #[test]
    fn nothing_selected_is_no_content() {
        let index = ClipIndex {
            runs: vec![RunStats {
                anchor: RunAnchor { utc_us: 0, pts: 0 },
                selected_min: None,
                selected_max: None,
            }],
            gops: vec![gop(0, 30, 0, 0, 0)],
            ..ClipIndex::default()
        };
        let err = plan(&clip(), &index, 0, 3000).expect_err("empty");
        assert_eq!(err.code(), "InvalidParameter.ResourceNotFound");
        assert!(err.to_string().contains("clip 3"), "{err}");
    }
}
