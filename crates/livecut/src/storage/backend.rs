//! Building the store of a bucket from its configuration: a folder, or an S3-compatible service
//! with its endpoint, region, addressing style, credentials and retry policy; and the stores of
//! allowed HTTP origins.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Once};
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::http::HttpBuilder;
use object_store::local::LocalFileSystem;
use object_store::multipart::MultipartStore;
use object_store::path::Path as ObjectPath;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};

use super::StorageError;
use crate::config::{BucketConfig, ConfigError};

/// Transient failures (timeouts, 5xx, refused or reset connections) are retried with
/// exponential backoff for up to this long per request: long enough to ride out a storage
/// restart, short enough that a dead storage fails the job with a clear code.
const RETRY_TIMEOUT: Duration = Duration::from_secs(90);
const MAX_RETRIES: usize = 12;

/// One request may take this long; a stalled connection is abandoned (and retried).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// rustls needs one process-wide crypto provider; ring keeps the build free of aws-lc's C.
pub(crate) fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err only if another provider is already installed, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

pub(super) fn retry() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(8),
            base: 2.0,
        },
        max_retries: MAX_RETRIES,
        retry_timeout: RETRY_TIMEOUT,
    }
}

fn client_options(allow_http: bool) -> ClientOptions {
    ClientOptions::new()
        .with_allow_http(allow_http)
        .with_timeout(REQUEST_TIMEOUT)
        .with_connect_timeout(CONNECT_TIMEOUT)
}

/// Where a bucket's objects are.
#[derive(Clone)]
pub enum Backend {
    /// A folder: `<data-dir>/buckets/B` for unlisted buckets, or a `file://` bucket.
    Local { dir: PathBuf },
    /// An S3-compatible bucket; keys live under `prefix` (empty: the bucket's root).
    S3 {
        store: Arc<dyn ObjectStore>,
        /// The same client, for uploads whose parts we track (`publish`).
        multipart: Arc<dyn MultipartStore>,
        prefix: String,
        /// What `livecut config check` prints: URL, endpoint, region, style, credential source.
        describe: String,
    },
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Backend {
    pub(super) fn build(name: &str, config: &BucketConfig) -> Result<Backend, StorageError> {
        let bad = |message: String| ConfigError::Bucket {
            bucket: name.to_string(),
            message,
        };
        if let Some(path) = config.url.strip_prefix("file://") {
            return Ok(Backend::Local {
                dir: PathBuf::from(path),
            });
        }
        let rest = config
            .url
            .strip_prefix("s3://")
            .or_else(|| config.url.strip_prefix("oss://"))
            .ok_or_else(|| {
                bad(format!(
                    "url {:?} is not s3://, oss:// or file://",
                    config.url
                ))
            })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(bad(format!("url {:?} names no bucket", config.url)).into());
        }
        let prefix = prefix.trim_matches('/').to_string();
        let region = config
            .region
            .clone()
            .unwrap_or_else(|| "us-east-1".to_string());
        let allow_http = config
            .endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("http://"));
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&region)
            .with_virtual_hosted_style_request(config.virtual_hosted_style)
            .with_retry(retry())
            .with_client_options(client_options(allow_http));
        if let Some(endpoint) = &config.endpoint {
            let endpoint = if config.virtual_hosted_style {
                virtual_hosted_endpoint(endpoint, bucket)
            } else {
                endpoint.clone()
            };
            builder = builder.with_endpoint(endpoint);
        }
        let credentials = config.credentials(name)?;
        let cred_source = match &credentials {
            Some(c) => {
                builder = builder
                    .with_access_key_id(&c.access_key_id)
                    .with_secret_access_key(c.secret_access_key.expose());
                if let Some(t) = &c.session_token {
                    builder = builder.with_token(t.expose());
                }
                c.source.clone()
            }
            None => "the provider's default credentials".to_string(),
        };
        let store = builder.build().map_err(|e| bad(e.to_string()))?;
        let describe = format!(
            "{} (endpoint {}, region {region}, {} style, credentials from {cred_source})",
            config.url,
            config.endpoint.as_deref().unwrap_or("the provider default"),
            if config.virtual_hosted_style {
                "virtual-hosted"
            } else {
                "path"
            },
        );
        let store = Arc::new(store);
        Ok(Backend::S3 {
            store: store.clone(),
            multipart: store,
            prefix,
            describe,
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Backend::Local { dir } => format!("local folder {}", dir.display()),
            Backend::S3 { describe, .. } => describe.clone(),
        }
    }

    /// The store; a folder bucket's folder is created on first use.
    pub fn store(&self) -> Result<Arc<dyn ObjectStore>, StorageError> {
        match self {
            Backend::Local { dir } => {
                std::fs::create_dir_all(dir).map_err(|source| StorageError::CreateBucket {
                    path: dir.display().to_string(),
                    source,
                })?;
                let fs = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| StorageError::store(dir.display().to_string(), e))?
                    .with_automatic_cleanup(true);
                Ok(Arc::new(fs))
            }
            Backend::S3 { store, .. } => Ok(store.clone()),
        }
    }

    /// The store path of a key (under the bucket's prefix).
    pub fn object_path(&self, key: &str) -> Result<ObjectPath, StorageError> {
        let full = match self {
            Backend::S3 { prefix, .. } if !prefix.is_empty() => format!("{prefix}/{key}"),
            _ => key.to_string(),
        };
        ObjectPath::parse(&full).map_err(|_| StorageError::BadKey(key.to_string()))
    }

    /// The root of the bucket's keys, for listings.
    pub fn root_path(&self) -> Option<ObjectPath> {
        match self {
            Backend::S3 { prefix, .. } if !prefix.is_empty() => {
                Some(ObjectPath::from(prefix.as_str()))
            }
            _ => None,
        }
    }

    /// The key of a store path (the inverse of `object_path`).
    pub fn key_of(&self, path: &ObjectPath) -> Option<String> {
        let p = path.as_ref();
        match self {
            Backend::S3 { prefix, .. } if !prefix.is_empty() => p
                .strip_prefix(prefix.as_str())
                .and_then(|r| r.strip_prefix('/'))
                .map(str::to_string),
            _ => Some(p.to_string()),
        }
    }
}

/// With virtual-hosted addressing, object_store sends requests to the endpoint as given, so the
/// endpoint must name the bucket's own host (`https://B.oss-cn-shanghai.aliyuncs.com`). An
/// operator may write the region's endpoint (`https://oss-cn-shanghai.aliyuncs.com`, as Alibaba
/// documents it); the bucket is then put in front of its host.
fn virtual_hosted_endpoint(endpoint: &str, bucket: &str) -> String {
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return endpoint.to_string();
    };
    if rest.starts_with(&format!("{bucket}.")) {
        return endpoint.to_string();
    }
    format!("{scheme}://{bucket}.{rest}")
}

/// An HTTP(S) origin recordings may be read from.
pub(super) struct Origin {
    /// `https://cdn.example.com` (scheme, host, port; a path prefix if given).
    pub origin: String,
    url: url::Url,
    pub store: Arc<dyn ObjectStore>,
}

impl Origin {
    pub(super) fn build(origin: &str) -> Result<Origin, StorageError> {
        let url = url::Url::parse(origin)
            .map_err(|e| ConfigError::Origin(format!("{origin:?} is not a URL: {e}")))?;
        let store = HttpBuilder::new()
            .with_url(origin)
            .with_retry(retry())
            .with_client_options(client_options(url.scheme() == "http"))
            .build()
            .map_err(|e| ConfigError::Origin(format!("{origin:?}: {e}")))?;
        Ok(Origin {
            origin: origin.trim_end_matches('/').to_string(),
            url,
            store: Arc::new(store),
        })
    }

    /// Same scheme, host and port, and under the origin's path.
    pub(super) fn covers(&self, url: &url::Url) -> bool {
        url.origin() == self.url.origin()
            && url
                .path()
                .starts_with(self.url.path().trim_end_matches('/'))
    }

    /// The path of `url` relative to the origin's URL, as the HTTP store wants it.
    pub(super) fn path_of(&self, url: &url::Url) -> Result<ObjectPath, StorageError> {
        let base = self.url.path().trim_end_matches('/');
        let rel = url.path().strip_prefix(base).unwrap_or(url.path());
        let rel = rel.trim_start_matches('/');
        let decoded = percent_encoding::percent_decode_str(rel).decode_utf8_lossy();
        ObjectPath::parse(decoded.as_ref()).map_err(|_| StorageError::BadKey(url.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_hosted_endpoints_name_the_bucket_host() {
        assert_eq!(
            virtual_hosted_endpoint("https://oss-cn-shanghai.aliyuncs.com", "hl"),
            "https://hl.oss-cn-shanghai.aliyuncs.com"
        );
        assert_eq!(
            virtual_hosted_endpoint("https://hl.oss-cn-shanghai.aliyuncs.com", "hl"),
            "https://hl.oss-cn-shanghai.aliyuncs.com"
        );
    }
}
