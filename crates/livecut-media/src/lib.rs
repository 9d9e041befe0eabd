//! livecut's media engine: every libav (FFmpeg) call of the project lives in
//! this crate. It probes files, cuts time ranges out of HLS recordings
//! (MPEG-TS segments with H.264 and AAC) and joins them into one MP4, and it
//! generates the synthetic test recordings the tests and benchmarks use.
//!
//! # Timeline rule
//!
//! A segment's `EXT-X-PROGRAM-DATE-TIME` is taken to be the UTC instant of
//! the segment's earliest video presentation timestamp (its earliest audio
//! PTS if it has no video). Within a run of segments (consecutive sequence
//! numbers, no `EXT-X-DISCONTINUITY`), timestamps map to UTC from the run's
//! first segment only: `utc = anchor_utc + (pts - anchor_pts)`, with 33-bit
//! PTS wrap-around unwrapped inside the run. So the millisecond rounding of
//! later segments' PDT never moves a frame across a cut point.
//!
//! A clip's video frames are those whose UTC instant lies in
//! `[start_utc_us, end_utc_us)` (AccurateFast), or every decodable frame of
//! the listed segments (RoughFast). In the output, clip k+1 starts where
//! clip k's last frame ends; after a discontinuity inside a clip, the next
//! run continues right after the previous run's last frame as well. Audio
//! is placed on the same timeline, each clip's audio starting at that
//! clip's first video frame, within half an AAC frame.
//!
//! # Modes
//!
//! * `RoughFast`: every packet of the listed segments is stream-copied.
//! * `AccurateFast`: frame-exact; the partial GOPs at the clip edges are
//!   decoded and re-encoded with libx264 under an SPS/PPS id the source does
//!   not use, whole GOPs in between are copied bit-exactly, and the single
//!   `avc1` sample entry lists every parameter set (see `cut`).
//! * `Rough`, `Accurate`: not implemented yet (`MediaError::Unsupported`).

mod bitstream;
mod cover;
mod cut;
mod error;
mod job;
mod log;
mod probe;
pub mod testgen;
mod timeline;

mod av;

pub use cover::{CoverReport, CoverRequest, cover};
pub use cut::cut;
pub use error::MediaError;
pub use job::{ClipInput, ClipReport, CutJob, CutMode, CutReport, SegmentInput};
pub use probe::{MediaProbe, StreamKind, StreamProbe, probe};

/// Initialises libav once per process and routes its warnings and errors to
/// `tracing`. Safe to call more than once.
pub fn init() -> Result<(), MediaError> {
    static ONCE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        ffmpeg_next::init().map_err(|e| e.to_string())?;
        log::install();
        Ok(())
    })
    .clone()
    .map_err(|e| MediaError::Internal(format!("libav initialisation failed: {e}")))
}
