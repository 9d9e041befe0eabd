#![deny(unsafe_code)]
//! livecut's media engine: every libav (FFmpeg) call of the project lives in
//! this crate, and every `unsafe` line of it in `av`. It probes files, cuts
//! time ranges out of HLS recordings (MPEG-TS segments with H.264 or HEVC
//! video, 8 or 10 bit, closed or open GOPs, and AAC or MP3 audio, or
//! audio only) in four modes, joins them into one MP4, renders cover
//! JPEGs, remuxes outputs to HLS, and generates the synthetic test
//! recordings the tests and benchmarks use.
//!
//! # Timeline rule
//!
//! A segment's `EXT-X-PROGRAM-DATE-TIME` is taken to be the UTC instant of
//! the presentation timestamp of its first video packet in decoding order
//! (the keyframe HLS muxers start a segment with; with open GOPs the
//! leading pictures coded after it are shown earlier), or of its earliest
//! audio packet if it has no video. Within a run of segments (consecutive sequence
//! numbers, no `EXT-X-DISCONTINUITY`), timestamps map to UTC from the run's
//! first segment only: `utc = anchor_utc + (pts - anchor_pts)`, with 33-bit
//! PTS wrap-around unwrapped inside the run. So the millisecond rounding of
//! later segments' PDT never moves a frame across a cut point. The service
//! places the segments of a run by one rule from the playlist (a date within
//! the tolerance of where the previous segment ends is taken as jitter and the
//! run goes on by durations), so whichever segment a clip starts in, the same
//! frame has the same UTC time.
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
//! * `AccurateFast`: frame-exact; whole GOPs inside the range are copied
//!   bit-exactly, and the partial GOPs at the clip edges (and whatever
//!   cannot be copied: leading pictures of open GOPs, pictures of another
//!   size or codec) are decoded and re-encoded with libx264 under an
//!   SPS/PPS id the source does not use, or with libx265; the sample entry
//!   lists every parameter set (`avc1`/`hvc1`) or they travel in-band
//!   (`avc3`/`hev1`) when ids collide (see `copy`).
//! * Both copy modes copy the audio frames (AAC or MP3) too, into one track
//!   of the first audio clip's format; a clip whose audio has another
//!   format is decoded and encoded again as AAC into it when that track is
//!   AAC-LC (refused otherwise), cut to the sample at its video's edges.
//! * `Accurate`: the same frames as `AccurateFast`, `Rough`: the same
//!   frames as `RoughFast`, but every frame decoded, scaled and encoded
//!   again, and the audio (AAC of any rate and channel count, or MP3)
//!   decoded and encoded again as AAC with FFmpeg's encoder, at the first
//!   audio clip's rate and channels, cut to the sample at the video's edges
//!   (see `reencode`). The *first clip's* source codec picks the encoder for
//!   the whole job: H.264 -> libx264 (`avc1`, 8-bit, CRF 23); HEVC ->
//!   libx265 (`hvc1` with the parameter sets only in `hvcC`, CRF 28; Main,
//!   or Main 10 `yuv420p10le` when that source has more than 8 bits); later
//!   clips of another codec or depth are converted. Both: preset veryfast,
//!   closed 2 s GOPs, ABR at `video_bitrate_kbps` with a VBV of 1.5x the
//!   rate and a 2 s buffer when given. HEVC open GOPs: RASL pictures of a
//!   clip's first CRA cannot be decoded and are not output; any other is.
//!   Frame rate and colour description (primaries, transfer, matrix,
//!   range) are the first clip's; pixels are square.
//!
//! # Output size (`Accurate`, `Rough`)
//!
//! Sizes use the source's display size (stored size times sample aspect
//! ratio) and every derived side is rounded to the nearest even number,
//! halves up; requested sides must be even, 16..=8192.
//!
//! * Neither `output_width` nor `output_height`: the first clip's size.
//! * Only one: the other follows the first clip's aspect ratio.
//! * Both: each picture is scaled to fit inside `W x H` keeping its aspect
//!   ratio and centred on black bars (even offsets), exactly `W x H`.
//!
//! Every clip of a job is scaled to that one size, each keeping its own
//! aspect ratio (padded where it differs), so recordings of different
//! sizes join into one stream.

// Layers, lowest first; a module uses only modules of its own or a lower
// layer (docs/ARCHITECTURE.md has the map):
// 1. facts and formats without libav: codec, error, fetch, geometry, job, progress, timeline,
//    bitstream
mod bitstream;
mod codec;
mod error;
mod fetch;
mod geometry;
mod job;
mod progress;
mod timeline;
// 2. libav (FFmpeg): every unsafe line of the crate
mod av;
// 3. the selection of frames: one reader, one index, one planner
mod select;
// 4. decoding, encoding, scaling and resampling shared by the modes
mod transcode;
// 5. what the crate does: the copy modes, the re-encode modes, covers,
//    probing, HLS output, test recordings
mod copy;
mod cover;
mod hls_output;
mod probe;
mod reencode;
pub mod testgen;
// 6. the one dispatch of the four modes
mod cut;

pub use av::init;
pub use codec::{AudioCodec, VideoCodec};
pub use cover::{CoverReport, CoverRequest, cover};
pub use cut::cut;
pub use error::{Cause, MediaError};
pub use fetch::{SegmentGate, install_segment_gate};
pub use hls_output::{HlsOutput, remux_to_hls};
pub use job::{ClipInput, ClipReport, CutJob, CutMode, CutReport, InitSection, SegmentInput};
pub use probe::{MediaProbe, StreamKind, StreamProbe, probe, probe_segment};
pub use progress::{Progress, Step};
