//! The smallest HTTP/1.1 client that serves livecut's own needs (the demo's API calls and
//! completion callbacks): one request per connection, plain HTTP, bounded in time and size.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Responses larger than this are cut off: callbacks and API answers are small.
const MAX_RESPONSE_BYTES: u64 = 4 << 20;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot connect to {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("I/O error with {0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0} did not answer within {1:?}")]
    Timeout(String, Duration),
    #[error("malformed HTTP response from {0}")]
    BadResponse(String),
}

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Sends one request to `host_port` and reads the whole response.
pub async fn request(
    host_port: &str,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
    limit: Duration,
) -> Result<Response, HttpError> {
    tokio::time::timeout(limit, exchange(host_port, method, target, headers, body))
        .await
        .map_err(|_| HttpError::Timeout(host_port.to_string(), limit))?
}

async fn exchange(
    host_port: &str,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Response, HttpError> {
    let io = |e| HttpError::Io(host_port.to_string(), e);
    let mut stream = TcpStream::connect(host_port)
        .await
        .map_err(|e| HttpError::Connect(host_port.to_string(), e))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("host: {host_port}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes()).await.map_err(io)?;
    stream.write_all(body).await.map_err(io)?;
    let mut raw = Vec::new();
    stream
        .take(MAX_RESPONSE_BYTES)
        .read_to_end(&mut raw)
        .await
        .map_err(io)?;
    let (status, body) =
        split_response(&raw).ok_or_else(|| HttpError::BadResponse(host_port.to_string()))?;
    Ok(Response {
        status,
        body: body.to_vec(),
    })
}

/// Status code and body of a `connection: close` response (the body is everything after the
/// blank line; chunked encoding is not expected from the peers this client talks to).
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

    #[tokio::test]
    async fn a_round_trip_against_a_loopback_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = sock.read(&mut buf).await.unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
                .await
                .unwrap();
            req
        });
        let r = request(
            &addr,
            "POST",
            "/cb",
            &[],
            b"{\"a\":1}",
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"hello");
        let req = server.await.unwrap();
        assert!(req.starts_with("POST /cb HTTP/1.1\r\n"), "{req}");
        assert!(req.ends_with("{\"a\":1}"), "{req}");
    }
}
