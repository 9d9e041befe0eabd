//! The machine-readable content of livecut test recordings.
//!
//! Every generated video frame carries its own frame number as a grid of large
//! black/white cells in the upper half of the picture, and the audio track
//! carries a short tone burst exactly at the presentation time of every
//! "marker" frame (one per second). Tests read both back from a cut output to
//! check which frames ended up in it and whether audio stayed in sync, so the
//! generator and the checks must share this one definition.
//!
//! The cell grid is defined in coordinates relative to the picture size, so a
//! scaled (even non-uniformly scaled) or lossy-coded copy still decodes.

#![forbid(unsafe_code)]

mod audio;
mod frame_number;

pub use audio::{
    AudioMarkers, MARKER_AMPLITUDE, MARKER_BURST_MS, MARKER_TONE_HZ, audio_sample, is_marker_frame,
    marker_interval_frames,
};
pub use frame_number::{
    BLACK, GRID_COLS, GRID_ROWS, MAX_FRAME_NUMBER, WHITE, draw_frame_number, pattern_height,
    read_frame_number,
};
