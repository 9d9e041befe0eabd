//! The media engine's integration tests, in one binary (shaped like
//! ripgrep's `tests/`): one module per area, one `fixtures` module holding
//! the recordings, jobs and oracle checks they share. Every output is graded
//! by the ffmpeg CLI (`livecut-testkit::oracle`) on recordings from
//! `testgen`.
//!
//! The tests run in parallel threads of one process: each writes its
//! outputs into a folder of its own (`fixtures::output`), and every
//! generated recording has a name of its own (`fixtures::make_recording`).

// A test's harness may unwrap: the panic is the failure report.
#![allow(clippy::unwrap_used)]

/// One `#[test]` per mode, named after the mode, each calling the check
/// `$check(mode)`: `per_mode!(check: accurate_fast => AccurateFast, ...)`
/// makes `check::accurate_fast`, ..., so that a failure names its mode.
macro_rules! per_mode {
    ($check:ident: $($test:ident => $mode:ident),+ $(,)?) => {
        mod $check {
            $(
                #[test]
                fn $test() {
                    super::$check(livecut_media::CutMode::$mode);
                }
            )+
        }
    };
}

mod fixtures;

mod cover;
mod cut_accurate;
mod cut_accurate_hevc;
mod cut_accurate_open_gop;
mod cut_audio_join;
mod cut_audio_only;
mod cut_copy_mp3;
mod cut_errors;
mod cut_joins;
mod cut_open_gop;
mod cut_reencode_formats;
mod cut_rough;
mod cut_shared_index;
mod cut_size_change;
mod cut_sources;
mod fuzz_segments;
mod join_sync;
mod matrix;
