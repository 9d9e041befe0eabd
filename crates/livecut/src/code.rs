//! The one vocabulary of Alibaba error codes this service emits, in API responses
//! (`{Code, Message, Recommend}`), in failed jobs (`GetLiveEditingJob`'s Code, the
//! `ProduceMediaComplete` callback's ErrorCode) and in the child → parent outcome.
//!
//! Each code's wire string, HTTP status and `Recommend` hint are written here and nowhere else,
//! and so is the mapping of the errors of the crates the service builds on (`livecut-auth`,
//! `livecut-media`): they report what went wrong, the service decides what the client is told.
//! The wire strings are part of the IMS contract; clients match on them, and stored jobs keep
//! them, so a variant's string never changes.

use std::fmt;
use std::str::FromStr;

use axum::http::StatusCode;

/// Declares the enum together with its wire strings, so that `as_str`, parsing and the list of
/// all codes cannot drift apart.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $wire:literal,)+) => {
        /// Every Code the service can emit.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)+
        }

        impl ErrorCode {
            /// Every code, for tests and documentation.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The code as clients see it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)+
                }
            }
        }

        impl FromStr for ErrorCode {
            type Err = UnknownCode;

            fn from_str(s: &str) -> Result<Self, UnknownCode> {
                match s {
                    $($wire => Ok(ErrorCode::$variant),)+
                    other => Err(UnknownCode(other.to_string())),
                }
            }
        }
    };
}

error_codes! {
    /// A required request parameter is absent.
    MissingParameter => "MissingParameter",
    /// A request parameter is present but wrong (the Message names it).
    InvalidParameter => "InvalidParameter",
    /// A job's clip has no recording, or a segment it needs is gone.
    ResourceNotFound => "InvalidParameter.ResourceNotFound",
    /// A job's recording is there but unreadable (corrupt segment or playlist, undecodable frame).
    ResourceContentBad => "InvalidParameter.ResourceContentBad",
    /// A job asks for something this server does not do (a codec, remote segments, ...).
    NotSupported => "InvalidParameter.NotSupported",
    /// The signature is missing a part or names an unsupported algorithm.
    IncompleteSignature => "IncompleteSignature",
    /// The signature (or the signed body hash) does not match the request.
    SignatureDoesNotMatch => "SignatureDoesNotMatch",
    /// The signed time is outside the allowed window around the server clock.
    TimeStampExpired => "InvalidTimeStamp.Expired",
    /// The signed time is not a UTC time.
    TimeStampFormat => "InvalidTimeStamp.Format",
    /// No key has this AccessKeyId.
    AccessKeyNotFound => "InvalidAccessKeyId.NotFound",
    /// The key exists but is disabled.
    AccessKeyInactive => "InvalidAccessKeyId.Inactive",
    /// The nonce of a correctly signed request was seen before (a replay).
    SignatureNonceUsed => "SignatureNonceUsed",
    /// The key may not call this action.
    ForbiddenRam => "Forbidden.RAM",
    /// A recorder hook's request does not carry the token its URL must have.
    ForbiddenHook => "Forbidden.Hook",
    /// `/metrics` asked for without the metrics token the operator set.
    ForbiddenMetrics => "Forbidden.Metrics",
    /// A preview link (index playlist or segment) is not signed by this deployment, or expired.
    ForbiddenLink => "Forbidden.Link",
    /// The request speaks another API version.
    InvalidVersion => "InvalidVersion",
    /// The action is not one this server implements.
    InvalidActionNotFound => "InvalidAction.NotFound",
    /// The job or media asset asked for does not exist.
    NotFound => "NotFound",
    /// Something failed on the server side; details are in the log, under the RequestId.
    InternalError => "InternalError",
    /// A job's media child process crashed (a signal or an unexpected exit code).
    MediaProcessCrashed => "InternalError.MediaProcessCrashed",
    /// A job's media child process ran past the job time limit and was stopped.
    MediaProcessTimeout => "InternalError.MediaProcessTimeout",
    /// Object storage did not answer (or kept failing) within the retry budget, while reading a
    /// recording or writing an output.
    StorageUnavailable => "InternalError.StorageUnavailable",
    /// The service cannot serve now (its database or storage does not answer, or it holds as
    /// many connections as it may); `/healthz` says so.
    ServiceUnavailable => "ServiceUnavailable",
    /// One client address sent more requests per second than the server allows.
    Throttling => "Throttling",
    /// One access key made more calls per second than the server allows.
    ThrottlingUser => "Throttling.User",
    /// The request (its head or body) did not arrive in full in time.
    RequestTimeout => "RequestTimeout",
    /// The request body is larger than any API call needs.
    RequestTooLarge => "RequestEntityTooLarge",
    /// The request head has more or longer header fields than any API call needs.
    HeadersTooLarge => "RequestHeaderFieldsTooLarge",
    /// The path is not one this server serves.
    PathNotFound => "InvalidPath.NotFound",
    /// The path is served, but not with this HTTP method.
    UnsupportedMethod => "UnsupportedHTTPMethod",
}

impl ErrorCode {
    /// The HTTP status of an API response with this code. Codes that only end jobs (never an
    /// API response) get their family's status, so the function stays total.
    pub fn http_status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            AccessKeyNotFound | InvalidActionNotFound | NotFound | PathNotFound => {
                StatusCode::NOT_FOUND
            }
            UnsupportedMethod => StatusCode::METHOD_NOT_ALLOWED,
            RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ForbiddenRam | ForbiddenHook | ForbiddenLink | ForbiddenMetrics => {
                StatusCode::FORBIDDEN
            }
            ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            InternalError | MediaProcessCrashed | MediaProcessTimeout | StorageUnavailable => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            MissingParameter
            | InvalidParameter
            | ResourceNotFound
            | ResourceContentBad
            | NotSupported
            | IncompleteSignature
            | SignatureDoesNotMatch
            | TimeStampExpired
            | TimeStampFormat
            | AccessKeyInactive
            | SignatureNonceUsed
            | InvalidVersion
            | Throttling
            | ThrottlingUser => StatusCode::BAD_REQUEST,
        }
    }

    /// What the client can do about it, for the `Recommend` field of an error body.
    pub fn recommend(self) -> &'static str {
        use ErrorCode::*;
        match self {
            MissingParameter => {
                "Add the parameter named in Message; see the SubmitLiveEditingJob reference for the required ones."
            }
            InvalidParameter => {
                "Fix the parameter named in Message; see the SubmitLiveEditingJob reference for its format."
            }
            ResourceNotFound => {
                "Check that the stream named in Message was recorded for the clip's time range (`livecut recordings add`) and that its segments still exist."
            }
            ResourceContentBad => {
                "The recording named in Message is damaged; cut a range that avoids the segment, or re-record it."
            }
            NotSupported => {
                "Message names what is not supported; use recordings with H.264 or HEVC video and AAC or MP3 audio."
            }
            IncompleteSignature => {
                "Send every signature part (Authorization or Signature, key id, nonce, time) and use ACS3-HMAC-SHA256 or HMAC-SHA1."
            }
            SignatureDoesNotMatch => {
                "Check the AccessKeySecret, and that no proxy rewrites the Host header, path, query or body."
            }
            TimeStampExpired => {
                "Synchronise the client clock (the signed time must be within 15 minutes of the server's)."
            }
            TimeStampFormat => "Send the signed time as UTC in the form 2021-06-21T08:01:00Z.",
            AccessKeyNotFound => "Create a key with `livecut keys create` and use its AccessKeyId.",
            AccessKeyInactive => {
                "This key is disabled; use another key, or create one with `livecut keys create`."
            }
            SignatureNonceUsed => "Use a fresh SignatureNonce for every request.",
            ForbiddenRam => "Grant the action to this key (`livecut keys create --actions ...`).",
            ForbiddenMetrics => {
                "Send the metrics token the operator set (--metrics-token) as Authorization: Bearer."
            }
            ForbiddenHook => {
                "Put the token of the configuration's [hooks.srs] in the hook URL (`?token=...`)."
            }
            ForbiddenLink => {
                "Ask GetLiveEditingIndexFile for a fresh link (links expire after AuthTimeout seconds) and use it unchanged."
            }
            InvalidVersion => "Use API version 2020-11-09.",
            InvalidActionNotFound => {
                "Call one of SubmitLiveEditingJob, GetLiveEditingJob, GetMediaInfo, GetLiveEditingIndexFile, SetEventCallback, GetEventCallback."
            }
            NotFound => "Check the id; it is returned by SubmitLiveEditingJob.",
            InternalError => "Retry later; if it persists, report the RequestId to the operator.",
            MediaProcessCrashed => {
                "Retry the job; if it crashes again, report the JobId and the recording to the operator."
            }
            MediaProcessTimeout => {
                "Submit shorter clips, or ask the operator to raise the job time limit."
            }
            StorageUnavailable => {
                "Retry the job once the object storage named in Message answers again; the operator can check it with `livecut config check`."
            }
            ServiceUnavailable => {
                "Retry later; the operator should check what `/healthz` and the service's log name (database, storage, connection limit)."
            }
            Throttling => {
                "Send fewer requests per second from this address; retry after the seconds x-acs-retry-after says."
            }
            ThrottlingUser => {
                "Make fewer calls per second with this access key; retry after the seconds x-acs-retry-after says."
            }
            RequestTimeout => {
                "Send the whole request at once; the server waits only seconds for it."
            }
            RequestTooLarge => "API calls carry small parameters; send at most 1 MiB.",
            HeadersTooLarge => {
                "Send at most 100 header fields and 32 KiB of headers, as the SDK does."
            }
            PathNotFound => "Send API calls to the path / of the endpoint, as the SDK does.",
            UnsupportedMethod => "Send API calls as GET or POST, as the SDK does.",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the codes (in a child outcome written by another build).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown error code {0:?}")]
pub struct UnknownCode(String);

/// On the wire (child outcome JSON, callbacks) a code is its string, exactly as clients see it.
impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The gateway's codes for signature failures.
impl From<&livecut_auth::AuthError> for ErrorCode {
    fn from(e: &livecut_auth::AuthError) -> Self {
        use livecut_auth::AuthError;
        match e {
            AuthError::Incomplete(_) | AuthError::UnsupportedAlgorithm { .. } => {
                ErrorCode::IncompleteSignature
            }
            AuthError::SignatureMismatch { .. } | AuthError::BodyHashMismatch { .. } => {
                ErrorCode::SignatureDoesNotMatch
            }
            AuthError::Expired { .. } => ErrorCode::TimeStampExpired,
            AuthError::BadTimestamp { .. } => ErrorCode::TimeStampFormat,
        }
    }
}

/// The code of a job the media engine failed: the recording's fault (not found, bad content,
/// unsupported) or ours (internal). The one place that reads the engine's variants.
impl From<&livecut_media::MediaError> for ErrorCode {
    fn from(e: &livecut_media::MediaError) -> Self {
        use livecut_media::MediaError;
        match e {
            MediaError::InvalidJob(_) => ErrorCode::InvalidParameter,
            // A segment the storage could not deliver (it failed to answer, rather than said
            // the object does not exist) is the storage's fault, not the recording's.
            MediaError::SegmentMissing { source, .. }
                if source.kind() != std::io::ErrorKind::NotFound =>
            {
                ErrorCode::StorageUnavailable
            }
            MediaError::SegmentMissing { .. }
            | MediaError::NoContent { .. }
            | MediaError::Probe { missing: true, .. } => ErrorCode::ResourceNotFound,
            MediaError::BadSegment { .. }
            | MediaError::CorruptFrame { .. }
            | MediaError::Probe { missing: false, .. } => ErrorCode::ResourceContentBad,
            MediaError::Unsupported { .. } => ErrorCode::NotSupported,
            MediaError::Encoder { .. } | MediaError::Output { .. } | MediaError::Internal(_) => {
                ErrorCode::InternalError
            }
        }
    }
}

#[cfg(test)]
mod tests;
