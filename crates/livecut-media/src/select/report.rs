//! What the writing pass reports, the same for the copying and the
//! re-encoding modes: progress by output ticks, and one `ClipReport` per
//! clip from its plan.

use super::index::{ClipIndex, LossKind};
use super::plan::ClipPlan;
use crate::timeline::ticks_to_us;
use crate::{ClipInput, ClipReport, Progress, Step};

/// Progress of the writing pass, by the output tick reached out of `total`,
/// reported in output frames of `frame` ticks each.
pub(crate) struct WriteProgress {
    reached: i64,
    total: i64,
    frame: i64,
}

impl WriteProgress {
    pub fn new(total: i64, frame: i64) -> Self {
        WriteProgress {
            reached: 0,
            total: total.max(1),
            frame: frame.max(1),
        }
    }

    fn report(&self, progress: &mut dyn FnMut(Progress)) {
        let frames = |ticks: i64| (ticks.max(0) as u64).div_ceil(self.frame as u64);
        progress(Progress {
            step: Step::Writing,
            done: frames(self.reached),
            total: frames(self.total),
        });
    }

    /// Reports `tick` if it is further than any before: ticks only grow
    /// within a clip, but progress must never go backwards.
    pub fn reach(&mut self, tick: i64, progress: &mut dyn FnMut(Progress)) {
        if tick > self.reached {
            self.reached = tick.min(self.total);
            self.report(progress);
        }
    }

    /// The output is whole.
    pub fn finish(&mut self, progress: &mut dyn FnMut(Progress)) {
        self.reached = self.total;
        self.report(progress);
    }
}

/// The report of a clip written as `plan` says, `reencoded` of its frames
/// encoded again and `copied` taken over as they were.
pub(crate) fn clip_report(
    clip: &ClipInput,
    index: &ClipIndex,
    plan: &ClipPlan,
    reencoded: u64,
    copied: u64,
    mut notes: Vec<String>,
) -> ClipReport {
    for l in &index.lost {
        let seconds = (l.end_utc_us - l.start_utc_us) as f64 / 1e6;
        let into = (l.start_utc_us - clip.start_utc_us) as f64 / 1e6;
        let segment = l.segment_sequence;
        notes.push(match l.kind {
            LossKind::ShortSegment => format!(
                "{seconds:.3} s of video missing {into:.3} s into the clip: segment {segment} \
                 ends before its recorded duration (a truncated or damaged file)"
            ),
            LossKind::Hole => format!(
                "{seconds:.3} s of video missing {into:.3} s into the clip, after a frame of \
                 segment {segment} (frames dropped by the recorder, damaged, or not decodable)"
            ),
            LossKind::Damaged { packets } => format!(
                "{seconds:.3} s of video damaged {into:.3} s into the clip: {packets} \
                 picture(s) of segment {segment} lost data in the file ({packets} decode \
                 error(s)), and the pictures predicted from them up to the next keyframe show it"
            ),
        });
    }
    ClipReport {
        index: clip.index,
        requested_start_us: clip.start_utc_us,
        requested_end_us: clip.end_utc_us,
        first_frame_utc_us: plan.first_frame_utc_us,
        last_frame_utc_us: plan.last_frame_utc_us,
        output_offset_us: ticks_to_us(plan.offset),
        frames: plan.frames,
        reencoded_frames: reencoded,
        copied_frames: copied,
        segments: index.segments_used.clone(),
        notes,
        lost: index
            .lost
            .iter()
            .map(|l| (l.start_utc_us, l.end_utc_us))
            .collect(),
    }
}

/// The note of the silence written into a clip's audio where its segments have none: how much,
/// and where in the output (the first few stretches), so the spot can be found in a player.
pub(crate) fn silence_note(spans: &[(i64, i64)]) -> Option<String> {
    const LISTED: usize = 4;
    // Stretches under 5 ms are where decoded audio was aligned to the video edge, not holes.
    const AUDIBLE_US: i64 = 5_000;
    let spans: Vec<(i64, i64)> = spans
        .iter()
        .copied()
        .filter(|s| s.1 >= AUDIBLE_US)
        .collect();
    let total_us: i64 = spans.iter().map(|s| s.1).sum();
    if total_us <= 0 {
        return None;
    }
    let ms = |us: i64| (us + 500) / 1000;
    let mut at: Vec<String> = spans
        .iter()
        .take(LISTED)
        .map(|&(start, len)| format!("{} ms at {:.3} s", ms(len), start as f64 / 1e6))
        .collect();
    if spans.len() > LISTED {
        at.push(format!("{} more", spans.len() - LISTED));
    }
    Some(format!(
        "{} ms of silence inserted in its audio where the listed segments have none, so the \
         track plays without a hole ({} of the output)",
        ms(total_us),
        at.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_silence_note_says_how_much_and_where() {
        assert_eq!(silence_note(&[]), None);
        let note = silence_note(&[(2_000_000, 21_333), (5_500_000, 42_667)]).expect("a note");
        assert!(note.starts_with("64 ms of silence"), "{note}");
        assert!(
            note.contains("(21 ms at 2.000 s, 43 ms at 5.500 s of the output)"),
            "{note}"
        );
        assert_eq!(silence_note(&[(0, 2_000)]), None, "alignment, not a hole");
        let many: Vec<(i64, i64)> = (0..6).map(|k| (k * 1_000_000, 21_333)).collect();
        let note = silence_note(&many).expect("a note");
        assert!(
            note.contains("21 ms at 3.000 s, 2 more of the output"),
            "{note}"
        );
    }

    #[test]
    fn progress_counts_output_frames_and_never_goes_back() {
        let mut seen = Vec::new();
        let mut writing = WriteProgress::new(100, 10);
        for tick in [0, 50, 40, 50, 100, 250] {
            writing.reach(tick, &mut |p| seen.push((p.done, p.total)));
        }
        // Nothing for 0 or a tick already passed; beyond the total it stays
        // at the end.
        assert_eq!(seen, [(5, 10), (10, 10), (10, 10)]);
        writing.finish(&mut |p| seen.push((p.done, p.total)));
        assert_eq!(seen.last(), Some(&(10, 10)));
    }

    #[test]
    fn an_empty_output_still_has_a_total() {
        let mut seen = Vec::new();
        WriteProgress::new(0, 3000).reach(1, &mut |p| seen.push(p.fraction()));
        assert_eq!(seen, [1.0]);
    }
}
