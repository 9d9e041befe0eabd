//! The audio marker schedule.
//!
//! A frame is a marker frame when its number is a multiple of the integer
//! frame rate (30 for 30/1 and for 30000/1001), i.e. about once per second.
//! A `MARKER_BURST_MS` tone of `MARKER_TONE_HZ` starts at the first audio
//! sample at or after that frame's presentation time; all other samples are
//! silent. The tone starts at its peak (a cosine) so its onset is a sharp
//! edge that a detector can place to the sample.

/// Frequency of the marker tone.
pub const MARKER_TONE_HZ: f64 = 1000.0;
/// Length of one tone burst.
pub const MARKER_BURST_MS: u64 = 100;
/// Peak amplitude of the tone (full scale is 1.0).
pub const MARKER_AMPLITUDE: f64 = 0.5;

/// Frames between two markers: the frame rate rounded to an integer (>= 1).
pub fn marker_interval_frames(fps_num: u32, fps_den: u32) -> u32 {
    if fps_den == 0 {
        return 1;
    }
    let rounded = (u64::from(fps_num) + u64::from(fps_den) / 2) / u64::from(fps_den);
    u32::try_from(rounded).unwrap_or(u32::MAX).max(1)
}

/// Whether the frame with this number carries an audio marker.
pub fn is_marker_frame(number: u32, fps_num: u32, fps_den: u32) -> bool {
    number.is_multiple_of(marker_interval_frames(fps_num, fps_den))
}

/// The marker schedule of one recording: sample 0 is presented together with
/// the frame at index 0, which carries the number `first_frame_number`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioMarkers {
    pub sample_rate: u32,
    pub fps_num: u32,
    pub fps_den: u32,
    pub first_frame_number: u32,
}

impl AudioMarkers {
    /// Samples in one burst.
    pub fn burst_samples(&self) -> u64 {
        u64::from(self.sample_rate) * MARKER_BURST_MS / 1000
    }

    /// First sample presented at or after the frame at `frame_index`.
    pub fn onset_sample(&self, frame_index: u64) -> u64 {
        let num = u128::from(frame_index) * u128::from(self.fps_den) * u128::from(self.sample_rate);
        let den = u128::from(self.fps_num.max(1));
        u64::try_from(num.div_ceil(den)).unwrap_or(u64::MAX)
    }

    /// Index of the frame being presented while `sample_index` plays.
    fn frame_at_sample(&self, sample_index: u64) -> u64 {
        let num = u128::from(sample_index) * u128::from(self.fps_num);
        let den = u128::from(self.fps_den) * u128::from(self.sample_rate);
        if den == 0 {
            return 0;
        }
        u64::try_from(num / den).unwrap_or(u64::MAX)
    }

    /// The most recent marker frame index at or before `frame_index`, if any.
    fn last_marker_at_or_before(&self, frame_index: u64) -> Option<u64> {
        let interval = u64::from(marker_interval_frames(self.fps_num, self.fps_den));
        let number = frame_index + u64::from(self.first_frame_number);
        let marker_number = number - number % interval;
        marker_number.checked_sub(u64::from(self.first_frame_number))
    }

    /// The value of audio sample `sample_index` (the same on every channel).
    pub fn sample(&self, sample_index: u64) -> f32 {
        if self.sample_rate == 0 {
            return 0.0;
        }
        let frame = self.frame_at_sample(sample_index);
        let Some(marker) = self.last_marker_at_or_before(frame) else {
            return 0.0;
        };
        let onset = self.onset_sample(marker);
        // onset(frame) <= sample_index always holds, and onset is monotonic,
        // so the subtraction cannot underflow; checked_sub keeps it obvious.
        match sample_index.checked_sub(onset) {
            Some(offset) if offset < self.burst_samples() => {
                let t = offset as f64 / f64::from(self.sample_rate);
                (MARKER_AMPLITUDE * (2.0 * std::f64::consts::PI * MARKER_TONE_HZ * t).cos()) as f32
            }
            _ => 0.0,
        }
    }
}

/// Free-function form of [`AudioMarkers::sample`].
pub fn audio_sample(
    sample_index: u64,
    sample_rate: u32,
    fps_num: u32,
    fps_den: u32,
    first_frame_number: u32,
) -> f32 {
    AudioMarkers {
        sample_rate,
        fps_num,
        fps_den,
        first_frame_number,
    }
    .sample(sample_index)
}

#[cfg(test)]
mod tests;
