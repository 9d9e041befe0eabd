//! Thin, safe helpers over libav for what `ffmpeg-next`'s safe API lacks:
//! opening recording segments (MPEG-TS, or fMP4 after its init section,
//! reshaped as MPEG-TS carries its packets) without stream probing, error-preserving packet reads,
//! codec parameter and codec context fields, checked pixel and sample
//! format conversions, frame fields and allocations, libswscale and
//! libswresample contexts, the decoders and the x264/x265 opener, the MP4
//! file both writers fill, and libav's log routing.
//!
//! Every `unsafe` line of the crate is under this module (the crate root
//! denies `unsafe_code` everywhere else); each block says why it is sound.
// The one place of the crate that calls libav's C API directly.
#![allow(unsafe_code)]

pub mod codec_context;
pub mod decode;
pub mod frame;
pub mod input;
mod log;
pub mod mp4;
pub mod params;
pub mod pixel;
pub mod resample;
pub mod sample;
pub mod scale;
pub mod segment;
pub mod video_encoder;

use ffmpeg_next::{Rational, ffi};

/// libav's "no timestamp" value.
pub const NOPTS: i64 = ffi::AV_NOPTS_VALUE;

/// libav's internal time base (`AV_TIME_BASE_Q`, microseconds) of
/// container durations and start times.
pub fn av_time_base() -> Rational {
    Rational::new(1, ffi::AV_TIME_BASE)
}

/// `num / den` reduced, with numerator and denominator at most `max`
/// (`av_reduce`; approximated when they do not fit).
pub fn reduce(num: i64, den: i64, max: i64) -> Rational {
    let (mut n, mut d) = (0i32, 0i32);
    // SAFETY: plain arithmetic writing to two locals.
    unsafe { ffi::av_reduce(&mut n, &mut d, num, den, max) };
    Rational::new(n, d)
}

/// Time base of MPEG-TS timestamps.
pub fn ts_time_base() -> Rational {
    Rational::new(1, crate::timeline::TICKS_PER_SECOND as i32)
}

/// Initialises libav once per process and routes its warnings and errors to
/// `tracing`. Safe to call more than once.
pub fn init() -> Result<(), crate::MediaError> {
    static ONCE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        ffmpeg_next::init().map_err(|e| e.to_string())?;
        log::install();
        Ok(())
    })
    .clone()
    .map_err(|e| crate::MediaError::Internal(format!("libav initialisation failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_reduce_within_the_limit() {
        assert_eq!(
            reduce(1920 * 4, 1080 * 3, i64::from(i32::MAX)),
            Rational::new(64, 27)
        );
        assert_eq!(reduce(6, 4, 100), Rational::new(3, 2));
        assert_eq!(reduce(0, 5, 100), Rational::new(0, 1));
        assert_eq!(av_time_base(), Rational::new(1, 1_000_000));
    }
}
