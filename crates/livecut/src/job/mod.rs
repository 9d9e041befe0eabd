//! Live-editing jobs: what a valid request is (`request`, `validate`, `location`), how one is
//! stored and queued (`submit`), and what a finished one reports (`report`).

pub mod location;
pub mod report;
pub mod request;
pub mod submit;
pub mod validate;
