//! Tidy checks: tests over the source tree rather than over behaviour, in
//! the manner of rust-analyzer's `tidy`. They keep what
//! `docs/ARCHITECTURE.md` claims true as the code moves: every path the
//! code map names exists, the media engine's import graph runs only
//! downwards through its layers, `unsafe` stays in `av/`, and the Alibaba
//! error codes are spelled in one module of the service.
//!
//! The crate has no code of its own outside its tests; `cargo test -p
//! livecut-tidy` runs them, and so does the whole suite.

#![forbid(unsafe_code)]

#[cfg(test)]
mod source;

#[cfg(test)]
mod code_map;
#[cfg(test)]
mod error_codes;
#[cfg(test)]
mod media_layers;
#[cfg(test)]
mod unsafe_code;
