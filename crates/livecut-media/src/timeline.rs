//! Source timestamps -> UTC.
//!
//! MPEG-TS timestamps are 33-bit counters of a 90 kHz clock. A run of
//! segments (consecutive sequence numbers, no discontinuity) shares one
//! clock, so one anchor per run maps every timestamp of the run to UTC:
//! `utc = anchor_utc + (pts - anchor_pts)`, where the anchor is the first
//! segment's PROGRAM-DATE-TIME and its earliest video PTS. Using one anchor
//! instead of each segment's own (millisecond-rounded) PDT keeps frame
//! decisions free of rounding jitter.

use std::cmp::Ordering;

use crate::SegmentInput;

/// Ticks per second of the MPEG-TS clock.
pub const TICKS_PER_SECOND: i64 = 90_000;
/// Period of the 33-bit PTS/DTS counter.
pub const PTS_WRAP: i64 = 1 << 33;

/// Turns 33-bit timestamps into a monotonic-ish 64-bit line by choosing, for
/// each value, the wrap that lands closest to the previous one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unwrapper {
    last: Option<i64>,
}

impl Unwrapper {
    pub fn unwrap(&mut self, raw: i64) -> i64 {
        let modded = raw.rem_euclid(PTS_WRAP);
        let value = match self.last {
            None => modded,
            Some(last) => {
                let diff = (modded - last).rem_euclid(PTS_WRAP);
                if diff >= PTS_WRAP / 2 {
                    last + diff - PTS_WRAP
                } else {
                    last + diff
                }
            }
        };
        self.last = Some(value);
        value
    }
}

/// The PTS a segment's `EXT-X-PROGRAM-DATE-TIME` stands for: its first
/// video packet's in decoding order (HLS muxers start a segment at a
/// keyframe and stamp it with that packet's time; with open GOPs, leading
/// pictures coded after it are shown earlier), else its earliest audio
/// packet's.
pub fn segment_anchor_pts(first_video: Option<i64>, earliest_audio: Option<i64>) -> Option<i64> {
    first_video.or(earliest_audio)
}

/// Maps timestamps of one run to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAnchor {
    pub utc_us: i64,
    pub pts: i64,
}

impl RunAnchor {
    /// UTC of `pts`, rounded to the nearest microsecond.
    pub fn utc_of(&self, pts: i64) -> i64 {
        self.utc_us + ticks_to_us(pts - self.pts)
    }

    /// Compares the exact instant of `pts` with `utc_us` (no rounding).
    pub fn cmp_utc(&self, pts: i64, utc_us: i64) -> Ordering {
        let lhs = i128::from(pts - self.pts) * 1_000_000;
        let rhs = (i128::from(utc_us) - i128::from(self.utc_us)) * i128::from(TICKS_PER_SECOND);
        lhs.cmp(&rhs)
    }

    /// Whether `pts` lies in the half-open UTC range `[start, end)`.
    pub fn in_range(&self, pts: i64, start_utc_us: i64, end_utc_us: i64) -> bool {
        self.cmp_utc(pts, start_utc_us) != Ordering::Less
            && self.cmp_utc(pts, end_utc_us) == Ordering::Less
    }
}

/// 90 kHz ticks -> microseconds, rounded half away from zero.
pub fn ticks_to_us(ticks: i64) -> i64 {
    let scaled = i128::from(ticks) * 1_000_000;
    let half = i128::from(TICKS_PER_SECOND) / 2;
    let rounded = if scaled >= 0 {
        (scaled + half) / i128::from(TICKS_PER_SECOND)
    } else {
        (scaled - half) / i128::from(TICKS_PER_SECOND)
    };
    i64::try_from(rounded).unwrap_or(if scaled >= 0 { i64::MAX } else { i64::MIN })
}

/// For each segment, whether it starts a new run: the first segment, one
/// after a discontinuity, or one whose sequence number does not follow.
pub fn run_starts(segments: &[SegmentInput]) -> Vec<bool> {
    segments
        .iter()
        .enumerate()
        .map(|(i, seg)| {
            i == 0
                || seg.discontinuity
                || segments[i - 1].sequence.checked_add(1) != Some(seg.sequence)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(sequence: u64, discontinuity: bool) -> SegmentInput {
        SegmentInput {
            path: format!("/r/{sequence}.ts").into(),
            uri: format!("{sequence}.ts"),
            sequence,
            utc_start_us: 0,
            duration_us: 2_000_000,
            discontinuity,
            lookahead: false,
            init: None,
        }
    }

    #[test]
    fn unwraps_across_the_33_bit_boundary() {
        let mut u = Unwrapper::default();
        assert_eq!(u.unwrap(PTS_WRAP - 3000), PTS_WRAP - 3000);
        assert_eq!(u.unwrap(0), PTS_WRAP);
        assert_eq!(u.unwrap(6000), PTS_WRAP + 6000);
        // A B-frame slightly behind, before the wrap point again.
        assert_eq!(u.unwrap(PTS_WRAP - 1000), PTS_WRAP - 1000);
        // Already-unwrapped input from libav is normalised the same way.
        assert_eq!(u.unwrap(PTS_WRAP + 9000), PTS_WRAP + 9000);
    }

    #[test]
    fn unwrapper_starts_in_the_first_period() {
        let mut u = Unwrapper::default();
        assert_eq!(u.unwrap(900_000), 900_000);
        assert_eq!(u.unwrap(903_000), 903_000);
        assert_eq!(u.unwrap(-3000), PTS_WRAP - 3000 - PTS_WRAP);
    }

    #[test]
    fn anchors_map_and_compare_exactly() {
        let anchor = RunAnchor {
            utc_us: 1_000_000_000,
            pts: 900_000,
        };
        assert_eq!(anchor.utc_of(900_000 + 3000), 1_000_033_333);
        assert_eq!(anchor.utc_of(900_000 - 3000), 999_966_667);
        // Frame 1 is at 33333.33 us: after 33333, before 33334.
        assert_eq!(anchor.cmp_utc(903_000, 1_000_033_333), Ordering::Greater);
        assert_eq!(anchor.cmp_utc(903_000, 1_000_033_334), Ordering::Less);
        assert_eq!(anchor.cmp_utc(990_000, 1_001_000_000), Ordering::Equal);
        assert!(anchor.in_range(990_000, 1_001_000_000, 1_001_000_001));
        assert!(!anchor.in_range(990_000, 1_000_000_000, 1_001_000_000));
    }

    #[test]
    fn tick_rounding_is_symmetric() {
        assert_eq!(ticks_to_us(3000), 33_333);
        assert_eq!(ticks_to_us(-3000), -33_333);
        assert_eq!(ticks_to_us(6000), 66_667);
        assert_eq!(ticks_to_us(-6000), -66_667);
        assert_eq!(ticks_to_us(90_000), 1_000_000);
    }

    #[test]
    fn runs_break_on_discontinuity_and_sequence_gaps() {
        let segments = vec![
            segment(5, false),
            segment(6, false),
            segment(7, true),
            segment(9, false),
            segment(10, false),
        ];
        assert_eq!(run_starts(&segments), vec![true, false, true, true, false]);
        assert!(run_starts(&[]).is_empty());
    }
}
