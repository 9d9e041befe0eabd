//! livecut: cuts time ranges out of recorded live streams and joins them into one video,
//! behind an API that is wire-compatible with Alibaba Cloud IMS live editing.
//!
//! The map of this crate is in `docs/ARCHITECTURE.md` at the repository root.

// libav's unsafe code lives in livecut-media; here only the media child's prctl needs unsafe.
#![deny(unsafe_code)]

pub mod api;
pub mod callback;
pub mod cli;
pub mod client;
pub mod clock;
pub mod code;
pub mod config;
pub mod config_check;
pub mod cut_local;
pub mod db;
pub mod demo;
pub mod ids;
pub mod job;
pub mod keys;
pub mod listener;
pub mod log_lines;
pub mod metrics;
pub mod preview;
pub mod recordings;
pub mod serve;
pub mod settings;
pub mod storage;
pub mod usage;
pub mod worker;
