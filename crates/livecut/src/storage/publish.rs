//! Uploads of outputs. An object becomes visible at its key only when whole: a small file is one
//! PUT; a larger one is a multipart upload (parts of `PART_BYTES`, a few in flight) that the
//! storage assembles on completion, and that is aborted if anything fails.
//!
//! A process killed mid-upload cannot abort. So every multipart upload is written to a journal
//! (the job's row in the database, `db::uploads`) before its first part, and taken off when it
//! completes or is aborted; whoever runs the job next aborts what the journal still lists
//! (`Buckets::abort_upload`), so no parts are left behind.

use std::future::Future;
use std::path::Path;

use futures::StreamExt;
use object_store::multipart::{MultipartStore, PartId};
use object_store::{ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::AsyncReadExt;

use super::{Backend, Buckets, StorageError};
use crate::job::location::ObjectLocation;

/// Part size of uploads: above S3's 5 MiB minimum, small enough to bound memory
/// (`PARTS_IN_FLIGHT` parts are held at once).
const PART_BYTES: usize = 8 << 20;
const PARTS_IN_FLIGHT: usize = 4;

/// The upload id a folder bucket's uploads are journaled under: object_store stages them as
/// `<key>#<n>` beside the object and renames on completion.
const LOCAL_UPLOAD: &str = "local";

/// One upload in flight, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
}

/// Where uploads in flight are written down, so that a later attempt can abort them.
pub trait UploadJournal: Sync {
    fn started(&self, upload: &UploadRecord) -> impl Future<Output = Result<(), String>> + Send;
    /// The upload completed (`completed`: the object is whole) or was aborted.
    fn ended(
        &self,
        upload: &UploadRecord,
        completed: bool,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

/// For uploads no later attempt will clean up (tests, `livecut cut`).
pub struct NoJournal;

impl UploadJournal for NoJournal {
    async fn started(&self, _: &UploadRecord) -> Result<(), String> {
        Ok(())
    }
    async fn ended(&self, _: &UploadRecord, _: bool) -> Result<(), String> {
        Ok(())
    }
}

impl Buckets {
    /// Uploads a local file as `loc`, atomically; returns its size in bytes.
    pub async fn publish_file(
        &self,
        loc: &ObjectLocation,
        local: &Path,
        journal: &impl UploadJournal,
    ) -> Result<u64, StorageError> {
        let backend = self.backend(&loc.bucket)?;
        let read_err = |source| StorageError::ReadLocal {
            path: local.display().to_string(),
            source,
        };
        let size = tokio::fs::metadata(local).await.map_err(read_err)?.len();
        let written = match &backend {
            Backend::Local { .. } => publish_local(&backend, loc, local, journal).await?,
            Backend::S3 { multipart, .. } if size > PART_BYTES as u64 => {
                publish_multipart(&backend, multipart.as_ref(), loc, local, journal).await?
            }
            Backend::S3 { .. } => {
                let data = tokio::fs::read(local).await.map_err(read_err)?;
                let n = data.len() as u64;
                // One PUT is atomic; the journal still records the object, so it has an owner.
                let record = UploadRecord {
                    bucket: loc.bucket.clone(),
                    key: loc.key.clone(),
                    upload_id: String::new(),
                };
                journal
                    .started(&record)
                    .await
                    .map_err(|e| journal_err(loc, e))?;
                backend
                    .store()?
                    .put(&backend.object_path(&loc.key)?, PutPayload::from(data))
                    .await
                    .map_err(|e| StorageError::store(loc.canonical_url(), e))?;
                journal
                    .ended(&record, true)
                    .await
                    .map_err(|e| journal_err(loc, e))?;
                n
            }
        };
        Ok(written)
    }

    /// Aborts an upload a journal still lists (its attempt died); one that is already gone is
    /// fine. A record without upload id (a single PUT) has nothing to abort.
    pub async fn abort_upload(&self, upload: &UploadRecord) -> Result<(), StorageError> {
        let backend = self.backend(&upload.bucket)?;
        if upload.upload_id.is_empty() {
            return Ok(());
        }
        match &backend {
            Backend::Local { dir } => {
                // object_store stages `<key>#<n>`; remove every staging file of this key.
                let target = dir.join(&upload.key);
                let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
                    return Ok(());
                };
                let staged = format!("{}#", name.to_string_lossy());
                if let Ok(entries) = std::fs::read_dir(parent) {
                    for e in entries.flatten() {
                        if e.file_name().to_string_lossy().starts_with(&staged) {
                            let _ = std::fs::remove_file(e.path());
                        }
                    }
                }
                Ok(())
            }
            Backend::S3 { multipart, .. } => {
                let path = backend.object_path(&upload.key)?;
                match multipart
                    .abort_multipart(&path, &upload.upload_id.clone())
                    .await
                {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(StorageError::store(
                        format!("oss://{}/{}", upload.bucket, upload.key),
                        e,
                    )),
                }
            }
        }
    }
}

fn journal_err(loc: &ObjectLocation, e: String) -> StorageError {
    StorageError::WriteLocal {
        path: format!("the upload journal of {}", loc.canonical_url()),
        source: std::io::Error::other(e),
    }
}

/// A folder bucket: object_store stages the file beside the object and renames it into place.
async fn publish_local(
    backend: &Backend,
    loc: &ObjectLocation,
    local: &Path,
    journal: &impl UploadJournal,
) -> Result<u64, StorageError> {
    let store = backend.store()?;
    let path = backend.object_path(&loc.key)?;
    let read_err = |source| StorageError::ReadLocal {
        path: local.display().to_string(),
        source,
    };
    let store_err = |e| StorageError::store(loc.canonical_url(), e);
    let record = UploadRecord {
        bucket: loc.bucket.clone(),
        key: loc.key.clone(),
        upload_id: LOCAL_UPLOAD.to_string(),
    };
    journal
        .started(&record)
        .await
        .map_err(|e| journal_err(loc, e))?;
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
    journal
        .ended(&record, true)
        .await
        .map_err(|e| journal_err(loc, e))?;
    Ok(total)
}

/// An S3 multipart upload, journaled before its first part and aborted on any failure.
async fn publish_multipart(
    backend: &Backend,
    multipart: &dyn MultipartStore,
    loc: &ObjectLocation,
    local: &Path,
    journal: &impl UploadJournal,
) -> Result<u64, StorageError> {
    let path = backend.object_path(&loc.key)?;
    let store_err = |e| StorageError::store(loc.canonical_url(), e);
    let id = multipart.create_multipart(&path).await.map_err(store_err)?;
    let record = UploadRecord {
        bucket: loc.bucket.clone(),
        key: loc.key.clone(),
        upload_id: id.clone(),
    };
    if let Err(e) = journal.started(&record).await {
        let _ = multipart.abort_multipart(&path, &id).await;
        return Err(journal_err(loc, e));
    }
    let result = upload_parts(multipart, &path, &id, local, loc).await;
    match result {
        Ok((parts, total)) => {
            if let Err(e) = multipart.complete_multipart(&path, &id, parts).await {
                if multipart.abort_multipart(&path, &id).await.is_ok() {
                    let _ = journal.ended(&record, false).await;
                }
                return Err(store_err(e));
            }
            journal
                .ended(&record, true)
                .await
                .map_err(|e| journal_err(loc, e))?;
            Ok(total)
        }
        Err(e) => {
            // If the abort fails too, the journal keeps the upload for the next attempt.
            if multipart.abort_multipart(&path, &id).await.is_ok() {
                let _ = journal.ended(&record, false).await;
            }
            Err(e)
        }
    }
}

/// Reads the file part by part and uploads up to `PARTS_IN_FLIGHT` parts at once.
async fn upload_parts(
    multipart: &dyn MultipartStore,
    path: &object_store::path::Path,
    id: &str,
    local: &Path,
    loc: &ObjectLocation,
) -> Result<(Vec<PartId>, u64), StorageError> {
    let id = id.to_string();
    let mut file =
        tokio::fs::File::open(local)
            .await
            .map_err(|source| StorageError::ReadLocal {
                path: local.display().to_string(),
                source,
            })?;
    let mut total = 0u64;
    let mut index = 0usize;
    let mut parts: Vec<Option<PartId>> = Vec::new();
    let mut in_flight = futures::stream::FuturesUnordered::new();
    loop {
        let mut chunk = vec![0u8; PART_BYTES];
        let mut filled = 0;
        while filled < PART_BYTES {
            let n = file.read(&mut chunk[filled..]).await.map_err(|source| {
                StorageError::ReadLocal {
                    path: local.display().to_string(),
                    source,
                }
            })?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        chunk.truncate(filled);
        total += filled as u64;
        parts.push(None);
        let part = index;
        let id = id.clone();
        in_flight.push(async move {
            let r = multipart
                .put_part(path, &id, part, PutPayload::from(chunk))
                .await;
            (part, r)
        });
        index += 1;
        while in_flight.len() >= PARTS_IN_FLIGHT {
            settle(&mut in_flight, &mut parts, loc).await?;
        }
        if filled < PART_BYTES {
            break;
        }
    }
    while !in_flight.is_empty() {
        settle(&mut in_flight, &mut parts, loc).await?;
    }
    let parts = parts.into_iter().flatten().collect();
    Ok((parts, total))
}

async fn settle<F>(
    in_flight: &mut futures::stream::FuturesUnordered<F>,
    parts: &mut [Option<PartId>],
    loc: &ObjectLocation,
) -> Result<(), StorageError>
where
    F: Future<Output = (usize, object_store::Result<PartId>)>,
{
    if let Some((part, r)) = in_flight.next().await {
        let id = r.map_err(|e| StorageError::store(loc.canonical_url(), e))?;
        parts[part] = Some(id);
    }
    Ok(())
}
