//! Checking a parsed signature against the request and the key's secret.

use hmac::Mac;
use time::OffsetDateTime;

use crate::error::AuthError;
use crate::parse::{ParsedAuth, Scheme};
use crate::request::SignedRequest;
use crate::timestamp::check_window;
use crate::{v1, v3};

/// Verifies `req` against the result of [`crate::parse`] on the same request.
///
/// Order: body hash (V3), signature, then freshness. Freshness comes last so that only a
/// caller who holds the secret learns how far its clock is off. The nonce is *not* checked
/// here: the caller records it after this returns `Ok` and rejects repeats
/// (`SignatureNonceUsed`) within the time window ([`crate::TIME_WINDOW`]).
pub fn verify(
    parsed: &ParsedAuth,
    req: &SignedRequest<'_>,
    secret: &str,
    now: OffsetDateTime,
) -> Result<(), AuthError> {
    match parsed.scheme() {
        Scheme::V3 {
            signed_headers,
            signature,
        } => {
            verify_v3(req, signed_headers, signature, secret)?;
            check_window("x-acs-date", parsed.timestamp(), now)
        }
        Scheme::V1 { signature } => {
            verify_v1(req, signature, secret)?;
            check_window("Timestamp", parsed.timestamp(), now)
        }
    }
}

fn verify_v3(
    req: &SignedRequest<'_>,
    signed_headers: &[String],
    signature: &[u8],
    secret: &str,
) -> Result<(), AuthError> {
    let claimed_hash = req.required_header("x-acs-content-sha256")?;
    if !claimed_hash.eq_ignore_ascii_case(&v3::hex_sha256(req.body)) {
        return Err(AuthError::BodyHashMismatch {
            body_len: req.body.len(),
        });
    }
    // The client put its own header value into the canonical request, so use it verbatim
    // (it may differ from ours in hex case only).
    let canonical = v3::canonical_request(req, signed_headers, claimed_hash)?;
    let string_to_sign = v3::string_to_sign(&canonical);
    v3::mac(secret, &string_to_sign)
        .verify_slice(signature)
        .map_err(|_| AuthError::SignatureMismatch { string_to_sign })
}

fn verify_v1(req: &SignedRequest<'_>, signature: &[u8], secret: &str) -> Result<(), AuthError> {
    let string_to_sign = v1::string_to_sign(req.method, req.query.iter().chain(req.form.iter()));
    v1::mac(secret, &string_to_sign)
        .verify_slice(signature)
        .map_err(|_| AuthError::SignatureMismatch { string_to_sign })
}
