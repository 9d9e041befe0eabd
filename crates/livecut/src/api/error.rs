//! Alibaba-style error responses: an HTTP status plus
//! `{RequestId, HostId, Code, Message, Recommend}`, always JSON (the SDK cannot parse anything else).

use axum::http::StatusCode;

use crate::code::ErrorCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds to wait before retrying (a throttled call): sent as `x-acs-retry-after`, which
    /// the SDK turns into its ThrottlingException with `retry_after`.
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    /// The status comes with the code: clients see one status per Code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: bounded(message.into()),
            retry_after_s: None,
        }
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_s = Some(seconds.max(1));
        self
    }

    /// The whole HTTP answer: status, JSON body and the retry header.
    pub fn into_response(self, request_id: &str, host_id: &str) -> axum::response::Response {
        let mut resp = json_body(self.status(), &self.body(request_id, host_id));
        if let Some(s) = self.retry_after_s {
            resp.headers_mut()
                .insert("x-acs-retry-after", axum::http::HeaderValue::from(s));
        }
        resp
    }

    pub fn status(&self) -> StatusCode {
        self.code.http_status()
    }

    pub fn missing(parameter: &str) -> Self {
        crate::job::validate::missing(parameter).into()
    }

    pub fn invalid(parameter: &str, why: &str) -> Self {
        crate::job::validate::invalid(parameter, why).into()
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorCode::NotFound,
            format!("The specified {what} not found."),
        )
    }

    pub fn internal(context: &str, e: &dyn std::fmt::Display) -> Self {
        // The detail goes to the log; the caller gets a stable message and the RequestId to quote.
        tracing::error!(error = %e, "{context}");
        Self::new(
            ErrorCode::InternalError,
            format!("The request processing has failed due to some unknown error ({context})."),
        )
    }

    pub fn body(&self, request_id: &str, host_id: &str) -> serde_json::Value {
        serde_json::json!({
            "RequestId": request_id,
            "HostId": host_id,
            "Code": self.code.as_str(),
            "Message": self.message,
            "Recommend": self.code.recommend(),
        })
    }
}

/// A JSON answer with `status`, as every API answer is sent.
pub fn json_body(status: StatusCode, body: &serde_json::Value) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json;charset=utf-8"),
    );
    resp
}

/// Longest Message an error answer carries: a message quotes what the client sent, and a client
/// can send a lot.
const MAX_MESSAGE_CHARS: usize = 1024;

fn bounded(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => message,
        Some((cut, _)) => format!("{}… (message cut)", &message[..cut]),
    }
}

impl From<crate::job::validate::ValidationError> for ApiError {
    fn from(e: crate::job::validate::ValidationError) -> Self {
        ApiError::new(e.code, e.message)
    }
}

/// A signature the auth crate refused: its code and status from the service's vocabulary, its
/// message (which names the part at fault, never the secret) from the auth crate.
impl From<livecut_auth::AuthError> for ApiError {
    fn from(e: livecut_auth::AuthError) -> Self {
        ApiError::new(ErrorCode::from(&e), e.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_alibaba_fields() {
        let e = ApiError::not_found("job");
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
        let body = e.body("r-1", "h");
        assert_eq!(body["RequestId"], "r-1");
        assert_eq!(body["HostId"], "h");
        assert_eq!(body["Code"], "NotFound");
        assert_eq!(body["Message"], "The specified job not found.");
        assert_eq!(body["Recommend"], ErrorCode::NotFound.recommend());
    }

    #[test]
    fn messages_are_bounded() {
        let e = ApiError::invalid(&"p".repeat(5000), "too long");
        assert!(e.message.chars().count() < 1100, "{}", e.message.len());
        assert!(e.message.ends_with("(message cut)"));
    }

    #[test]
    fn validation_and_auth_errors_keep_400() {
        let e = ApiError::missing("JobId");
        assert_eq!(
            (e.status(), e.code),
            (StatusCode::BAD_REQUEST, ErrorCode::MissingParameter)
        );
        let e = ApiError::invalid("Clips", "it is empty");
        assert_eq!(
            (e.status(), e.code),
            (StatusCode::BAD_REQUEST, ErrorCode::InvalidParameter)
        );
        let e = ApiError::from(livecut_auth::AuthError::BodyHashMismatch { body_len: 3 });
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.code.as_str(), "SignatureDoesNotMatch");
        assert!(e.message.contains("3-byte"), "{}", e.message);
    }
}
