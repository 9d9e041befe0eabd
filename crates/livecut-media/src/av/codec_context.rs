//! `AVCodecContext` fields without a safe accessor in `ffmpeg-next`: the
//! settings encoders are opened with (channel layout, H.264 level, the
//! lambda scale of quality values) and what an opened encoder reports
//! (its extradata, its reordering delay).

use ffmpeg_next::codec::Context;
use ffmpeg_next::ffi;

/// Lambda units per quantiser step: a frame's or encoder's quality is the
/// quantiser times this.
pub const QP2LAMBDA: i32 = ffi::FF_QP2LAMBDA;

/// Sets the default channel layout for `channels` (and the deprecated
/// channel fields) on an encoder that is not opened yet.
pub fn set_default_layout(ctx: &mut Context, channels: i32) {
    // SAFETY: the context is valid and not opened yet, so its layout is one
    // libav initialised and its fields may be written.
    unsafe {
        let raw = ctx.as_mut_ptr();
        #[allow(deprecated)]
        super::params::write_default_layout(
            &mut (*raw).ch_layout,
            &mut (*raw).channels,
            &mut (*raw).channel_layout,
            channels,
        );
    }
}

/// Sets the codec level (H.264 `level_idc`) on an encoder that is not
/// opened yet.
pub fn set_level(ctx: &mut Context, level: i32) {
    // SAFETY: plain field write on a valid context.
    unsafe { (*ctx.as_mut_ptr()).level = level };
}

/// A copy of the context's extradata (an opened encoder's global header).
pub fn extradata(ctx: &Context) -> Vec<u8> {
    // SAFETY: libav keeps `extradata_size` bytes at `extradata` (or null).
    unsafe {
        let raw = &*ctx.as_ptr();
        let size = usize::try_from(raw.extradata_size).unwrap_or(0);
        if raw.extradata.is_null() || size == 0 {
            return Vec::new();
        }
        std::slice::from_raw_parts(raw.extradata, size).to_vec()
    }
}

/// The frames of reordering delay the codec reports (`has_b_frames`).
pub fn reorder_delay(ctx: &Context) -> i32 {
    // SAFETY: reading a plain field of a valid context.
    unsafe { (*ctx.as_ptr()).has_b_frames }
}

#[cfg(test)]
mod tests {
    use ffmpeg_next::codec::{self, encoder};
    use ffmpeg_next::format::{Sample, sample};
    use ffmpeg_next::{Rational, format::Pixel};

    use super::*;

    #[test]
    fn an_opened_encoder_reports_its_header() {
        crate::av::init().expect("libav");
        let codec = encoder::find(codec::Id::AAC).expect("aac");
        let mut ctx = Context::new_with_codec(codec)
            .encoder()
            .audio()
            .expect("ctx");
        ctx.set_rate(48_000);
        ctx.set_format(Sample::F32(sample::Type::Planar));
        ctx.set_time_base(Rational::new(1, 48_000));
        ctx.set_flags(codec::Flags::GLOBAL_HEADER);
        set_default_layout(&mut ctx, 2);
        let opened = ctx.open().expect("opened");
        // AAC-LC, 48 kHz, stereo: the AudioSpecificConfig 0x11 0x90 (then
        // FFmpeg's backward-compatible SBR signalling).
        let header = extradata(&opened);
        assert!(header.starts_with(&[0x11, 0x90]), "{header:02x?}");
        assert_eq!(reorder_delay(&opened), 0);
    }

    #[test]
    fn level_and_empty_extradata_of_a_fresh_context() {
        crate::av::init().expect("libav");
        let codec = encoder::find_by_name("libx264").expect("libx264");
        let mut ctx = Context::new_with_codec(codec)
            .encoder()
            .video()
            .expect("ctx");
        ctx.set_format(Pixel::YUV420P);
        set_level(&mut ctx, 31);
        // SAFETY: reading back the field the wrapper wrote.
        assert_eq!(unsafe { (*ctx.as_ptr()).level }, 31);
        assert!(extradata(&ctx).is_empty());
    }
}
