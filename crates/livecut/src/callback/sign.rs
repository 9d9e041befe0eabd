//! The signature IMS puts on callbacks (its "Callback authentication" document):
//! `X-ICE-SIGNATURE` = lower-case hex MD5 of `<CallbackURL>|<X-ICE-TIMESTAMP>|<AuthKey>`, the
//! timestamp in Unix seconds. A receiver recomputes it with its AuthKey and refuses a stale
//! timestamp. (The document's printed example value does not match its own formula; this is the
//! formula.)

use md5::{Digest, Md5};

pub fn signature(callback_url: &str, timestamp_s: i64, auth_key: &str) -> String {
    let mut h = Md5::new();
    h.update(format!("{callback_url}|{timestamp_s}|{auth_key}").as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_formula() {
        // The document's inputs; the value is the formula's (its printed one is not).
        assert_eq!(
            signature(
                "https://www.example.com/your/callback",
                1519375990,
                "Test123"
            ),
            "c587b80d2d0ede300e8967937da7219b"
        );
    }
}
