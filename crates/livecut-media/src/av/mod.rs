//! Thin helpers over libav for what `ffmpeg-next`'s safe API lacks:
//! opening MPEG-TS without stream probing, codec parameter fields
//! (extradata, tag, channel layout), error-preserving packet reads, and
//! the MP4 file both writers fill.
//! All `unsafe` of the crate that is not specific to one pipeline is here.

pub mod decode;
pub mod input;
mod log;
pub mod mp4;
pub mod params;
pub mod video_encoder;

use ffmpeg_next::Rational;

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
