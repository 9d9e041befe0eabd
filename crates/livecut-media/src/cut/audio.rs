//! Placement of copied AAC frames on the output timeline.
//!
//! AAC frames are copied whole, so a clip's audio can only start and end on
//! 1024-sample boundaries. A frame is kept when its middle lies inside the
//! video span of its run; it is then placed right after the previous frame
//! if its ideal position (from its PTS) is within half a frame of that,
//! dropped if it would overlap the previous frame by more than half a
//! frame, and left at its ideal position (a gap) otherwise. Audio therefore
//! stays within half a frame of the video at every join and never drifts.

/// Whether a frame of `duration` at `start` (both output ticks) belongs to
/// a run whose video covers `[span_start, span_end)`.
pub fn keeps(start: i64, duration: i64, span_start: i64, span_end: i64) -> bool {
    let middle = start + duration / 2;
    middle >= span_start && middle < span_end
}

/// Tracks where the next AAC frame goes, in samples.
#[derive(Debug, Clone, Default)]
pub struct AudioPlacer {
    next: i64,
}

impl AudioPlacer {
    /// Output PTS (samples) for a frame whose ideal PTS is `ideal`, or
    /// `None` to drop it.
    pub fn place(&mut self, ideal: i64, samples: i64) -> Option<i64> {
        let half = samples / 2;
        let pts = if (ideal - self.next).abs() <= half {
            self.next
        } else if ideal < self.next {
            return None;
        } else {
            ideal
        };
        self.next = pts + samples;
        Some(pts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_frames_whose_middle_is_in_the_span() {
        assert!(keeps(-900, 1920, 0, 90_000));
        assert!(!keeps(-1000, 1920, 0, 90_000));
        assert!(keeps(89_000, 1920, 0, 90_000));
        assert!(!keeps(89_100, 1920, 0, 90_000));
    }

    #[test]
    fn snaps_jitter_and_keeps_gaps() {
        let mut p = AudioPlacer::default();
        assert_eq!(p.place(-300, 1024), Some(0));
        assert_eq!(p.place(1023, 1024), Some(1024));
        assert_eq!(p.place(2049, 1024), Some(2048));
        // 10 frames missing in the source: the gap stays.
        assert_eq!(p.place(13_312, 1024), Some(13_312));
        // A join where the next clip's first frame overlaps by 900 samples.
        assert_eq!(p.place(14_336 - 900, 1024), None);
        assert_eq!(p.place(14_336 + 124, 1024), Some(14_336));
    }
}
