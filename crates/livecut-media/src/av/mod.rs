//! Thin helpers over libav for what `ffmpeg-next`'s safe API lacks:
//! opening MPEG-TS without stream probing, codec parameter fields
//! (extradata, tag, channel layout), error-preserving packet reads, and
//! the MP4 file both writers fill.
//! All `unsafe` of the crate that is not specific to one pipeline is here.

pub mod decode;
pub mod input;
pub mod mp4;
pub mod params;
pub mod video_encoder;

use ffmpeg_next::Rational;

/// Time base of MPEG-TS timestamps.
pub fn ts_time_base() -> Rational {
    Rational::new(1, crate::timeline::TICKS_PER_SECOND as i32)
}
