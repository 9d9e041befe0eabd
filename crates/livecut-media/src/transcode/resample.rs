//! Decoded audio -> the output's sample rate, channel layout and planar
//! float (what the AAC encoder takes), through libswresample. Every
//! decoded frame goes through it, also when nothing needs converting (it
//! then copies), so clips of different rates and layouts join into one
//! track with a single code path.

use ffmpeg_next::{Error, frame};

use crate::av;

/// Planar float samples, one vector per channel, all the same length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Planar {
    pub planes: Vec<Vec<f32>>,
}

impl Planar {
    pub fn len(&self) -> usize {
        self.planes.first().map_or(0, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The input side a resampler was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InputShape {
    format: i32,
    rate: i32,
    channels: i32,
    mask: u64,
}

fn shape_of(frame: &frame::Audio) -> InputShape {
    InputShape {
        format: av::frame::raw_format(frame),
        rate: frame.rate() as i32,
        channels: av::frame::channels(frame),
        mask: av::frame::native_layout_mask(frame),
    }
}

pub struct Resampler {
    swr: av::resample::Resampler,
    input: InputShape,
    out_rate: u32,
}

impl Resampler {
    /// A resampler from the format of `first` (a decoded frame) to planar
    /// float at `out_rate` with the default layout of `out_channels`.
    pub fn new(first: &frame::Audio, out_rate: u32, out_channels: usize) -> Result<Self, Error> {
        let input = shape_of(first);
        if input.rate <= 0 || input.channels <= 0 || out_rate == 0 || out_channels == 0 {
            return Err(Error::InvalidData);
        }
        let swr = av::resample::Resampler::new(first, out_rate, out_channels)?;
        Ok(Resampler {
            swr,
            input,
            out_rate,
        })
    }

    /// Whether `frame` has the format this resampler was built for.
    pub fn accepts(&self, frame: &frame::Audio) -> bool {
        shape_of(frame) == self.input
    }

    /// Samples (at the output rate) still inside the resampler: the output
    /// of the next conversion starts this much before its input.
    pub fn delay(&self) -> i64 {
        self.swr.delay(i64::from(self.out_rate))
    }

    /// Converts `frame` (`None`: flush what is buffered) into `out`, which
    /// is replaced.
    pub fn convert(&mut self, frame: Option<&frame::Audio>, out: &mut Planar) -> Result<(), Error> {
        self.swr.convert(frame, &mut out.planes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcode::audio_encoder::planar_frame;

    fn tone(len: usize, channels: usize) -> Planar {
        Planar {
            planes: (0..channels)
                .map(|c| {
                    (0..len)
                        .map(|i| (i as f32 * 0.05 + c as f32).sin() * 0.5)
                        .collect()
                })
                .collect(),
        }
    }

    #[test]
    fn the_same_format_passes_through_unchanged() {
        crate::av::init().expect("libav");
        let input = tone(1024, 2);
        let frame = planar_frame(&input, 0, 1024, 48_000).expect("frame");
        let mut r = Resampler::new(&frame, 48_000, 2).expect("resampler");
        assert!(r.accepts(&frame));
        let mut out = Planar::default();
        r.convert(Some(&frame), &mut out).expect("converted");
        assert_eq!(r.delay(), 0);
        assert_eq!(out, input);
    }

    #[test]
    fn rate_and_layout_changes_keep_the_duration() {
        crate::av::init().expect("libav");
        // 100 ms of mono at 44.1 kHz -> stereo at 48 kHz.
        let input = tone(4410, 1);
        let frame = planar_frame(&input, 0, 4410, 44_100).expect("frame");
        let mut r = Resampler::new(&frame, 48_000, 2).expect("resampler");
        let mut out = Planar::default();
        r.convert(Some(&frame), &mut out).expect("converted");
        assert_eq!(out.planes.len(), 2);
        let mut total = out.len();
        r.convert(None, &mut out).expect("flushed");
        total += out.len();
        assert!(total.abs_diff(4800) <= 2, "{total} samples");
        let other = planar_frame(&input, 0, 100, 48_000).expect("frame");
        assert!(!r.accepts(&other));
    }
}
