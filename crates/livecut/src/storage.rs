//! Buckets of object storage. The embedded default maps bucket `B` to the folder
//! `<data-dir>/buckets/B` through object_store's LocalFileSystem; every object read and write of
//! the service goes through `object_store`, so an S3-compatible backend is a configuration change.
//!
//! Architecture invariant: an output is published whole or not at all. Uploads go through
//! object_store's multipart writer, which on the local filesystem stages into a sibling file and
//! renames it into place (and on S3 completes the multipart upload atomically), so nobody ever
//! reads a partial file at a MediaURL.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use tokio::io::AsyncReadExt;

use crate::job::location::ObjectLocation;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
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
    #[error("object storage error on {location}: {source}")]
    Store {
        location: String,
        source: object_store::Error,
    },
    #[error("object name {0:?} is not a valid object path")]
    BadKey(String),
}

/// Part size of uploads: large enough for S3's 5 MiB minimum, small enough to bound memory.
const PART_BYTES: usize = 8 << 20;

#[derive(Clone)]
pub struct Buckets {
    root: PathBuf,
}

impl Buckets {
    pub fn local(root: impl Into<PathBuf>) -> Buckets {
        Buckets { root: root.into() }
    }

    fn store(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>, StorageError> {
        // Bucket names were validated (lower-case, digits, '-'), so joining cannot leave the root.
        let dir = self.root.join(bucket);
        std::fs::create_dir_all(&dir).map_err(|source| StorageError::CreateBucket {
            path: dir.display().to_string(),
            source,
        })?;
        let fs = LocalFileSystem::new_with_prefix(&dir).map_err(|source| StorageError::Store {
            location: dir.display().to_string(),
            source,
        })?;
        Ok(Arc::new(fs))
    }

    fn object_path(loc: &ObjectLocation) -> Result<ObjectPath, StorageError> {
        ObjectPath::parse(&loc.key).map_err(|_| StorageError::BadKey(loc.key.clone()))
    }

    /// Uploads a local file as `loc`, atomically; returns its size in bytes.
    pub async fn publish_file(
        &self,
        loc: &ObjectLocation,
        local: &Path,
    ) -> Result<u64, StorageError> {
        let store = self.store(&loc.bucket)?;
        let path = Self::object_path(loc)?;
        let read_err = |source| StorageError::ReadLocal {
            path: local.display().to_string(),
            source,
        };
        let store_err = |source| StorageError::Store {
            location: loc.canonical_url(),
            source,
        };
        let mut file = tokio::fs::File::open(local).await.map_err(read_err)?;
        let upload = store.put_multipart(&path).await.map_err(store_err)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        loop {
            let n = match file.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(read_err(e));
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = writer.wait_for_capacity(2).await {
                let _ = writer.abort().await;
                return Err(store_err(e));
            }
            writer.write(&buf[..n]);
            total += n as u64;
        }
        writer.finish().await.map_err(store_err)?;
        Ok(total)
    }

    /// Size of an object, or None when it does not exist.
    pub async fn size(&self, loc: &ObjectLocation) -> Result<Option<u64>, StorageError> {
        let store = self.store(&loc.bucket)?;
        match store.head(&Self::object_path(loc)?).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(StorageError::Store {
                location: loc.canonical_url(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let n = buckets.publish_file(&loc, &src).await.unwrap();
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
    }
}
