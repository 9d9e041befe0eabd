//! `AVFrame` fields and allocations `ffmpeg-next` has no safe call for:
//! the raw format and channel layout of decoded frames, frames with
//! buffers checked to be allocated, writability, and the few fields the
//! encoders read (sample aspect ratio, quality).

use ffmpeg_next::format::{Pixel, Sample, sample};
use ffmpeg_next::{Error, Rational, ffi, frame};

/// The raw format value of a frame (an `AVPixelFormat` for video, an
/// `AVSampleFormat` for audio; -1 when unset). See `pixel::from_raw` and
/// `sample::from_raw` for checked conversions.
pub fn raw_format(frame: &frame::Frame) -> i32 {
    // SAFETY: reading a plain field of a frame the wrapper owns.
    unsafe { (*frame.as_ptr()).format }
}

/// Whether the frame holds picture or sample data (its first plane).
pub fn has_data(frame: &frame::Frame) -> bool {
    // SAFETY: reading a plain field of a frame the wrapper owns.
    unsafe { !(*frame.as_ptr()).data[0].is_null() }
}

/// The number of channels of an audio frame's channel layout.
pub fn channels(frame: &frame::Audio) -> i32 {
    // SAFETY: reading a plain field of a frame the wrapper owns.
    unsafe { (*frame.as_ptr()).ch_layout.nb_channels }
}

/// The channel mask of an audio frame whose layout is in native order,
/// 0 for other orders (unspecified, custom, ambisonic).
pub fn native_layout_mask(frame: &frame::Audio) -> u64 {
    // SAFETY: reading plain fields of a frame the wrapper owns; the union
    // member `mask` is the one libav sets for the native order.
    unsafe {
        let layout = &(*frame.as_ptr()).ch_layout;
        if layout.order == ffi::AVChannelOrder::AV_CHANNEL_ORDER_NATIVE {
            layout.u.mask
        } else {
            0
        }
    }
}

/// A video frame of `pixel` and `width` x `height` with its own buffers
/// (libav's default alignment); `Err` when they cannot be allocated
/// (`frame::Video::new` does not report that).
pub fn video(pixel: Pixel, width: u32, height: u32) -> Result<frame::Video, Error> {
    let mut frame = frame::Video::empty();
    frame.set_format(pixel);
    frame.set_width(width);
    frame.set_height(height);
    // SAFETY: the frame is described and has no buffers yet; libav
    // allocates them for that description.
    let ret = unsafe { ffi::av_frame_get_buffer(frame.as_mut_ptr(), 0) };
    if ret < 0 {
        return Err(Error::from(ret));
    }
    Ok(frame)
}

/// A planar float (`fltp`) audio frame of `samples` samples at `rate`
/// with the default layout of `channels`, with its own buffers (filled by
/// the caller through `plane_mut`).
pub fn planar_float(channels: usize, samples: usize, rate: u32) -> Result<frame::Audio, Error> {
    let (Ok(channels), Ok(samples), Ok(rate)) = (
        i32::try_from(channels),
        i32::try_from(samples),
        i32::try_from(rate),
    ) else {
        return Err(Error::InvalidData);
    };
    let mut frame = frame::Audio::empty();
    frame.set_format(Sample::F32(sample::Type::Planar));
    // SAFETY: a fresh frame is described (its layout is zeroed, so setting
    // the default leaks nothing), then given buffers by libav.
    let ret = unsafe {
        let raw = frame.as_mut_ptr();
        (*raw).nb_samples = samples;
        (*raw).sample_rate = rate;
        ffi::av_channel_layout_default(&mut (*raw).ch_layout, channels);
        #[allow(deprecated)]
        {
            (*raw).channels = channels;
            (*raw).channel_layout = (*raw).ch_layout.u.mask;
        }
        ffi::av_frame_get_buffer(raw, 0)
    };
    if ret < 0 {
        return Err(Error::from(ret));
    }
    Ok(frame)
}

/// Makes the frame's buffers its own (copied if an encoder still holds
/// them), so they can be written.
pub fn make_writable(frame: &mut frame::Video) -> Result<(), Error> {
    // SAFETY: the frame is valid; libav copies shared buffers first.
    let ret = unsafe { ffi::av_frame_make_writable(frame.as_mut_ptr()) };
    if ret < 0 {
        return Err(Error::from(ret));
    }
    Ok(())
}

/// Sets the sample aspect ratio of a video frame.
pub fn set_sample_aspect_ratio(frame: &mut frame::Video, sar: Rational) {
    // SAFETY: plain field write on a frame the wrapper owns.
    unsafe { (*frame.as_mut_ptr()).sample_aspect_ratio = sar.into() };
}

/// Sets the quality of a frame (lambda units, see
/// `encoder::QP2LAMBDA`), which a `QSCALE` encoder uses as its quantiser.
pub fn set_quality(frame: &mut frame::Video, quality: i32) {
    // SAFETY: plain field write on a frame the wrapper owns.
    unsafe { (*frame.as_mut_ptr()).quality = quality };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_frames_are_allocated_as_described() {
        let frame = video(Pixel::YUV420P10LE, 64, 36).expect("allocated");
        assert_eq!((frame.width(), frame.height()), (64, 36));
        assert_eq!(frame.format(), Pixel::YUV420P10LE);
        assert_eq!(frame.planes(), 3);
        assert!(has_data(&frame) && !has_data(&frame::Video::empty()));
        assert!(frame.stride(0) >= 128);
        assert_eq!(
            crate::av::pixel::from_raw(raw_format(&frame)),
            Some(Pixel::YUV420P10LE)
        );
    }

    #[test]
    fn impossible_frames_are_errors() {
        assert!(video(Pixel::None, 64, 36).is_err());
        assert!(video(Pixel::YUV420P, 0, 0).is_err());
        assert!(planar_float(0, 1024, 48_000).is_err());
        assert!(planar_float(usize::MAX, 1024, 48_000).is_err());
    }

    #[test]
    fn planar_float_frames_have_a_plane_per_channel() {
        let mut frame = planar_float(2, 1024, 48_000).expect("allocated");
        assert_eq!(channels(&frame), 2);
        assert_eq!(native_layout_mask(&frame), 0b11);
        assert_eq!((frame.samples(), frame.rate()), (1024, 48_000));
        assert_eq!(frame.planes(), 2);
        frame.plane_mut::<f32>(1)[1023] = 0.5;
        assert_eq!(frame.plane::<f32>(1)[1023], 0.5);
        assert_eq!(
            crate::av::sample::format_of(raw_format(&frame)),
            Some(ffi::AVSampleFormat::AV_SAMPLE_FMT_FLTP)
        );
    }

    #[test]
    fn an_empty_audio_frame_has_no_layout() {
        let frame = frame::Audio::empty();
        assert_eq!(channels(&frame), 0);
        assert_eq!(native_layout_mask(&frame), 0);
        assert_eq!(raw_format(&frame), -1);
    }

    #[test]
    fn own_frames_stay_writable_and_take_their_fields() {
        let mut frame = video(Pixel::YUV420P, 16, 16).expect("allocated");
        make_writable(&mut frame).expect("writable");
        assert_eq!(frame.planes(), 3);
        set_sample_aspect_ratio(&mut frame, Rational::new(4, 3));
        assert_eq!(frame.aspect_ratio(), Rational::new(4, 3));
    }
}
