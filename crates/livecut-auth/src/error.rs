use thiserror::Error;

/// Why a request's signature was not accepted.
///
/// The variants say what went wrong; which Alibaba error code and HTTP status a client sees for
/// each is the service's decision (its error-code vocabulary), not this crate's.
///
/// Messages name the part of the request that is missing or wrong so a client
/// author can fix it; they never contain the secret or the expected signature.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    /// A part of the signature (header, parameter, Authorization field) is missing or malformed.
    #[error("incomplete signature: {0}")]
    Incomplete(String),
    /// The request names a signature algorithm this service does not verify.
    #[error("unsupported signature algorithm {found:?}; supported: {supported}")]
    UnsupportedAlgorithm {
        found: String,
        supported: &'static str,
    },
    /// The signature was well formed but does not match the request and secret.
    /// `string_to_sign` is what the server signed; it holds no secret material and is
    /// what lets a client author diff their own canonicalisation against ours.
    #[error("signature does not match; server string to sign: {string_to_sign:?}")]
    SignatureMismatch { string_to_sign: String },
    /// `x-acs-content-sha256` is not the SHA-256 of the received body.
    #[error("x-acs-content-sha256 does not match the {body_len}-byte body")]
    BodyHashMismatch { body_len: usize },
    /// The request time is further than the allowed window from the server clock.
    #[error(
        "{field} {request_time} is {skew_s} s from server time {server_time}; allowed +-{window_s} s"
    )]
    Expired {
        field: &'static str,
        request_time: String,
        server_time: String,
        /// Request time minus server time, in seconds (negative: request in the past).
        skew_s: i64,
        window_s: i64,
    },
    /// The request time could not be parsed.
    #[error("{field} {value:?} is not a UTC time like 2021-06-21T08:01:00Z")]
    BadTimestamp { field: &'static str, value: String },
}

impl AuthError {
    /// Human-readable message for the `Message` field of the error body.
    pub fn message(&self) -> String {
        match self {
            AuthError::Incomplete(what) => format!("The request signature is incomplete: {what}."),
            AuthError::UnsupportedAlgorithm { found, supported } => {
                format!("The signature algorithm {found:?} is not supported; use {supported}.")
            }
            AuthError::SignatureMismatch { string_to_sign } => format!(
                "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
            ),
            AuthError::BodyHashMismatch { body_len } => format!(
                "Specified signature is not matched with our calculation: header x-acs-content-sha256 is not the hex SHA-256 of the {body_len}-byte request body."
            ),
            AuthError::Expired {
                field,
                request_time,
                server_time,
                skew_s,
                window_s,
            } => format!(
                "Specified time stamp or date value is expired: {field} {request_time} differs from server time {server_time} by {skew_s} s (allowed +-{window_s} s)."
            ),
            AuthError::BadTimestamp { field, value } => format!(
                "Specified time stamp or date value is not well formatted: {field} {value:?}; expected yyyy-MM-ddTHH:mm:ssZ (UTC)."
            ),
        }
    }
}

/// Cuts client-supplied text that is echoed in messages, so a hostile header cannot
/// blow up an error body or a log line.
pub(crate) fn excerpt(value: &str) -> String {
    const MAX_CHARS: usize = 80;
    if value.chars().count() <= MAX_CHARS {
        value.to_owned()
    } else {
        let mut cut: String = value.chars().take(MAX_CHARS).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each variant's message opens with the gateway's wording for its failure, which clients
    /// match on, and names the part of the request at fault.
    #[test]
    fn messages_follow_the_gateway_catalogue() {
        let cases = [
            (
                AuthError::Incomplete("header x-acs-date".into()),
                "The request signature is incomplete: header x-acs-date.",
            ),
            (
                AuthError::UnsupportedAlgorithm {
                    found: "ACS3-HMAC-SM3".into(),
                    supported: "ACS3-HMAC-SHA256",
                },
                "The signature algorithm \"ACS3-HMAC-SM3\" is not supported; use ACS3-HMAC-SHA256.",
            ),
            (
                AuthError::BodyHashMismatch { body_len: 3 },
                "Specified signature is not matched with our calculation: header x-acs-content-sha256 is not the hex SHA-256 of the 3-byte request body.",
            ),
            (
                AuthError::BadTimestamp {
                    field: "x-acs-date",
                    value: "x".into(),
                },
                "Specified time stamp or date value is not well formatted: x-acs-date \"x\"; expected yyyy-MM-ddTHH:mm:ssZ (UTC).",
            ),
        ];
        for (e, message) in cases {
            assert_eq!(e.message(), message, "{e:?}");
        }
        let expired = AuthError::Expired {
            field: "Timestamp",
            request_time: "2021-01-01T00:00:00Z".into(),
            server_time: "2021-01-01T00:20:00Z".into(),
            skew_s: -1200,
            window_s: 900,
        };
        assert!(
            matches!(
                expired,
                AuthError::Expired {
                    skew_s: -1200,
                    window_s: 900,
                    ..
                }
            ),
            "{expired:?}"
        );
        assert!(
            expired
                .message()
                .starts_with("Specified time stamp or date value is expired: Timestamp"),
            "{}",
            expired.message()
        );
        assert!(expired.message().contains("-1200 s"));
    }

    #[test]
    fn mismatch_message_carries_string_to_sign_in_gateway_wording() {
        let e = AuthError::SignatureMismatch {
            string_to_sign: "POST&%2F&A%3Db".into(),
        };
        assert_eq!(
            e.message(),
            "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&A%3Db"
        );
    }

    #[test]
    fn excerpt_limits_long_values() {
        assert_eq!(excerpt("short"), "short");
        let long = "直".repeat(200);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), 81);
        assert!(cut.ends_with('…'));
    }
}
