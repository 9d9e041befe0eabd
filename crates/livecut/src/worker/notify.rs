//! Completion callbacks: when a job ends, `UserData.NotifyAddress` (http) receives the IMS
//! `ProduceMediaComplete` event. HTTP 200 counts as delivered; otherwise up to three attempts.

use std::time::Duration;

use serde_json::json;

use crate::clock::{format_api_time, now_ms};
use crate::code::ErrorCode;

pub struct Completion {
    pub notify_address: String,
    pub job_id: String,
    pub project_id: String,
    pub media_id: String,
    pub media_url: String,
    /// None: the job succeeded.
    pub error_code: Option<ErrorCode>,
    pub error_message: String,
    pub user_data: String,
}

const ATTEMPTS: u32 = 3;

/// Delivers in the background; the worker moves on to the next job at once.
pub fn spawn_delivery(c: Completion) {
    tokio::spawn(async move { deliver(&c).await });
}

pub fn event_body(c: &Completion) -> serde_json::Value {
    json!({
        "EventType": "ProduceMediaComplete",
        "UserId": 0,
        "EventTime": format_api_time(now_ms()),
        "MessageBody": {
            "Status": if c.error_code.is_none() { "Success" } else { "Fail" },
            "MediaURL": c.media_url,
            "MediaId": c.media_id,
            "ProjectId": c.project_id,
            "JobId": c.job_id,
            "ErrorCode": c.error_code.map_or("", ErrorCode::as_str),
            "ErrorMessage": c.error_message,
            "UserData": c.user_data,
        }
    })
}

async fn deliver(c: &Completion) {
    let Some((host_port, target)) = http_target(&c.notify_address) else {
        // https needs TLS and MNS queues need Alibaba MNS; neither is part of this server yet.
        tracing::warn!(job_id = %c.job_id, address = %c.notify_address, "callback not sent: only http:// NotifyAddress is supported");
        crate::metrics::callback("unsupported");
        return;
    };
    let body = event_body(c).to_string();
    let headers = [("content-type".to_string(), "application/json".to_string())];
    for attempt in 1..=ATTEMPTS {
        let r = crate::http1::request(
            &host_port,
            "POST",
            &target,
            &headers,
            body.as_bytes(),
            Duration::from_secs(10),
        )
        .await;
        match r {
            Ok(resp) if resp.status == 200 => {
                tracing::info!(job_id = %c.job_id, attempt, "callback delivered");
                crate::metrics::callback("delivered");
                return;
            }
            Ok(resp) => {
                tracing::warn!(job_id = %c.job_id, attempt, status = resp.status, "callback refused");
            }
            Err(e) => tracing::warn!(job_id = %c.job_id, attempt, error = %e, "callback failed"),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(Duration::from_secs(u64::from(attempt * attempt))).await;
        }
    }
    tracing::warn!(job_id = %c.job_id, "callback given up after {ATTEMPTS} attempts");
    crate::metrics::callback("failed");
}

/// `http://host[:port]/path?q` → ("host:port", "/path?q").
fn http_target(address: &str) -> Option<(String, String)> {
    let u = url::Url::parse(address).ok()?;
    if u.scheme() != "http" {
        return None;
    }
    let host = u.host_str()?;
    let port = u.port_or_known_default()?;
    let mut target = u.path().to_string();
    if let Some(q) = u.query() {
        target.push('?');
        target.push_str(q);
    }
    Some((format!("{host}:{port}"), target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn completion(address: String) -> Completion {
        Completion {
            notify_address: address,
            job_id: "j".into(),
            project_id: "p".into(),
            media_id: "m".into(),
            media_url: "oss://b/k.mp4".into(),
            error_code: Some(ErrorCode::ResourceNotFound),
            error_message: "Clip 0 …".into(),
            user_data: r#"{"NotifyAddress":"x"}"#.into(),
        }
    }

    #[test]
    fn only_plain_http_targets() {
        assert_eq!(
            http_target("http://127.0.0.1:8000/cb?x=1"),
            Some(("127.0.0.1:8000".into(), "/cb?x=1".into()))
        );
        assert_eq!(
            http_target("http://example.com"),
            Some(("example.com:80".into(), "/".into()))
        );
        assert_eq!(http_target("https://example.com/cb"), None);
        assert_eq!(http_target("ice-callback-q"), None);
    }

    #[tokio::test]
    async fn retries_until_a_200_and_sends_the_ims_event() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let mut bodies = Vec::new();
            for status in ["500 Internal Server Error", "200 OK"] {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 8192];
                let n = sock.read(&mut buf).await.unwrap();
                bodies.push(String::from_utf8_lossy(&buf[..n]).to_string());
                let resp = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
                sock.write_all(resp.as_bytes()).await.unwrap();
            }
            bodies
        });
        deliver(&completion(format!("http://{addr}/hook"))).await;
        let bodies = server.await.unwrap();
        assert_eq!(bodies.len(), 2, "a refused delivery is retried");
        let json = &bodies[1][bodies[1].find("\r\n\r\n").unwrap() + 4..];
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["EventType"], "ProduceMediaComplete");
        assert_eq!(v["MessageBody"]["Status"], "Fail");
        assert_eq!(
            v["MessageBody"]["ErrorCode"],
            "InvalidParameter.ResourceNotFound"
        );
        assert_eq!(v["MessageBody"]["UserData"], r#"{"NotifyAddress":"x"}"#);
    }
}
