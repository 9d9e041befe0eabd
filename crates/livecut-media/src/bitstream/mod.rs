//! Byte-level parsing of the two elementary streams livecut copies without
//! decoding: H.264 Annex B access units and AAC in ADTS frames. Pure code,
//! no libav: these decide what goes into the MP4 sample entry, so they are
//! kept small and unit-tested on hand-made bitstreams.

pub mod adts;
pub mod bits;
pub mod h264;
