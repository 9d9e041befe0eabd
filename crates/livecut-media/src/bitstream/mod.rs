//! Byte-level parsing of the elementary streams livecut copies without
//! decoding: H.264 and HEVC Annex B access units (and the length-prefixed samples of
//! fMP4, turned into them), AAC in ADTS frames and MP3 frames. Pure code,
//! no libav: these decide what goes into the MP4 sample entry, so they are
//! kept small and unit-tested on hand-made bitstreams.

pub mod access_unit;
pub mod adts;
pub mod bits;
pub mod h264;
pub mod hevc;
pub mod mp4_sample;
pub mod mpeg_audio;
pub mod parameter_sets;

#[cfg(test)]
mod fuzz_tests;
