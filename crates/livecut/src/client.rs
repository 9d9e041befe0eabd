//! A small signed client of livecut's own API (V3 signatures, plain HTTP), for `livecut demo`.
//! Customers use the official Alibaba SDKs; this exists so the demo needs nothing but this binary.

use std::time::Duration;

use crate::api::rpc::API_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0} (is `livecut serve` running?)")]
    Http(#[from] crate::http1::HttpError),
    #[error("malformed JSON response from {0}")]
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
        let response = crate::http1::request(
            &self.endpoint,
            "POST",
            &format!("/?{}", signed.query),
            &signed.headers,
            &signed.body,
            Duration::from_secs(30),
        )
        .await?;
        let (status, body) = (response.status, response.body.as_slice());
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
