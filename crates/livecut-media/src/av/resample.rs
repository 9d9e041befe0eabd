//! libswresample behind a safe type: a context from the format of a
//! decoded frame to planar float at a rate with the default layout of a
//! channel count, its delay, and conversions into per-channel vectors.
//! When to build one and what to do with the samples is the caller's
//! business (`transcode::resample`).

use std::ptr::{self, NonNull};

use ffmpeg_next::{Error, ffi, frame};

use super::frame::{channels, raw_format};
use super::sample;

/// An initialised libswresample context, freed on drop.
pub struct Resampler {
    swr: NonNull<ffi::SwrContext>,
    /// The raw sample format and channel count of the input it was made
    /// for; frames of another one would be read out of bounds.
    in_format: i32,
    in_channels: i32,
    out_channels: usize,
}

impl Resampler {
    /// A context from the format, rate and layout of `first` to planar
    /// float at `out_rate` with the default layout of `out_channels`.
    pub fn new(first: &frame::Audio, out_rate: u32, out_channels: usize) -> Result<Self, Error> {
        let in_format = raw_format(first);
        let format = sample::format_of(in_format).ok_or(Error::InvalidData)?;
        let (Ok(out_rate), Ok(out_count)) = (i32::try_from(out_rate), i32::try_from(out_channels))
        else {
            return Err(Error::InvalidData);
        };
        let mut swr: *mut ffi::SwrContext = ptr::null_mut();
        // SAFETY: the layouts are initialised before use and released
        // after libswresample has copied them; the frame outlives the
        // call; on failure the context is freed (and `swr` nulled).
        unsafe {
            let mut out_layout: ffi::AVChannelLayout = std::mem::zeroed();
            ffi::av_channel_layout_default(&mut out_layout, out_count);
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
                out_rate,
                &mut in_layout,
                format,
                first.rate() as i32,
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
        let swr = NonNull::new(swr).ok_or(Error::Bug)?;
        Ok(Resampler {
            swr,
            in_format,
            in_channels: channels(first),
            out_channels,
        })
    }

    /// Samples (at `rate`) still inside the context.
    pub fn delay(&self, rate: i64) -> i64 {
        // SAFETY: the context is valid and initialised.
        unsafe { ffi::swr_get_delay(self.swr.as_ptr(), rate) }
    }

    /// Converts `frame` (`None`: flush what is buffered) into `planes`,
    /// which are replaced: one vector per output channel, all as long as
    /// the output. A frame of another sample format or channel count than
    /// the context's is refused.
    pub fn convert(
        &mut self,
        frame: Option<&frame::Audio>,
        planes: &mut Vec<Vec<f32>>,
    ) -> Result<(), Error> {
        let (input, in_count) = match frame {
            None => (ptr::null_mut(), 0),
            Some(f) => {
                if raw_format(f) != self.in_format || channels(f) != self.in_channels {
                    return Err(Error::InvalidData);
                }
                let count = i32::try_from(f.samples()).map_err(|_| Error::InvalidData)?;
                // SAFETY: reading the frame's plane table pointer.
                let data = unsafe { (*f.as_ptr()).extended_data };
                if data.is_null() && count > 0 {
                    return Err(Error::InvalidData);
                }
                (data as *mut *const u8, count)
            }
        };
        // SAFETY: the context is valid and initialised.
        let capacity = unsafe { ffi::swr_get_out_samples(self.swr.as_ptr(), in_count) };
        let Ok(len) = usize::try_from(capacity) else {
            return Err(Error::from(capacity));
        };
        planes.resize_with(self.out_channels, Vec::new);
        for plane in planes.iter_mut() {
            plane.clear();
            plane.resize(len, 0.0);
        }
        let mut pointers: Vec<*mut u8> = planes
            .iter_mut()
            .map(|p| p.as_mut_ptr().cast::<u8>())
            .collect();
        // SAFETY: the output buffers are the context's output channels,
        // each holding `capacity` floats; the input is null (flush) or the
        // frame's own planes, one per input channel of the context's
        // sample format (checked above), valid for `in_count` samples.
        let written = unsafe {
            ffi::swr_convert(
                self.swr.as_ptr(),
                pointers.as_mut_ptr(),
                capacity,
                input,
                in_count,
            )
        };
        let Ok(written) = usize::try_from(written) else {
            return Err(Error::from(written));
        };
        for plane in planes.iter_mut() {
            plane.truncate(written);
        }
        Ok(())
    }
}

impl Drop for Resampler {
    fn drop(&mut self) {
        let mut swr = self.swr.as_ptr();
        // SAFETY: the context came from swr_alloc_set_opts2 and is freed
        // once.
        unsafe { ffi::swr_free(&mut swr) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::av::frame::planar_float;

    fn tone(channels: usize, samples: usize, rate: u32) -> frame::Audio {
        let mut f = planar_float(channels, samples, rate).expect("frame");
        for ch in 0..channels {
            for (i, v) in f.plane_mut::<f32>(ch).iter_mut().enumerate() {
                *v = (i as f32 * 0.05).sin() * 0.5;
            }
        }
        f
    }

    #[test]
    fn converts_and_flushes_into_planes() {
        let input = tone(1, 4410, 44_100);
        let mut r = Resampler::new(&input, 48_000, 2).expect("resampler");
        let mut planes = Vec::new();
        r.convert(Some(&input), &mut planes).expect("converted");
        assert_eq!(planes.len(), 2);
        let mut total = planes[0].len();
        assert!(r.delay(48_000) >= 0);
        r.convert(None, &mut planes).expect("flushed");
        total += planes[0].len();
        assert!(total.abs_diff(4800) <= 2, "{total}");
    }

    #[test]
    fn frames_of_another_shape_are_refused() {
        let input = tone(2, 1024, 48_000);
        let mut r = Resampler::new(&input, 48_000, 2).expect("resampler");
        let mut planes = Vec::new();
        let mono = tone(1, 1024, 48_000);
        assert_eq!(r.convert(Some(&mono), &mut planes), Err(Error::InvalidData));
        let empty = frame::Audio::empty();
        assert_eq!(
            r.convert(Some(&empty), &mut planes),
            Err(Error::InvalidData)
        );
        assert!(Resampler::new(&empty, 48_000, 2).is_err());
    }
}
