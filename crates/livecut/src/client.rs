//! A small signed client of livecut's own API (V3 signatures, plain HTTP), for `livecut demo`.
//! Customers use the official Alibaba SDKs; this exists so the demo needs nothing but this binary.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::api::rpc::API_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach livecut at {endpoint}: {source} (is `livecut serve` running?)")]
    Connect {
        endpoint: String,
        source: std::io::Error,
    },
    #[error("I/O error talking to {endpoint}: {source}")]
    Io {
        endpoint: String,
        source: std::io::Error,
    },
    #[error("malformed HTTP response from {0}")]
    BadResponse(String),
    #[error("{action} failed with HTTP {status}: {code}: {message}")]
    Api {
        action: String,
        status: u16,
        code: String,
        message: String,
    },
}

pub struct ApiClient {
    pub endpoint: String,
    pub access_key_id: String,
    pub access_key_secret: String,
}

impl ApiClient {
    pub async fn call(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> Result<serde_json::Value, ClientError> {
        let nonce = crate::ids::new_resource_id();
        let signed = livecut_auth::sign_v3(
            &livecut_auth::OutgoingRequest {
                method: "POST",
                host: &self.endpoint,
                path: "/",
                action,
                version: API_VERSION,
                params,
                form: &[],
                extra_headers: &[("user-agent".to_string(), "livecut-demo".to_string())],
            },
            &livecut_auth::Credentials {
                access_key_id: &self.access_key_id,
                access_key_secret: &self.access_key_secret,
                security_token: None,
            },
            time::OffsetDateTime::now_utc(),
            &nonce,
        );
        let mut head = format!("POST /?{} HTTP/1.1\r\n", signed.query);
        for (k, v) in &signed.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            signed.body.len()
        ));
        let io = |source| ClientError::Io {
            endpoint: self.endpoint.clone(),
            source,
        };
        let mut stream =
            tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&self.endpoint))
                .await
                .map_err(|_| ClientError::Connect {
                    endpoint: self.endpoint.clone(),
                    source: std::io::ErrorKind::TimedOut.into(),
                })?
                .map_err(|source| ClientError::Connect {
                    endpoint: self.endpoint.clone(),
                    source,
                })?;
        stream.write_all(head.as_bytes()).await.map_err(io)?;
        stream.write_all(&signed.body).await.map_err(io)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.map_err(io)?;
        let (status, body) =
            split_response(&raw).ok_or_else(|| ClientError::BadResponse(self.endpoint.clone()))?;
        let json: serde_json::Value = serde_json::from_slice(body)
            .map_err(|_| ClientError::BadResponse(self.endpoint.clone()))?;
        if status >= 400 {
            return Err(ClientError::Api {
                action: action.to_string(),
                status,
                code: json["Code"].as_str().unwrap_or_default().to_string(),
                message: json["Message"].as_str().unwrap_or_default().to_string(),
            });
        }
        Ok(json)
    }
}

/// Status code and body of a `connection: close` HTTP/1.1 response (axum sends a
/// content-length, so the body is everything after the blank line).
fn split_response(raw: &[u8]) -> Option<(u16, &[u8])> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, &raw[end + 4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_split_into_status_and_body() {
        let raw = b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(split_response(raw), Some((404, &b"{}"[..])));
        assert_eq!(split_response(b"garbage"), None);
    }
}
