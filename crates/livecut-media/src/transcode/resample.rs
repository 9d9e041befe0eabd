//! Decoded audio -> the output's sample rate, channel layout and planar
//! float (what the AAC encoder takes), through libswresample. Every
//! decoded frame goes through it, also when nothing needs converting (it
//! then copies), so clips of different rates and layouts join into one
//! track with a single code path.

use std::ptr;

use ffmpeg_next::{Error, ffi, frame};

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
    // SAFETY: reading plain fields of a decoded frame.
    unsafe {
        let raw = &*frame.as_ptr();
        let native = raw.ch_layout.order == ffi::AVChannelOrder::AV_CHANNEL_ORDER_NATIVE;
        InputShape {
            format: raw.format,
            rate: raw.sample_rate,
            channels: raw.ch_layout.nb_channels,
            mask: if native { raw.ch_layout.u.mask } else { 0 },
        }
    }
}

pub struct Resampler {
    swr: *mut ffi::SwrContext,
    input: InputShape,
    out_rate: u32,
    out_channels: usize,
}

impl Resampler {
    /// A resampler from the format of `first` (a decoded frame) to planar
    /// float at `out_rate` with the default layout of `out_channels`.
    pub fn new(first: &frame::Audio, out_rate: u32, out_channels: usize) -> Result<Self, Error> {
        let input = shape_of(first);
        if input.rate <= 0 || input.channels <= 0 || out_rate == 0 || out_channels == 0 {
            return Err(Error::InvalidData);
        }
        let mut swr: *mut ffi::SwrContext = ptr::null_mut();
        // SAFETY: the layouts are initialised before use and released
        // after swr has copied them; the frame outlives the call.
        unsafe {
            let mut out_layout: ffi::AVChannelLayout = std::mem::zeroed();
            ffi::av_channel_layout_default(&mut out_layout, out_channels as i32);
            let mut in_layout: ffi::AVChannelLayout = std::mem::zeroed();
            let copied = ffi::av_channel_layout_copy(&mut in_layout, &(*first.as_ptr()).ch_layout);
            if copied < 0 {
                ffi::av_channel_layout_uninit(&mut out_layout);
                return Err(Error::from(copied));
            }
            let ret = ffi::swr_alloc_set_opts2(
                &mut swr,
                &mut out_layout,
                ffi::AVSampleFormat::AV_SAMPLE_FMT_FLTP,
                out_rate as i32,
                &mut in_layout,
                std::mem::transmute::<i32, ffi::AVSampleFormat>(input.format),
                input.rate,
                0,
                ptr::null_mut(),
            );
            ffi::av_channel_layout_uninit(&mut out_layout);
            ffi::av_channel_layout_uninit(&mut in_layout);
            if ret < 0 || swr.is_null() {
                ffi::swr_free(&mut swr);
                return Err(Error::from(ret.min(-1)));
            }
            let ret = ffi::swr_init(swr);
            if ret < 0 {
                ffi::swr_free(&mut swr);
                return Err(Error::from(ret));
            }
        }
        Ok(Resampler {
            swr,
            input,
            out_rate,
            out_channels,
        })
    }

    /// Whether `frame` has the format this resampler was built for.
    pub fn accepts(&self, frame: &frame::Audio) -> bool {
        shape_of(frame) == self.input
    }

    /// Samples (at the output rate) still inside the resampler: the output
    /// of the next conversion starts this much before its input.
    pub fn delay(&self) -> i64 {
        // SAFETY: swr is a valid, initialised context.
        unsafe { ffi::swr_get_delay(self.swr, i64::from(self.out_rate)) }
    }

    /// Converts `frame` (`None`: flush what is buffered) into `out`, which
    /// is replaced.
    pub fn convert(&mut self, frame: Option<&frame::Audio>, out: &mut Planar) -> Result<(), Error> {
        let in_count = frame.map_or(0, |f| f.samples() as i32);
        // SAFETY: swr is valid; the output buffers hold `capacity` samples
        // per channel; the input pointers are the frame's own planes
        // (`extended_data`), valid for `in_count` samples.
        unsafe {
            let capacity = ffi::swr_get_out_samples(self.swr, in_count);
            if capacity < 0 {
                return Err(Error::from(capacity));
            }
            out.planes.resize_with(self.out_channels, Vec::new);
            for plane in &mut out.planes {
                plane.clear();
                plane.resize(capacity as usize, 0.0);
            }
            let mut pointers: Vec<*mut u8> = out
                .planes
                .iter_mut()
                .map(|p| p.as_mut_ptr().cast::<u8>())
                .collect();
            let input: *mut *const u8 = match frame {
                Some(f) => (*f.as_ptr()).extended_data as *mut *const u8,
                None => ptr::null_mut(),
            };
            let written =
                ffi::swr_convert(self.swr, pointers.as_mut_ptr(), capacity, input, in_count);
            if written < 0 {
                return Err(Error::from(written));
            }
            for plane in &mut out.planes {
                plane.truncate(written as usize);
            }
        }
        Ok(())
    }
}

impl Drop for Resampler {
    fn drop(&mut self) {
        // SAFETY: swr came from swr_alloc_set_opts2 and is freed once.
        unsafe { ffi::swr_free(&mut self.swr) };
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
