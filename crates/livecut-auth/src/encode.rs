//! Percent-encoding as the Alibaba signers do it.
//!
//! Signing always uses RFC 3986 (`A-Za-z0-9-_.~` kept, everything else `%XX` upper-case,
//! space `%20`), while the Python SDK *sends* its query with `urlencode` (space as `+`).
//! The two must never be confused: the server decodes what it received and re-encodes it
//! for the canonical form.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Everything but RFC 3986 unreserved characters.
const RFC3986_RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// RFC 3986 encoding used inside canonical strings.
pub(crate) fn rfc3986(value: &str) -> String {
    utf8_percent_encode(value, RFC3986_RESERVED).to_string()
}

/// `application/x-www-form-urlencoded` encoding as Python's `urlencode` writes it:
/// identical to [`rfc3986`] except that a space becomes `+`.
pub(crate) fn form_component(value: &str) -> String {
    value.split(' ').map(rfc3986).collect::<Vec<_>>().join("+")
}

/// Serialises pairs in the given order as a query string or form body.
pub(crate) fn form_string(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_component(k), form_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Decodes a raw query string or `x-www-form-urlencoded` body into pairs, in order.
///
/// `+` becomes a space and `%XX` is decoded; duplicates are kept. A pair without `=`
/// has an empty value. Bytes that are not UTF-8 after decoding are replaced (U+FFFD),
/// which can only make a signature fail to match, never match wrongly.
pub fn decode_urlencoded(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            (decode_component(name), decode_component(value))
        })
        .collect()
}

fn decode_component(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3986_keeps_only_unreserved() {
        assert_eq!(rfc3986("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(rfc3986("a b*+/:,"), "a%20b%2A%2B%2F%3A%2C");
        assert_eq!(rfc3986("直播流 1"), "%E7%9B%B4%E6%92%AD%E6%B5%81%201");
        assert_eq!(rfc3986(""), "");
    }

    #[test]
    fn form_component_writes_space_as_plus_like_urlencode() {
        // Python: urlencode({"k": 'v~*+ /:,!\'()'}) == 'k=v~%2A%2B+%2F%3A%2C%21%27%28%29'
        assert_eq!(
            form_component("v~*+ /:,!'()"),
            "v~%2A%2B+%2F%3A%2C%21%27%28%29"
        );
        assert_eq!(form_component("  "), "++");
    }

    #[test]
    fn decode_turns_plus_into_space_and_keeps_encoded_plus() {
        let pairs = decode_urlencoded("Title=%E6%A0%87%E9%A2%98+a%2Bb&Empty=&Bare&&X=1%7E");
        assert_eq!(
            pairs,
            vec![
                ("Title".to_owned(), "标题 a+b".to_owned()),
                ("Empty".to_owned(), String::new()),
                ("Bare".to_owned(), String::new()),
                ("X".to_owned(), "1~".to_owned()),
            ]
        );
    }

    #[test]
    fn decode_keeps_duplicates_and_equals_in_values() {
        let pairs = decode_urlencoded("a=1&a=2&b=x=y");
        assert_eq!(pairs.len(), 3);
        assert_eq!(pairs[1], ("a".to_owned(), "2".to_owned()));
        assert_eq!(pairs[2], ("b".to_owned(), "x=y".to_owned()));
    }

    #[test]
    fn decode_replaces_invalid_utf8_instead_of_failing() {
        let pairs = decode_urlencoded("a=%FF%FE&b=%zz");
        assert_eq!(pairs[0].1, "\u{FFFD}\u{FFFD}");
        assert_eq!(pairs[1].1, "%zz");
    }

    #[test]
    fn form_string_round_trips_through_decode() {
        let pairs = vec![
            ("Clips".to_owned(), "[{\"a\": \"b c\"}]".to_owned()),
            ("U".to_owned(), "直播流 1 ~*+".to_owned()),
        ];
        assert_eq!(decode_urlencoded(&form_string(&pairs)), pairs);
    }
}
