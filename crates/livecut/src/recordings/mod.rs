//! The recording index: which playlists hold a stream, and which segments (and which recorded
//! gaps) cover a clip's UTC range.
//!
//! Playlists come from three places: those registered with `livecut recordings add` (a path, or
//! an `s3://`, `oss://` or `https://` URL), every `*.m3u8` under
//! `<data-dir>/recordings/<domain>/<app>/<stream>/`, and every `*.m3u8` under the folders the
//! configuration's `[[streams]]` name for the stream (e.g. Alibaba Live's
//! `record/{AppName}/{StreamName}/` in a bucket). They are re-read each time a job is planned, so
//! segments appended to a playlist that is still growing are seen as soon as the recorder
//! writes them.
//!
//! Segments recorders report one by one (`livecut recordings add-segment`, e.g. MediaMTX's
//! segment hook, which writes no playlist) live in the segment index (`db::segments`); a plan
//! reads only the indexed segments around its clip.

pub mod add_segment;
pub mod plan;
pub mod pull;
pub mod register;
pub mod retention;
pub mod watch;

pub use plan::{Catalog, ClipPlan, PlanError, plan_clip, plan_range, plan_texts};
