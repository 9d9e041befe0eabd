//! The outermost layer of every route: a deadline for the whole request (its body included, so a
//! body that never ends cannot hold a connection), a request rate per client address, and an
//! Alibaba-style JSON body for every error status, whichever layer produced it (axum's 404 and
//! 405, the body limit's 413), because the SDK cannot parse anything else.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;
use crate::code::ErrorCode;
use crate::ids::new_request_id;
use crate::settings::HttpSettings;

/// A limiter per key (a client address, an access key): `rate` per second, bursts of twice as
/// many. Keys unseen for a while are forgotten by `forget_idle`, so memory follows the clients
/// active now, not every client ever seen.
pub struct Throttle<K: std::hash::Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    rate: NonZeroU32,
}

impl<K: std::hash::Hash + Eq + Clone> Throttle<K> {
    /// None for a rate of 0 (no limit).
    pub fn per_second(rate: u32) -> Option<Throttle<K>> {
        let rate = NonZeroU32::new(rate)?;
        let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
        Some(Throttle {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            rate,
        })
    }

    /// Ok, or the whole seconds to wait before the next request of `key` is allowed.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        self.limiter.check_key(key).map_err(|not_until| {
            let now = governor::clock::Clock::now(self.limiter.clock());
            not_until.wait_time_from(now).as_secs_f64().ceil().max(1.0) as u64
        })
    }

    pub fn rate(&self) -> u32 {
        self.rate.get()
    }

    /// Drops the state of keys whose bucket is full again (they behave as new ones).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

pub struct Guard {
    request_timeout: Duration,
    per_address: Option<Throttle<IpAddr>>,
}

impl Guard {
    pub fn new(settings: &HttpSettings) -> Arc<Guard> {
        let guard = Arc::new(Guard {
            request_timeout: settings.request_timeout(),
            per_address: Throttle::per_second(settings.rate_per_address),
        });
        let weak = Arc::downgrade(&guard);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(guard) = weak.upgrade() else { return };
                if let Some(t) = &guard.per_address {
                    t.forget_idle();
                }
            }
        });
        guard
    }
}

/// The most header fields a request may carry, and their total size (names and values). The SDK
/// sends about a dozen in under 2 KiB. hyper's own limits are set above these
/// (`listener::HYPER_MAX_HEADERS`, `listener::MAX_HEAD_BYTES`) so that a head between the two
/// gets this JSON answer instead of hyper's plain one.
pub const MAX_HEADERS: usize = 100;
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

pub async fn guard(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let host_id = host_id(req.headers());
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if req.headers().len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        let mut resp = ApiError::new(
            ErrorCode::HeadersTooLarge,
            format!(
                "The request has {} header fields of {header_bytes} bytes; at most {MAX_HEADERS} \
                 fields and {MAX_HEADER_BYTES} bytes are accepted.",
                req.headers().len()
            ),
        )
        .into_response(&new_request_id(), &host_id);
        // Its body (if any) is not read: close rather than read past it.
        resp.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        return resp;
    }
    if let (Some(throttle), Some(ConnectInfo(addr))) = (
        &guard.per_address,
        req.extensions().get::<ConnectInfo<SocketAddr>>(),
    ) && let Err(wait) = throttle.check(&addr.ip())
    {
        crate::metrics::throttled("address");
        return ApiError::new(
            ErrorCode::Throttling,
            format!(
                "Request was denied due to request throttling: more than {} requests per \
                 second from this address.",
                throttle.rate()
            ),
        )
        .with_retry_after(wait)
        .into_response(&new_request_id(), &host_id);
    }
    let timeout = guard.request_timeout;
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(resp) => json_errors(resp, &host_id),
        Err(_) => {
            crate::metrics::request_timed_out();
            let mut resp = ApiError::new(
                ErrorCode::RequestTimeout,
                format!(
                    "The request was not received and answered within {} s.",
                    timeout.as_secs()
                ),
            )
            .into_response(&new_request_id(), &host_id);
            // The rest of the body may still be on its way: do not read it, close.
            resp.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            resp
        }
    }
}

/// An error answer that is not JSON already gets the JSON body of its status.
fn json_errors(resp: Response, host_id: &str) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => (
            ErrorCode::PathNotFound,
            "The requested path is not served here; API calls go to the path /.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::UnsupportedMethod,
            "This path does not accept the HTTP method; API calls are GET or POST.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            ErrorCode::RequestTooLarge,
            "The request body is larger than the 1 MiB an API call may send.",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            ErrorCode::RequestTimeout,
            "The request was not received in full in time.",
        ),
        s if s.is_server_error() => (
            ErrorCode::InternalError,
            "The request processing has failed due to some unknown error.",
        ),
        _ => (
            ErrorCode::InvalidParameter,
            "The request is not a well-formed API call.",
        ),
    };
    let mut json = ApiError::new(code, message).into_response(&new_request_id(), host_id);
    // Keep the status the inner layer chose (a 400 mapped to InvalidParameter stays 400).
    *json.status_mut() = status;
    if let Some(allow) = resp.headers().get(header::ALLOW) {
        json.headers_mut().insert(header::ALLOW, allow.clone());
    }
    json
}

/// The `HostId` of error bodies: the Host the client called (bounded), as Alibaba's gateway
/// answers with its own host name.
pub(crate) fn host_id(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.len() <= 255)
        .unwrap_or("livecut")
        .to_string()
}

/// A JSON answer written before any routing (the connection cap), as bytes on the socket.
pub fn overload_response(limit: usize) -> Vec<u8> {
    let body = ApiError::new(
        ErrorCode::ServiceUnavailable,
        format!("The server holds as many connections as it may ({limit}); retry shortly."),
    )
    .body(&new_request_id(), "livecut")
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json;charset=utf-8\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[test]
    fn a_throttle_allows_a_burst_of_twice_its_rate_then_says_how_long_to_wait() {
        let t = Throttle::per_second(5).expect("a limit");
        let key = "k".to_string();
        for i in 0..10 {
            assert_eq!(t.check(&key), Ok(()), "request {i} of the burst");
        }
        assert_eq!(t.check(&key), Err(1));
        // Another key has its own budget.
        assert_eq!(t.check(&"other".to_string()), Ok(()));
        assert!(Throttle::<String>::per_second(0).is_none(), "0 = no limit");
    }

    #[tokio::test]
    async fn plain_error_answers_become_alibaba_json() {
        for (status, code) in [
            (StatusCode::NOT_FOUND, "InvalidPath.NotFound"),
            (StatusCode::METHOD_NOT_ALLOWED, "UnsupportedHTTPMethod"),
            (StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge"),
            (StatusCode::BAD_GATEWAY, "InternalError"),
        ] {
            let plain = Response::builder()
                .status(status)
                .body(Body::from("length limit exceeded"))
                .expect("a response");
            let json = json_errors(plain, "h");
            assert_eq!(json.status(), status);
            let bytes = axum::body::to_bytes(json.into_body(), 1 << 16)
                .await
                .expect("a body");
            let body: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
            assert_eq!(body["Code"], code);
            assert_eq!(body["HostId"], "h");
            assert!(body["RequestId"].as_str().is_some_and(|r| !r.is_empty()));
        }
        let ok = Response::new(Body::from("fine"));
        assert_eq!(json_errors(ok, "h").status(), StatusCode::OK);
    }

    #[test]
    fn the_overload_answer_is_a_whole_http_response_with_a_json_body() {
        let bytes = overload_response(7);
        let text = String::from_utf8(bytes).expect("text");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let body: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(body["Code"], "ServiceUnavailable");
        assert!(body["Message"].as_str().unwrap().contains("(7)"));
    }
}
