//! The service's end-to-end tests, in one binary (shaped like ripgrep's `tests/`): one module
//! per area, one `fixtures` module with the harness they share. Each test starts real
//! `livecut serve` processes on temp data dirs and drives them only through the official Python
//! SDK, then checks the outputs with the ffmpeg CLI oracle.

// A test's harness may unwrap: the panic is the failure report.
#![allow(clippy::unwrap_used)]

mod fixtures;

mod accounts;
mod bad_input;
mod browser_playback;
mod callbacks;
mod crash_recovery;
mod exposure;
mod failures;
mod gaps;
mod gop_lengths;
mod hevc_sources;
mod index_file;
mod modes_and_covers;
mod postgres_service;
mod progress;
mod projects_and_library;
mod recorders;
mod recordings;
mod s3_storage;
mod scale_out;
mod sdk_e2e;
mod sdk_errors;
mod workers;
