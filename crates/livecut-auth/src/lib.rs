//! Alibaba Cloud OpenAPI request signatures, both sides.
//!
//! Server side: [`parse`] reads the scheme, key id, nonce and time from a request without
//! needing a secret; the caller looks the secret up by [`ParsedAuth::access_key_id`] and
//! calls [`verify`]; after success it records [`ParsedAuth::nonce`] in its replay store.
//! Two schemes are accepted, as the official SDK can send either:
//! `ACS3-HMAC-SHA256` (`Authorization` header, the default) and legacy RPC `HMAC-SHA1`
//! (`Signature` parameter, `signature_algorithm='v2'`).
//!
//! Client side: [`sign_v3`] / [`sign_v1`] produce what the SDK would put on the wire.
//!
//! Pure computation: no I/O, no clock (callers pass `now`).

#![forbid(unsafe_code)]

mod client;
mod encode;
mod error;
mod parse;
mod request;
mod timestamp;
mod v1;
mod v3;
mod verify;

pub use client::{Credentials, OutgoingRequest, SignedOutgoing, sign_v1, sign_v3};
pub use encode::decode_urlencoded;
pub use error::AuthError;
pub use parse::{ParsedAuth, Scheme, parse};
pub use request::SignedRequest;
pub use timestamp::TIME_WINDOW;
pub use v3::REQUIRED_SIGNED_HEADERS;
pub use verify::verify;

#[cfg(test)]
mod sdk_vectors;
#[cfg(test)]
mod tamper_tests;
#[cfg(test)]
mod test_support;

#[cfg(test)]
mod fuzz_tests;
