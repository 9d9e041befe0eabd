//! Buckets of object storage, as the configuration maps them (`config`): the local folder of the
//! embedded default (`<data-dir>/buckets/B`), a `file://` folder, or an S3-compatible service
//! (AWS, MinIO, Ceph, s3s, Alibaba OSS through its S3 API); and recordings read over plain HTTP(S)
//! from the origins the operator allows. Every object read and write of the service goes through
//! this module, on `object_store`.
//!
//! Architecture invariant: an output is published whole or not at all (`publish`): a multipart
//! upload becomes visible only when completed, and one that fails is aborted.

mod backend;
mod fetch;
mod publish;
pub mod source;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::config::{Config, ConfigError, Unlisted};
use crate::job::location::ObjectLocation;
pub use backend::Backend;
pub(crate) use backend::install_crypto_provider;
pub use fetch::{FetchItem, Prefetch, Remote, localize};
pub use publish::{NoJournal, UploadJournal, UploadRecord};
pub use source::{Source, SourceError};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("bucket {0:?} has no storage backend configured")]
    UnknownBucket(String),
    #[error("cannot create bucket folder {path}: {source}")]
    CreateBucket {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read the local file {path}: {source}")]
    ReadLocal {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the local file {path}: {source}")]
    WriteLocal {
        path: String,
        source: std::io::Error,
    },
    #[error("{location} does not exist")]
    NotFound { location: String },
    #[error("{location}: the storage refused our credentials ({source})")]
    Denied {
        location: String,
        source: object_store::Error,
    },
    #[error("object storage error on {location}: {source}")]
    Store {
        location: String,
        source: object_store::Error,
    },
    #[error("object name {0:?} is not a valid object path")]
    BadKey(String),
    #[error("{location} is larger than {limit} bytes")]
    TooLarge { location: String, limit: u64 },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl StorageError {
    /// Maps object_store's error for `location`: absent, refused, or anything else.
    fn store(location: String, source: object_store::Error) -> StorageError {
        match source {
            object_store::Error::NotFound { .. } => StorageError::NotFound { location },
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => {
                StorageError::Denied { location, source }
            }
            source => StorageError::Store { location, source },
        }
    }

    /// The storage answered "no such object" (as opposed to failing to answer).
    pub fn is_not_found(&self) -> bool {
        matches!(self, StorageError::NotFound { .. })
    }

    /// The storage failed to answer (after object_store's own retries): trying again later
    /// may succeed, unlike a refusal, an absent object or a bad name.
    pub fn is_transient(&self) -> bool {
        matches!(self, StorageError::Store { .. })
    }
}

/// The bucket map of one process.
#[derive(Clone)]
pub struct Buckets {
    inner: Arc<Inner>,
}

struct Inner {
    /// `<data-dir>/buckets`: where unlisted buckets live in the embedded default.
    local_root: PathBuf,
    configured: BTreeMap<String, Backend>,
    unlisted: Unlisted,
    origins: Vec<backend::Origin>,
    /// Results of access checks, so Submit does not ask the storage on every request.
    access: Mutex<HashMap<String, AccessCheck>>,
}

/// When a bucket's access was checked, and the verdict (a refusal's message).
type AccessCheck = (Instant, Result<(), String>);

/// How long an access check result is trusted.
const ACCESS_TTL: Duration = Duration::from_secs(30);

/// Playlists are small; a "playlist" larger than this is not one.
const MAX_PLAYLIST_BYTES: u64 = 32 << 20;

impl Buckets {
    /// The embedded default: every bucket is a folder under `root`.
    pub fn local(root: impl Into<PathBuf>) -> Buckets {
        Buckets::from_parts(root.into(), BTreeMap::new(), Unlisted::Local, Vec::new())
    }

    /// The buckets of a configuration; credentials are read now (from the environment or
    /// files), so a missing variable is an error at start, not at the first job.
    pub fn from_config(
        local_root: impl Into<PathBuf>,
        config: &Config,
    ) -> Result<Buckets, StorageError> {
        backend::install_crypto_provider();
        let mut configured = BTreeMap::new();
        for (name, b) in &config.buckets {
            configured.insert(name.clone(), Backend::build(name, b)?);
        }
        let origins = config
            .http
            .allowed_origins
            .iter()
            .map(|o| backend::Origin::build(o))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Buckets::from_parts(
            local_root.into(),
            configured,
            config.storage.unlisted,
            origins,
        ))
    }

    fn from_parts(
        local_root: PathBuf,
        configured: BTreeMap<String, Backend>,
        unlisted: Unlisted,
        origins: Vec<backend::Origin>,
    ) -> Buckets {
        Buckets {
            inner: Arc::new(Inner {
                local_root,
                configured,
                unlisted,
                origins,
                access: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The backend of a bucket, or `UnknownBucket` when it is not listed and unlisted buckets
    /// are refused.
    pub fn backend(&self, bucket: &str) -> Result<Backend, StorageError> {
        if let Some(b) = self.inner.configured.get(bucket) {
            return Ok(b.clone());
        }
        match self.inner.unlisted {
            // Bucket names were validated (lower-case, digits, '-'), so joining cannot leave
            // the root.
            Unlisted::Local => Ok(Backend::Local {
                dir: self.inner.local_root.join(bucket),
            }),
            Unlisted::Refuse => Err(StorageError::UnknownBucket(bucket.to_string())),
        }
    }

    /// Whether a bucket is listed in the configuration (and not only reachable by default).
    pub fn is_configured(&self, bucket: &str) -> bool {
        self.inner.configured.contains_key(bucket)
    }

    /// The listed buckets, for `livecut config check`.
    pub fn configured(&self) -> impl Iterator<Item = (&String, &Backend)> {
        self.inner.configured.iter()
    }

    pub fn unlisted(&self) -> Unlisted {
        self.inner.unlisted
    }

    pub fn origins(&self) -> impl Iterator<Item = &str> {
        self.inner.origins.iter().map(|o| o.origin.as_str())
    }

    /// Parses a recording URL or path as the index and the planner read it: `s3://B/k`,
    /// `oss://B/k` or `https://B.<endpoint>/k` of a bucket this process can resolve, a URL of an
    /// allowed origin, or a local path (`file://` or plain).
    pub fn source(&self, raw: &str) -> Result<Source, SourceError> {
        let s = raw.trim();
        if let Some(rest) = s.strip_prefix("oss://").or_else(|| s.strip_prefix("s3://")) {
            let (bucket, key) = rest
                .split_once('/')
                .ok_or_else(|| SourceError::NotAUrl(s.to_string()))?;
            return self.object_source(s, bucket, key);
        }
        if let Some(path) = s.strip_prefix("file://") {
            return Ok(Source::File(PathBuf::from(path)));
        }
        if s.starts_with("http://") || s.starts_with("https://") {
            let url = url::Url::parse(s).map_err(|_| SourceError::NotAUrl(s.to_string()))?;
            if self.inner.origins.iter().any(|o| o.covers(&url)) {
                return Ok(Source::Http(s.to_string()));
            }
            // Virtual-hosted style: the bucket is the first label of the host.
            let host = url.host_str().unwrap_or("");
            if let Some((bucket, _)) = host.split_once('.')
                && self.inner.configured.contains_key(bucket)
            {
                let key = url.path().trim_start_matches('/');
                return self.object_source(s, bucket, key);
            }
            return Err(SourceError::OriginNotAllowed(s.to_string()));
        }
        if s.contains("://") || s.is_empty() {
            return Err(SourceError::NotAUrl(s.to_string()));
        }
        Ok(Source::File(PathBuf::from(s)))
    }

    fn object_source(&self, url: &str, bucket: &str, key: &str) -> Result<Source, SourceError> {
        if self.backend(bucket).is_err() {
            return Err(SourceError::UnknownBucket {
                url: url.to_string(),
                bucket: bucket.to_string(),
            });
        }
        let key = percent_encoding::percent_decode_str(key)
            .decode_utf8()
            .map_err(|_| SourceError::NotAUrl(url.to_string()))?;
        Ok(Source::Object(ObjectLocation {
            bucket: bucket.to_string(),
            key: key.to_string(),
        }))
    }

    /// The local file behind a source, when there is one (a path, or an object of a folder
    /// bucket): the media engine then reads it in place instead of a downloaded copy.
    pub fn local_file(&self, source: &Source) -> Option<PathBuf> {
        match source {
            Source::File(p) => Some(p.clone()),
            Source::Object(o) => match self.backend(&o.bucket).ok()? {
                Backend::Local { dir } => Some(dir.join(&o.key)),
                Backend::S3 { .. } => None,
            },
            Source::Http(_) => None,
        }
    }

    /// A store and the path in it for a remote source.
    fn remote(&self, source: &Source) -> Result<(Arc<dyn ObjectStore>, ObjectPath), StorageError> {
        match source {
            // A local file is read in place (`local_file`, `read_text`), never through a store.
            Source::File(p) => Err(StorageError::BadKey(p.display().to_string())),
            Source::Object(o) => {
                let backend = self.backend(&o.bucket)?;
                Ok((backend.store()?, backend.object_path(&o.key)?))
            }
            Source::Http(u) => {
                let url = url::Url::parse(u).map_err(|_| SourceError::NotAUrl(u.clone()))?;
                let origin = self
                    .inner
                    .origins
                    .iter()
                    .find(|o| o.covers(&url))
                    .ok_or_else(|| SourceError::OriginNotAllowed(u.clone()))?;
                Ok((origin.store.clone(), origin.path_of(&url)?))
            }
        }
    }

    /// Reads a playlist (bounded in size), wherever it is: a local file, an object, or a URL.
    pub async fn read_text(&self, source: &Source) -> Result<String, StorageError> {
        if let Source::File(p) = source {
            let read_err = |e| StorageError::ReadLocal {
                path: p.display().to_string(),
                source: e,
            };
            let size = tokio::fs::metadata(p).await.map_err(read_err)?.len();
            if size > MAX_PLAYLIST_BYTES {
                return Err(StorageError::TooLarge {
                    location: source.shown(),
                    limit: MAX_PLAYLIST_BYTES,
                });
            }
            let bytes = tokio::fs::read(p).await.map_err(read_err)?;
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
        let (store, path) = self.remote(source)?;
        let shown = source.shown();
        let got = store
            .get_opts(&path, object_store::GetOptions::default())
            .await
            .map_err(|e| StorageError::store(shown.clone(), e))?;
        if got.meta.size > MAX_PLAYLIST_BYTES {
            return Err(StorageError::TooLarge {
                location: shown,
                limit: MAX_PLAYLIST_BYTES,
            });
        }
        let bytes = got
            .bytes()
            .await
            .map_err(|e| StorageError::store(shown.clone(), e))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The `.m3u8` objects directly under a folder (`s3://b/record/app/stream/`), sorted.
    pub async fn list_playlists(&self, folder: &Source) -> Result<Vec<Source>, StorageError> {
        match folder {
            Source::File(dir) => {
                let mut found: Vec<Source> = match std::fs::read_dir(dir) {
                    Ok(entries) => entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "m3u8"))
                        .map(Source::File)
                        .collect(),
                    Err(_) => Vec::new(),
                };
                found.sort_by_key(Source::to_index_string);
                Ok(found)
            }
            Source::Object(o) => {
                let backend = self.backend(&o.bucket)?;
                let store = backend.store()?;
                let prefix = backend.object_path(o.key.trim_end_matches('/'))?;
                let listing = store
                    .list_with_delimiter(Some(&prefix))
                    .await
                    .map_err(|e| StorageError::store(folder.shown(), e))?;
                let mut found: Vec<Source> = listing
                    .objects
                    .into_iter()
                    .filter(|m| m.location.as_ref().ends_with(".m3u8"))
                    .filter_map(|m| {
                        let key = backend.key_of(&m.location)?;
                        Some(Source::Object(ObjectLocation {
                            bucket: o.bucket.clone(),
                            key,
                        }))
                    })
                    .collect();
                found.sort_by_key(Source::to_index_string);
                Ok(found)
            }
            // An HTTP origin has no listing; its playlists are registered one by one.
            Source::Http(_) => Ok(Vec::new()),
        }
    }

    /// The bytes of a source as they arrive, and their count (the preview proxies segments
    /// without holding one in memory).
    pub async fn open(
        &self,
        source: &Source,
    ) -> Result<
        (
            u64,
            futures::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
        ),
        StorageError,
    > {
        let (store, path): (Arc<dyn ObjectStore>, ObjectPath) = match source {
            Source::File(p) => (
                Arc::new(object_store::local::LocalFileSystem::new()),
                ObjectPath::from_absolute_path(p)
                    .map_err(|_| StorageError::BadKey(p.display().to_string()))?,
            ),
            other => self.remote(other)?,
        };
        let got = store
            .get_opts(&path, object_store::GetOptions::default())
            .await
            .map_err(|e| StorageError::store(source.shown(), e))?;
        Ok((got.meta.size, got.into_stream()))
    }

    /// Size of an object, or None when it does not exist.
    pub async fn size(&self, loc: &ObjectLocation) -> Result<Option<u64>, StorageError> {
        let backend = self.backend(&loc.bucket)?;
        match backend.store()?.head(&backend.object_path(&loc.key)?).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(StorageError::store(loc.canonical_url(), source)),
        }
    }

    /// Reads a whole object (tests and small files).
    pub async fn get(&self, loc: &ObjectLocation) -> Result<bytes::Bytes, StorageError> {
        let backend = self.backend(&loc.bucket)?;
        let got = backend
            .store()?
            .get(&backend.object_path(&loc.key)?)
            .await
            .map_err(|e| StorageError::store(loc.canonical_url(), e))?;
        got.bytes()
            .await
            .map_err(|e| StorageError::store(loc.canonical_url(), e))
    }

    /// Deletes an object; an absent one is not an error.
    pub async fn delete(&self, loc: &ObjectLocation) -> Result<(), StorageError> {
        let backend = self.backend(&loc.bucket)?;
        match backend
            .store()?
            .delete(&backend.object_path(&loc.key)?)
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StorageError::store(loc.canonical_url(), e)),
        }
    }

    /// Every object key of a bucket under `prefix` (the scale-out test checks that no object
    /// exists that no job owns).
    pub async fn list_keys(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, StorageError> {
        let backend = self.backend(bucket)?;
        let store = backend.store()?;
        let p = if prefix.is_empty() {
            backend.root_path()
        } else {
            Some(backend.object_path(prefix)?)
        };
        let metas: Vec<_> = store
            .list(p.as_ref())
            .try_collect()
            .await
            .map_err(|e| StorageError::store(format!("oss://{bucket}/{prefix}"), e))?;
        Ok(metas
            .into_iter()
            .filter_map(|m| backend.key_of(&m.location))
            .collect())
    }

    /// Checks that the storage accepts our credentials for `bucket`: a HEAD of an object that
    /// does not exist answers 404 when it does, 403 when it does not. An unreachable storage is
    /// not a refusal (the job's own retries deal with an outage), so only a refusal fails.
    /// Results are kept for a short while.
    pub async fn check_access(&self, bucket: &str) -> Result<(), String> {
        if let Ok(cache) = self.inner.access.lock()
            && let Some((at, result)) = cache.get(bucket)
            && at.elapsed() < ACCESS_TTL
        {
            return result.clone();
        }
        let result = match self.probe(bucket).await {
            Ok(()) => Ok(()),
            Err(e @ (StorageError::Denied { .. } | StorageError::UnknownBucket(_))) => {
                Err(e.to_string())
            }
            Err(e) => {
                tracing::warn!(bucket, error = %e, "storage access check could not reach the storage");
                Ok(())
            }
        };
        if let Ok(mut cache) = self.inner.access.lock() {
            cache.insert(bucket.to_string(), (Instant::now(), result.clone()));
        }
        result
    }

    /// One request that needs the bucket and our credentials. `Ok` also when the probe object
    /// is absent (the expected answer).
    pub async fn probe(&self, bucket: &str) -> Result<(), StorageError> {
        let backend = self.backend(bucket)?;
        match &backend {
            Backend::Local { dir } => {
                std::fs::create_dir_all(dir).map_err(|source| StorageError::CreateBucket {
                    path: dir.display().to_string(),
                    source,
                })?;
                Ok(())
            }
            Backend::S3 { .. } => {
                let path = backend.object_path(".livecut-access-check")?;
                match backend.store()?.head(&path).await {
                    Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(StorageError::store(format!("oss://{bucket}"), e)),
                }
            }
        }
    }

    /// For `/healthz`: every configured bucket answers (and the local root is writable).
    pub async fn health(&self) -> Result<(), String> {
        std::fs::create_dir_all(&self.inner.local_root)
            .map_err(|e| format!("the local buckets folder cannot be created: {e}"))?;
        for name in self.inner.configured.keys() {
            self.probe(name)
                .await
                .map_err(|e| format!("bucket {name:?}: {e}"))?;
        }
        Ok(())
    }

    /// The local folder of unlisted buckets.
    pub fn local_root(&self) -> &Path {
        &self.inner.local_root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BucketConfig, HttpConfig, StorageConfig};

    fn s3_bucket() -> BucketConfig {
        BucketConfig {
            url: "s3://real-name/pre".into(),
            endpoint: Some("http://127.0.0.1:9".into()),
            region: Some("us-east-1".into()),
            virtual_hosted_style: false,
            access_key_id: Some("AKID".into()),
            access_key_id_env: None,
            access_key_id_file: None,
            secret_access_key_env: Some("PATH".into()),
            secret_access_key_file: None,
            session_token_env: None,
        }
    }

    fn configured(unlisted: Unlisted) -> Buckets {
        let mut config = Config {
            storage: StorageConfig { unlisted },
            http: HttpConfig {
                allowed_origins: vec!["https://cdn.example.com".into()],
                public_url: None,
            },
            ..Config::default()
        };
        config.buckets.insert("highlights".into(), s3_bucket());
        Buckets::from_config("/data/buckets", &config).unwrap()
    }

    #[test]
    fn recording_urls_name_objects_of_configured_buckets() {
        let b = configured(Unlisted::Refuse);
        let want = Source::Object(ObjectLocation {
            bucket: "highlights".into(),
            key: "rec/index.m3u8".into(),
        });
        assert_eq!(b.source("s3://highlights/rec/index.m3u8"), Ok(want.clone()));
        assert_eq!(
            b.source("oss://highlights/rec/index.m3u8"),
            Ok(want.clone())
        );
        assert_eq!(
            b.source("https://highlights.oss-cn-shanghai.aliyuncs.com/rec/index.m3u8"),
            Ok(want)
        );
        assert_eq!(
            b.source("https://cdn.example.com/live/index.m3u8"),
            Ok(Source::Http(
                "https://cdn.example.com/live/index.m3u8".into()
            ))
        );
        assert!(matches!(
            b.source("https://169.254.169.254/latest/meta-data"),
            Err(SourceError::OriginNotAllowed(_))
        ));
        assert!(matches!(
            b.source("s3://other/x.m3u8"),
            Err(SourceError::UnknownBucket { .. })
        ));
        assert_eq!(
            b.source("/srv/rec/index.m3u8"),
            Ok(Source::File("/srv/rec/index.m3u8".into()))
        );
    }

    #[test]
    fn unlisted_buckets_are_local_folders_or_refused() {
        let local = configured(Unlisted::Local);
        match local.backend("elsewhere").unwrap() {
            Backend::Local { dir } => assert_eq!(dir, PathBuf::from("/data/buckets/elsewhere")),
            other => panic!("{other:?}"),
        }
        let strict = configured(Unlisted::Refuse);
        assert!(matches!(
            strict.backend("elsewhere"),
            Err(StorageError::UnknownBucket(_))
        ));
        assert!(matches!(
            strict.backend("highlights"),
            Ok(Backend::S3 { .. })
        ));
        // Keys of an S3 bucket with a prefix live under it, and map back.
        let b = strict.backend("highlights").unwrap();
        let p = b.object_path("out/a.mp4").unwrap();
        assert_eq!(p.as_ref(), "pre/out/a.mp4");
        assert_eq!(b.key_of(&p).as_deref(), Some("out/a.mp4"));
    }

    #[tokio::test]
    async fn publish_creates_the_bucket_and_writes_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let buckets = Buckets::local(dir.path().join("buckets"));
        let src = dir.path().join("src.bin");
        let data: Vec<u8> = (0..(20 << 20)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&src, &data).unwrap();
        let loc = ObjectLocation {
            bucket: "bkt".into(),
            key: "out/dir/x.mp4".into(),
        };
        assert_eq!(buckets.size(&loc).await.unwrap(), None);
        let n = buckets
            .publish_file(&loc, &src, &publish::NoJournal)
            .await
            .unwrap();
        assert_eq!(n, data.len() as u64);
        let on_disk = std::fs::read(dir.path().join("buckets/bkt/out/dir/x.mp4")).unwrap();
        assert!(on_disk == data, "published bytes differ");
        assert_eq!(buckets.size(&loc).await.unwrap(), Some(n));
        // Nothing but the object remains in its folder (no staging leftovers).
        let names: Vec<_> = std::fs::read_dir(dir.path().join("buckets/bkt/out/dir"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("x.mp4")]);
        assert_eq!(
            buckets.list_keys("bkt", "").await.unwrap(),
            vec!["out/dir/x.mp4".to_string()]
        );
    }
}
