//! The recording index: which playlists hold a stream, and which segments (and which recorded
//! gaps) cover a clip's UTC range.
//!
//! Playlists come from two places: those registered with `livecut recordings add`, and every
//! `*.m3u8` under `<data-dir>/recordings/<domain>/<app>/<stream>/`. They are re-read each time a
//! job is planned, so segments appended to a playlist that is still growing are seen as soon as
//! the recorder writes them.

pub mod plan;
pub mod register;

pub use plan::{ClipPlan, PlanError, Reach, plan_clip, plan_range};
