//! Signing outgoing requests the way the official Python SDK does, for `livecut demo` and
//! for tests that drive the API without Python.

use base64::Engine as _;
use hmac::Mac;
use time::OffsetDateTime;

use crate::encode::form_string;
use crate::request::SignedRequest;
use crate::timestamp::format_request_time;
use crate::{v1, v3};

/// An access key, optionally with an STS token.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub access_key_id: &'a str,
    pub access_key_secret: &'a str,
    pub security_token: Option<&'a str>,
}

/// A request to sign.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingRequest<'a> {
    /// `"POST"` or `"GET"`.
    pub method: &'a str,
    /// `host[:port]` exactly as the Host header will carry it (it is signed).
    pub host: &'a str,
    /// `"/"` for every RPC-style action.
    pub path: &'a str,
    pub action: &'a str,
    /// API version, `"2020-11-09"` for IMS.
    pub version: &'a str,
    /// Parameters sent in the URL query, in this order.
    pub params: &'a [(String, String)],
    /// Parameters sent as an `x-www-form-urlencoded` body; empty for no body.
    pub form: &'a [(String, String)],
    /// Further headers to send and sign (names are lower-cased), e.g. `user-agent`.
    pub extra_headers: &'a [(String, String)],
}

/// What to put on the wire: `POST {path}?{query}` with `headers` and `body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedOutgoing {
    /// Query string without the leading `?`, encoded like Python's `urlencode`
    /// (space as `+`), so servers are exercised with what the SDK really sends.
    pub query: String,
    /// Header names in lower case. Includes `host`, because it is signed; an HTTP client
    /// derives the same value from the URL.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Signs with `ACS3-HMAC-SHA256` (the SDK default). Every header sent is signed.
/// `nonce` must be unique per request (the SDK uses 32 hex digits).
pub fn sign_v3(
    req: &OutgoingRequest<'_>,
    credentials: &Credentials<'_>,
    now: OffsetDateTime,
    nonce: &str,
) -> SignedOutgoing {
    let body = form_body(req.form);
    let payload_hash = v3::hex_sha256(&body);
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), req.host.into()),
        ("x-acs-action".into(), req.action.into()),
        ("x-acs-version".into(), req.version.into()),
        ("x-acs-date".into(), format_request_time(now)),
        ("x-acs-signature-nonce".into(), nonce.into()),
        ("x-acs-content-sha256".into(), payload_hash.clone()),
    ];
    if !body.is_empty() {
        headers.push(("content-type".into(), FORM_CONTENT_TYPE.into()));
    }
    if let Some(token) = credentials.security_token {
        headers.push((
            "x-acs-accesskey-id".into(),
            credentials.access_key_id.into(),
        ));
        headers.push(("x-acs-security-token".into(), token.into()));
    }
    headers.extend(
        req.extra_headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone())),
    );

    let mut signed_headers: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
    signed_headers.sort();
    signed_headers.dedup();
    let view = SignedRequest {
        method: req.method,
        path: req.path,
        query: req.params,
        form: req.form,
        headers: &headers,
        body: &body,
    };
    // Every signed name comes from `headers` itself, so building the canonical form cannot
    // hit a missing header; the empty fallback would only produce a rejected signature.
    let canonical =
        v3::canonical_request(&view, &signed_headers, &payload_hash).unwrap_or_default();
    let signature = hex::encode(
        v3::mac(
            credentials.access_key_secret,
            &v3::string_to_sign(&canonical),
        )
        .finalize()
        .into_bytes(),
    );
    headers.push((
        "authorization".into(),
        format!(
            "{} Credential={},SignedHeaders={},Signature={}",
            v3::ALGORITHM,
            credentials.access_key_id,
            signed_headers.join(";"),
            signature
        ),
    ));
    SignedOutgoing {
        query: form_string(req.params),
        headers,
        body,
    }
}

/// Signs with legacy RPC `HMAC-SHA1` (the SDK's `signature_algorithm='v2'`). The signature
/// covers the query and form parameters, not headers; `host` is still returned for
/// uniformity.
pub fn sign_v1(
    req: &OutgoingRequest<'_>,
    credentials: &Credentials<'_>,
    now: OffsetDateTime,
    nonce: &str,
) -> SignedOutgoing {
    let mut query: Vec<(String, String)> = vec![
        ("Action".into(), req.action.into()),
        ("Format".into(), "json".into()),
        ("Version".into(), req.version.into()),
        ("Timestamp".into(), format_request_time(now)),
        ("SignatureNonce".into(), nonce.into()),
    ];
    query.extend(req.params.iter().cloned());
    if let Some(token) = credentials.security_token {
        query.push(("SecurityToken".into(), token.into()));
    }
    query.push(("SignatureMethod".into(), v1::METHOD.into()));
    query.push(("SignatureVersion".into(), v1::VERSION.into()));
    query.push(("AccessKeyId".into(), credentials.access_key_id.into()));
    let string_to_sign = v1::string_to_sign(req.method, query.iter().chain(req.form.iter()));
    let signature = base64::engine::general_purpose::STANDARD.encode(
        v1::mac(credentials.access_key_secret, &string_to_sign)
            .finalize()
            .into_bytes(),
    );
    query.push((v1::SIGNATURE_PARAM.into(), signature));

    let body = form_body(req.form);
    let mut headers = vec![("host".to_owned(), req.host.to_owned())];
    if !body.is_empty() {
        headers.push(("content-type".into(), FORM_CONTENT_TYPE.into()));
    }
    headers.extend(
        req.extra_headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone())),
    );
    SignedOutgoing {
        query: form_string(&query),
        headers,
        body,
    }
}

fn form_body(form: &[(String, String)]) -> Vec<u8> {
    form_string(form).into_bytes()
}
