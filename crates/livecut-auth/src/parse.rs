//! Reading the signature out of a request: which scheme, which key, which nonce and time.
//! Nothing here needs the secret, so the service can look the key up afterwards.

use time::OffsetDateTime;

use crate::error::{AuthError, excerpt};
use crate::request::{SignedRequest, check_nonce};
use crate::timestamp::parse_request_time;
use crate::{v1, v3};

/// The signature scheme of a request and its scheme-specific parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`.
    V3 {
        /// Lower-cased header names, in the order the client listed them.
        signed_headers: Vec<String>,
        /// The 32-byte HMAC-SHA256 decoded from hex.
        signature: Vec<u8>,
    },
    /// `Signature` parameter, HMAC-SHA1 (`SignatureVersion=1.0`).
    V1 {
        /// The 20-byte HMAC-SHA1 decoded from base64.
        signature: Vec<u8>,
    },
}

/// What [`parse`] read from a request. Fields are private so a `ParsedAuth` can only come
/// from [`parse`], which keeps it consistent with the request it is verified against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    scheme: Scheme,
    access_key_id: String,
    nonce: String,
    timestamp: OffsetDateTime,
    security_token: Option<String>,
    action: Option<String>,
    version: Option<String>,
}

impl ParsedAuth {
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// `"ACS3-HMAC-SHA256"` or `"HMAC-SHA1"`, for logs.
    pub fn scheme_name(&self) -> &'static str {
        match self.scheme {
            Scheme::V3 { .. } => v3::ALGORITHM,
            Scheme::V1 { .. } => v1::METHOD,
        }
    }

    /// `Credential` (V3) or `AccessKeyId` (V1): the key whose secret verifies the request.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// `x-acs-signature-nonce` (V3) or `SignatureNonce` (V1). The caller keeps the replay
    /// store; record the nonce only after [`crate::verify`] succeeded, so unauthenticated
    /// requests cannot burn nonces.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// `x-acs-date` (V3) or `Timestamp` (V1).
    pub fn timestamp(&self) -> OffsetDateTime {
        self.timestamp
    }

    /// `x-acs-security-token` (V3) or `SecurityToken` (V1), present for STS credentials.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// `x-acs-action` (V3, always present) or the `Action` parameter (V1, may be absent).
    pub fn action(&self) -> Option<&str> {
        self.action.as_deref()
    }

    /// `x-acs-version` (V3, always present) or the `Version` parameter (V1, may be absent).
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

/// Finds the signature scheme and reads its parts.
///
/// An `Authorization` header selects V3 even when a `Signature` parameter is also present;
/// without one, a `Signature` parameter selects V1; with neither the request is unsigned
/// (`AuthError::Incomplete`).
pub fn parse(req: &SignedRequest<'_>) -> Result<ParsedAuth, AuthError> {
    if let Some(authorization) = req.single_header("authorization")? {
        return parse_v3(req, authorization);
    }
    if req.single_param(v1::SIGNATURE_PARAM)?.is_some() {
        return parse_v1(req);
    }
    Err(AuthError::Incomplete(
        "neither an Authorization header nor a Signature parameter is present".into(),
    ))
}

struct AuthorizationFields<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn split_authorization(value: &str) -> Result<AuthorizationFields<'_>, AuthError> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    if algorithm != v3::ALGORITHM {
        return Err(AuthError::UnsupportedAlgorithm {
            found: excerpt(algorithm),
            supported: "ACS3-HMAC-SHA256 in the Authorization header, or HMAC-SHA1 with a Signature parameter",
        });
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for field in rest.split(',') {
        let field = field.trim();
        let (name, value) = field.split_once('=').ok_or_else(|| {
            AuthError::Incomplete(format!(
                "Authorization field {:?} is not name=value",
                excerpt(field)
            ))
        })?;
        let slot = match name.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            // Unknown fields are not signed material; ignoring them keeps room for clients
            // that add informational fields.
            _ => continue,
        };
        if slot.replace(value.trim()).is_some() {
            return Err(AuthError::Incomplete(format!(
                "Authorization field {name} appears more than once"
            )));
        }
    }
    Ok(AuthorizationFields {
        credential: require_field(credential, "Credential")?,
        signed_headers: require_field(signed_headers, "SignedHeaders")?,
        signature: require_field(signature, "Signature")?,
    })
}

fn require_field<'a>(slot: Option<&'a str>, name: &str) -> Result<&'a str, AuthError> {
    match slot {
        Some(v) if !v.is_empty() => Ok(v),
        Some(_) => Err(AuthError::Incomplete(format!(
            "Authorization field {name} is empty"
        ))),
        None => Err(AuthError::Incomplete(format!(
            "Authorization lacks the {name} field"
        ))),
    }
}

fn parse_signed_headers(list: &str) -> Result<Vec<String>, AuthError> {
    let names: Vec<String> = list
        .split(';')
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    if names.iter().any(String::is_empty) {
        return Err(AuthError::Incomplete(format!(
            "SignedHeaders {:?} contains an empty name",
            excerpt(list)
        )));
    }
    for required in v3::REQUIRED_SIGNED_HEADERS {
        if !names.iter().any(|n| n == required) {
            return Err(AuthError::Incomplete(format!(
                "SignedHeaders does not include {required}; it must include at least {}",
                v3::REQUIRED_SIGNED_HEADERS.join(";")
            )));
        }
    }
    Ok(names)
}

fn parse_v3(req: &SignedRequest<'_>, authorization: &str) -> Result<ParsedAuth, AuthError> {
    let fields = split_authorization(authorization)?;
    let signed_headers = parse_signed_headers(fields.signed_headers)?;
    let signature = match hex::decode(fields.signature) {
        Ok(bytes) if bytes.len() == 32 => bytes,
        _ => {
            return Err(AuthError::Incomplete(
                "Authorization Signature is not 64 hex digits".into(),
            ));
        }
    };
    // An unsigned token could be swapped by anyone who sees the request.
    let security_token = req
        .single_header("x-acs-security-token")?
        .map(str::to_owned);
    if security_token.is_some() && !signed_headers.iter().any(|h| h == "x-acs-security-token") {
        return Err(AuthError::Incomplete(
            "header x-acs-security-token is present but not listed in SignedHeaders".into(),
        ));
    }
    for name in &signed_headers {
        if req.header_values(name).next().is_none() {
            return Err(AuthError::Incomplete(format!(
                "header {name} is listed in SignedHeaders but not present"
            )));
        }
    }
    let nonce = req.required_header("x-acs-signature-nonce")?;
    check_nonce("x-acs-signature-nonce", nonce)?;
    let timestamp = parse_request_time("x-acs-date", req.required_header("x-acs-date")?)?;
    let action = req.required_header("x-acs-action")?;
    let version = req.required_header("x-acs-version")?;
    req.required_header("x-acs-content-sha256")?;
    Ok(ParsedAuth {
        scheme: Scheme::V3 {
            signed_headers,
            signature,
        },
        access_key_id: fields.credential.to_owned(),
        nonce: nonce.to_owned(),
        timestamp,
        security_token,
        action: Some(action.to_owned()),
        version: Some(version.to_owned()),
    })
}

fn parse_v1(req: &SignedRequest<'_>) -> Result<ParsedAuth, AuthError> {
    let method = req.required_param("SignatureMethod")?;
    if method != v1::METHOD {
        return Err(AuthError::UnsupportedAlgorithm {
            found: excerpt(method),
            supported: "SignatureMethod=HMAC-SHA1",
        });
    }
    let version = req.required_param("SignatureVersion")?;
    if version != v1::VERSION {
        return Err(AuthError::UnsupportedAlgorithm {
            found: format!("SignatureVersion={}", excerpt(version)),
            supported: "SignatureVersion=1.0",
        });
    }
    let encoded = req.required_param(v1::SIGNATURE_PARAM)?;
    // A '+' the client forgot to escape arrives as a space; the signature value is not
    // itself signed, so restoring it is safe and spares hand-written clients a puzzle.
    let signature = match base64_decode(&encoded.replace(' ', "+")) {
        Some(bytes) if bytes.len() == 20 => bytes,
        _ => {
            return Err(AuthError::Incomplete(
                "parameter Signature is not the base64 of a 20-byte HMAC-SHA1".into(),
            ));
        }
    };
    let access_key_id = req.required_param("AccessKeyId")?;
    let nonce = req.required_param("SignatureNonce")?;
    check_nonce("SignatureNonce", nonce)?;
    let timestamp = parse_request_time("Timestamp", req.required_param("Timestamp")?)?;
    Ok(ParsedAuth {
        scheme: Scheme::V1 { signature },
        access_key_id: access_key_id.to_owned(),
        nonce: nonce.to_owned(),
        timestamp,
        security_token: req.single_param("SecurityToken")?.map(str::to_owned),
        action: req.single_param("Action")?.map(str::to_owned),
        version: req.single_param("Version")?.map(str::to_owned),
    })
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests;
