//! Copied audio: the formats the copy modes can carry (AAC from ADTS, MP3)
//! and the placement of their frames on the output timeline.
//!
//! Audio frames are copied whole, so a clip's audio can only start and end
//! on frame boundaries (1024 samples for AAC, 1152 or 576 for MP3). A frame
//! is kept when its middle lies inside the video span of its run. In an AAC
//! track (`output::Mp4Writer::write_audio`) it then follows the previous
//! frame, unless it would play over half a frame late (dropped) or a whole
//! frame or more early (frames of encoded silence fill the hole first); each
//! clip's audio is padded with silence up to its video's end when the
//! recording's audio stops a frame or more short (`pad_audio_until`). So the
//! track has no hole a player would close up, and audio is at most half a
//! frame late and under a frame early at every join, without drift. An MP3
//! track places a frame right after the previous one when its ideal position
//! (from its PTS) is within half a frame of that, drops it when it would
//! overlap by more, and otherwise leaves a gap (`AudioPlacer`).
//!
//! One copied track holds one format, the first clip's with audio (codec,
//! sample rate, channel count and, for AAC, object type). A clip whose
//! audio has another format is decoded and encoded again to the track's
//! (`audio_reencode`) when the track is AAC-LC, and refused otherwise.
//!
//! The first frame after a join decodes without the frame before it (both
//! codecs overlap each frame with the next; an MP3 frame may also take
//! bytes of earlier frames, which `output` supplies): a sound already
//! playing at a join fades in over that frame.

/// Whether a frame of `duration` at `start` (both output ticks) belongs to
/// a run whose video covers `[span_start, span_end)`.
pub fn keeps(start: i64, duration: i64, span_start: i64, span_end: i64) -> bool {
    let middle = start + duration / 2;
    middle >= span_start && middle < span_end
}

/// Tracks where the next audio frame goes, in samples.
#[derive(Debug, Clone, Default)]
pub struct AudioPlacer {
    next: i64,
}

impl AudioPlacer {
    /// Where a frame contiguous with the previous one starts (samples).
    pub fn next(&self) -> i64 {
        self.next
    }

    /// Continues after frames placed elsewhere (a re-encoded stretch) that
    /// end at `next` (samples).
    pub fn resume_at(&mut self, next: i64) {
        self.next = next;
    }

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
