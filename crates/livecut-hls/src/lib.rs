//! HLS media playlists as recordings.
//!
//! [`parse_media_playlist`] reads one playlist as real recorders write it;
//! [`Timeline`] places the segments of one stream's playlists on the UTC axis, so a clip
//! given in wall-clock time maps to segment files. Times are microseconds since the Unix
//! epoch (UTC) throughout. Pure computation, no I/O.

#![forbid(unsafe_code)]

mod coverage;
mod error;
mod naming;
mod parse;
mod playlist;
mod timeline;
mod values;

pub use error::HlsError;
pub use naming::{SegmentTimes, SegmentTimesError};
pub use parse::parse_media_playlist;
pub use playlist::{MapSection, MediaPlaylist, PlaylistType, Segment};
pub use timeline::{DEFAULT_TOLERANCE_US, TimedSegment, Timeline};

#[cfg(test)]
mod fuzz_tests;
