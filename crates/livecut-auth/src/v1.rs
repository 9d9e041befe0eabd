//! Legacy RPC `HMAC-SHA1` (`SignatureVersion=1.0`), the SDK's `signature_algorithm='v2'`.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::encode::rfc3986;

pub(crate) const METHOD: &str = "HMAC-SHA1";
pub(crate) const VERSION: &str = "1.0";
pub(crate) const SIGNATURE_PARAM: &str = "Signature";

/// `METHOD&%2F&` + the encoded, sorted parameter string encoded once more (so earlier `%`
/// escapes become `%25`). The path is always written as `%2F`, whatever was requested,
/// exactly as the SDK does.
pub(crate) fn string_to_sign<'a>(
    method: &str,
    params: impl Iterator<Item = &'a (String, String)>,
) -> String {
    let mut signed: Vec<&(String, String)> = params.filter(|(k, _)| k != SIGNATURE_PARAM).collect();
    signed.sort();
    let canonical = signed
        .iter()
        .map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{method}&%2F&{}", rfc3986(&canonical))
}

pub(crate) fn mac(secret: &str, string_to_sign: &str) -> Hmac<Sha1> {
    // The key is the secret followed by '&' (an empty token secret in the old OAuth style).
    let key = format!("{secret}&");
    // HMAC takes keys of any length (long ones are hashed), so this never fails.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_sign_double_encodes_and_skips_signature() {
        let params = [
            ("Timestamp".to_owned(), "2026-11-23T22:40:41Z".to_owned()),
            ("Action".to_owned(), "GetLiveEditingJob".to_owned()),
            ("Signature".to_owned(), "ignored".to_owned()),
            ("V".to_owned(), "a b*".to_owned()),
        ];
        assert_eq!(
            string_to_sign("POST", params.iter()),
            "POST&%2F&Action%3DGetLiveEditingJob%26Timestamp%3D2026-11-23T22%253A40%253A41Z%26V%3Da%2520b%252A"
        );
    }
}
