//! Alibaba-style error responses: an HTTP status plus
//! `{RequestId, HostId, Code, Message, Recommend}`, always JSON (the SDK cannot parse anything else).

use axum::http::StatusCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn missing(parameter: &str) -> Self {
        crate::job::validate::missing(parameter).into()
    }

    pub fn invalid(parameter: &str, why: &str) -> Self {
        crate::job::validate::invalid(parameter, why).into()
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("The specified {what} not found."),
        )
    }

    pub fn internal(context: &str, e: &dyn std::fmt::Display) -> Self {
        // The detail goes to the log; the caller gets a stable message and the RequestId to quote.
        tracing::error!(error = %e, "{context}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            format!("The request processing has failed due to some unknown error ({context})."),
        )
    }

    /// One short hint per family of codes, for the `Recommend` field.
    fn recommend(&self) -> &'static str {
        match self.code.as_str() {
            "MissingParameter" | "InvalidParameter" => {
                "Fix the parameter named in Message; see the SubmitLiveEditingJob reference for its format."
            }
            "SignatureDoesNotMatch" | "IncompleteSignature" => {
                "Check the AccessKeySecret, and that no proxy rewrites the Host header, path or query."
            }
            "InvalidAccessKeyId.NotFound" | "InvalidAccessKeyId.Inactive" => {
                "Create a key with `livecut keys create` and use its AccessKeyId."
            }
            "InvalidTimeStamp.Expired" | "InvalidTimeStamp.Format" => {
                "Synchronise the client clock (the signed time must be within 15 minutes of the server's)."
            }
            "SignatureNonceUsed" => "Use a fresh SignatureNonce for every request.",
            "Forbidden.RAM" => {
                "Grant the action to this key (`livecut keys create --actions ...`)."
            }
            "InvalidAction.NotFound" | "InvalidVersion" => {
                "Use API version 2020-11-09 and one of SubmitLiveEditingJob, GetLiveEditingJob, GetMediaInfo."
            }
            "NotFound" => "Check the id; it is returned by SubmitLiveEditingJob.",
            _ => "Retry later; if it persists, report the RequestId to the operator.",
        }
    }

    pub fn body(&self, request_id: &str, host_id: &str) -> serde_json::Value {
        serde_json::json!({
            "RequestId": request_id,
            "HostId": host_id,
            "Code": self.code,
            "Message": self.message,
            "Recommend": self.recommend(),
        })
    }
}

impl From<crate::job::validate::ValidationError> for ApiError {
    fn from(e: crate::job::validate::ValidationError) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, e.code, e.message)
    }
}
