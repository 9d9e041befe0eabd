//! Test-only helpers. Nothing here ships in the product: the ffmpeg CLI is used
//! only as an independent oracle for outputs, and the SDK driver only to talk to a
//! running server the way a customer's code would.

#![forbid(unsafe_code)]

pub mod oracle;
pub mod s3;
pub mod sdk;
