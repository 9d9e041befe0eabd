//! Sample-accurate placement of decoded audio on the output timeline.
//!
//! Each run of a clip owns the output interval `[start, end)` (in output
//! samples) that its video covers. Decoded chunks arrive with an ideal
//! start taken from their timestamps; the cursor turns each into "this much
//! silence first, skip this many leading samples, take this many", so that
//! exactly `end - start` samples come out: trimmed to the sample at both
//! ends, holes filled with silence, overlaps dropped. A chunk that starts
//! within `tolerance` of where the previous chunk ended counts as
//! contiguous, so timestamp rounding never inserts a click, while a real
//! drift is corrected as soon as it exceeds the tolerance.

use crate::timeline::TICKS_PER_SECOND;

/// 90 kHz ticks -> samples at `rate`, rounded half away from zero.
pub fn ticks_to_samples(ticks: i64, rate: u32) -> i64 {
    let scaled = i128::from(ticks) * i128::from(rate);
    let den = i128::from(TICKS_PER_SECOND);
    let rounded = if scaled >= 0 {
        (scaled + den / 2) / den
    } else {
        (scaled - den / 2) / den
    };
    i64::try_from(rounded).unwrap_or(if scaled >= 0 { i64::MAX } else { i64::MIN })
}

/// What to do with one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Step {
    /// Silent samples to emit before the chunk's samples.
    pub silence: u64,
    /// Leading samples of the chunk to drop.
    pub skip: usize,
    /// Samples of the chunk to emit after the skipped ones.
    pub take: usize,
}

#[derive(Debug, Clone)]
pub struct SpanCursor {
    cursor: i64,
    end: i64,
    /// Where a chunk contiguous with the previous one starts.
    expected: Option<i64>,
    tolerance: i64,
}

impl SpanCursor {
    pub fn new(start: i64, end: i64, tolerance: i64) -> Self {
        SpanCursor {
            cursor: start,
            end: end.max(start),
            expected: None,
            tolerance: tolerance.max(0),
        }
    }

    /// Where the previous chunk ended (by its own timing), if any: the
    /// start of samples that continue it, such as a resampler's tail.
    pub fn expected(&self) -> Option<i64> {
        self.expected
    }

    /// The sample up to which the span is written (audio or silence).
    pub fn written_to(&self) -> i64 {
        self.cursor
    }

    /// Places a chunk of `len` samples ideally starting at `start`.
    pub fn place(&mut self, start: i64, len: usize) -> Step {
        let start = match self.expected {
            Some(e) if (start - e).abs() <= self.tolerance => e,
            _ => start,
        };
        let len = i64::try_from(len).unwrap_or(i64::MAX / 4);
        self.expected = Some(start + len);
        let mut step = Step::default();
        let gap_end = start.min(self.end);
        if gap_end > self.cursor {
            step.silence = (gap_end - self.cursor) as u64;
            self.cursor = gap_end;
        }
        let from = start.max(self.cursor);
        let to = (start + len).min(self.end);
        if to > from {
            step.skip = (from - start) as usize;
            step.take = (to - from) as usize;
            self.cursor = to;
        }
        step
    }

    /// Silence that completes the interval after the last chunk.
    pub fn finish(&mut self) -> u64 {
        let missing = (self.end - self.cursor).max(0);
        self.cursor = self.end;
        missing as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(silence: u64, skip: usize, take: usize) -> Step {
        Step {
            silence,
            skip,
            take,
        }
    }

    #[test]
    fn ticks_round_to_the_nearest_sample() {
        assert_eq!(ticks_to_samples(1920, 48_000), 1024);
        assert_eq!(ticks_to_samples(-1920, 48_000), -1024);
        assert_eq!(ticks_to_samples(3000, 44_100), 1470);
        assert_eq!(ticks_to_samples(1, 44_100), 0);
        assert_eq!(ticks_to_samples(3, 44_100), 1);
    }

    #[test]
    fn trims_both_ends_to_the_sample() {
        let mut c = SpanCursor::new(1000, 3000, 8);
        // Entirely before the span.
        assert_eq!(c.place(-100, 1024), step(0, 0, 0));
        // Straddles the start: the first 1000 - 924 samples are dropped.
        assert_eq!(c.place(924, 1024), step(0, 76, 948));
        assert_eq!(c.place(1948, 1024), step(0, 0, 1024));
        // Straddles the end.
        assert_eq!(c.place(2972, 1024), step(0, 0, 28));
        assert_eq!(c.place(3996, 1024), step(0, 0, 0));
        assert_eq!(c.finish(), 0);
    }

    #[test]
    fn jitter_is_snapped_but_holes_and_overlaps_are_not() {
        let mut c = SpanCursor::new(0, 10_000, 8);
        assert_eq!(c.place(0, 1000), step(0, 0, 1000));
        // 3 samples late from timestamp rounding: still contiguous.
        assert_eq!(c.place(1003, 1000), step(0, 0, 1000));
        assert_eq!(c.expected(), Some(2000));
        // 500 samples missing in the source: silence.
        assert_eq!(c.place(2500, 1000), step(500, 0, 1000));
        // Overlapping the previous chunk by 300: those are dropped.
        assert_eq!(c.place(3200, 1000), step(0, 300, 700));
        // Audio ends early: the rest of the span is silence.
        assert_eq!(c.finish(), 10_000 - 4200);
    }

    #[test]
    fn audio_starting_late_is_preceded_by_silence() {
        let mut c = SpanCursor::new(0, 2048, 8);
        assert_eq!(c.place(100, 1024), step(100, 0, 1024));
        // Nothing beyond the span, however much comes.
        assert_eq!(c.place(1124, 4096), step(0, 0, 924));
        assert_eq!(c.finish(), 0);
        // A chunk wholly after the end only fills the span with silence.
        let mut c = SpanCursor::new(0, 100, 8);
        assert_eq!(c.place(500, 10), step(100, 0, 0));
    }
}
