//! A small signed client of livecut's own API (V3 signatures, plain HTTP), for `livecut demo`.
//! Customers use the official Alibaba SDKs; this exists so the demo needs nothing but this binary.

use std::time::Duration;

use crate::api::rpc::API_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0} (is `livecut serve` running?)")]
    Http(#[from] reqwest::Error),
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
    endpoint: String,
    access_key_id: String,
    access_key_secret: String,
    /// One HTTP client (and its connection pool) for every call.
    http: reqwest::Client,
}

impl ApiClient {
    pub fn new(
        endpoint: &str,
        access_key_id: &str,
        access_key_secret: &str,
    ) -> Result<ApiClient, ClientError> {
        crate::storage::install_crypto_provider();
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(ApiClient {
            endpoint: endpoint.to_string(),
            access_key_id: access_key_id.to_string(),
            access_key_secret: access_key_secret.to_string(),
            http,
        })
    }

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
        let mut request = self
            .http
            .post(format!("http://{}/?{}", self.endpoint, signed.query))
            .body(signed.body);
        for (name, value) in &signed.headers {
            // reqwest writes Host from the URL, which is the endpoint the signature names.
            if name != "host" {
                request = request.header(name, value);
            }
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?;
        let json: serde_json::Value = serde_json::from_slice(&body)
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
