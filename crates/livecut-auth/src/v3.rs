//! `ACS3-HMAC-SHA256`: the canonical request and the string to sign.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::encode::rfc3986;
use crate::error::AuthError;
use crate::request::SignedRequest;

pub(crate) const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Headers that must be covered by every signature: without them a captured request could
/// be replayed against another action, version, body, time or host.
pub const REQUIRED_SIGNED_HEADERS: [&str; 6] = [
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
];

/// Decoded pairs, RFC 3986 re-encoded and sorted by name (then value, so repeats are
/// deterministic). Sorting raw strings equals sorting by code point, which is what the
/// SDK does.
pub(crate) fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// One `name:value\n` line per signed header, in the order the client listed them.
/// Repeated headers are trimmed, sorted and joined with `,`, as the SDK does.
pub(crate) fn canonical_headers(
    req: &SignedRequest<'_>,
    signed_headers: &[String],
) -> Result<String, AuthError> {
    let mut block = String::new();
    for name in signed_headers {
        let mut values: Vec<&str> = req.header_values(name).map(str::trim).collect();
        if values.is_empty() {
            return Err(AuthError::Incomplete(format!(
                "header {name} is listed in SignedHeaders but not present"
            )));
        }
        values.sort_unstable();
        block.push_str(name);
        block.push(':');
        block.push_str(&values.join(","));
        block.push('\n');
    }
    Ok(block)
}

pub(crate) fn canonical_request(
    req: &SignedRequest<'_>,
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<String, AuthError> {
    let headers = canonical_headers(req, signed_headers)?;
    // The header block ends with '\n' and one more '\n' follows it: the blank line is part
    // of the format.
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        req.path,
        canonical_query(req.query),
        headers,
        signed_headers.join(";"),
        payload_hash
    ))
}

pub(crate) fn string_to_sign(canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}", hex_sha256(canonical_request.as_bytes()))
}

pub(crate) fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub(crate) fn mac(secret: &str, string_to_sign: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length (long ones are hashed), so this never fails.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn canonical_query_sorts_and_reencodes() {
        let q = pairs(&[
            ("b", "x y"),
            ("a", "~*+"),
            ("Z", ""),
            ("a", "0"),
            ("中", "直播流 1"),
        ]);
        assert_eq!(
            canonical_query(&q),
            "Z=&a=0&a=~%2A%2B&b=x%20y&%E4%B8%AD=%E7%9B%B4%E6%92%AD%E6%B5%81%201"
        );
        assert_eq!(canonical_query(&[]), "");
    }

    #[test]
    fn canonical_headers_trim_join_and_require_presence() {
        let headers = pairs(&[("host", "h:1"), ("x-a", " 2 "), ("x-a", "1"), ("x-b", "v")]);
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: &[],
            form: &[],
            headers: &headers,
            body: b"",
        };
        let signed = vec!["host".to_owned(), "x-a".to_owned()];
        assert_eq!(
            canonical_headers(&req, &signed),
            Ok("host:h:1\nx-a:1,2\n".into())
        );
        let missing = vec!["x-c".to_owned()];
        assert!(matches!(
            canonical_headers(&req, &missing),
            Err(AuthError::Incomplete(m)) if m.contains("x-c")
        ));
    }

    #[test]
    fn empty_body_hash_is_the_known_constant() {
        assert_eq!(
            hex_sha256(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
