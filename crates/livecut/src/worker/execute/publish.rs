//! Step 3: the cover and the output go to their buckets. Each object becomes visible only when
//! whole (`Buckets::publish_file`); an HLS playlist only after every segment it names. Every
//! object is recorded as the job's (`db::job_objects`) before its upload starts, so a killed
//! attempt's unfinished uploads are aborted by the next attempt (`clean_leftovers`) and a job
//! that fails leaves no objects behind (`remove_objects`).

use std::path::Path;
use std::time::{Duration, Instant};

use livecut_media::HlsOutput;

use super::Failure;
use super::cut::Cut;
use crate::clock::now_ms;
use crate::code::ErrorCode;
use crate::db::Db;
use crate::db::job_objects::{self, JobObject};
use crate::job::location::ObjectLocation;
use crate::job::request::JobRequest;
use crate::storage::{StorageError, UploadJournal, UploadRecord};
use crate::worker::WorkerContext;

pub(super) struct Published {
    /// Bytes of the output (the MP4, or the playlist and its segments).
    pub file_size: u64,
    /// Empty when the job has no cover.
    pub cover_url: String,
}

/// An upload the storage failed to take is tried again for this long (each try has
/// object_store's own retries); a storage down for longer fails the job with
/// `StorageUnavailable`.
const PUBLISH_BUDGET: Duration = Duration::from_secs(150);

/// The job's rows in `job_objects` as the journal of its uploads.
struct JobJournal<'a> {
    db: &'a Db,
    job_id: &'a str,
}

fn object(u: &UploadRecord) -> JobObject {
    JobObject {
        bucket: u.bucket.clone(),
        key: u.key.clone(),
        upload_id: u.upload_id.clone(),
    }
}

impl UploadJournal for JobJournal<'_> {
    async fn started(&self, upload: &UploadRecord) -> Result<(), String> {
        job_objects::started(self.db, self.job_id, &object(upload), now_ms())
            .await
            .map_err(|e| e.to_string())
    }

    async fn ended(&self, upload: &UploadRecord, completed: bool) -> Result<(), String> {
        job_objects::ended(self.db, self.job_id, &object(upload), completed)
            .await
            .map_err(|e| e.to_string())
    }
}

pub(super) async fn publish(
    ctx: &WorkerContext,
    job_id: &str,
    request: &JobRequest,
    cut: &Cut,
) -> Result<Published, Failure> {
    let failed = |e: StorageError| {
        Failure::new(
            ErrorCode::StorageUnavailable,
            format!("Publishing the output failed: {e}"),
        )
    };
    let journal = JobJournal {
        db: &ctx.db,
        job_id,
    };
    let cover_url = match &cut.cover {
        Some(c) => {
            let n = publish_one(ctx, &journal, &c.location, &c.request.output)
                .await
                .map_err(failed)?;
            crate::metrics::storage_bytes_written(&c.location.bucket, n);
            c.url.clone()
        }
        None => String::new(),
    };
    let file_size = match &cut.hls {
        None => publish_one(ctx, &journal, &request.output, &cut.output)
            .await
            .map_err(failed)?,
        Some(h) => publish_hls(ctx, &journal, &request.output, h)
            .await
            .map_err(failed)?,
    };
    crate::metrics::storage_bytes_written(&request.output.bucket, file_size);
    // Uploads a failed try could not abort (the storage was down) are aborted now that it
    // answers again.
    clean_leftovers(ctx, job_id).await;
    Ok(Published {
        file_size,
        cover_url,
    })
}

/// Publishes the segments beside the playlist's key, then the playlist: whoever can read the
/// playlist can read every segment it names. Returns the bytes published.
async fn publish_hls(
    ctx: &WorkerContext,
    journal: &JobJournal<'_>,
    playlist: &ObjectLocation,
    hls: &HlsOutput,
) -> Result<u64, StorageError> {
    let folder = playlist.key.rsplit_once('/').map(|(d, _)| d);
    let mut total = 0;
    for segment in &hls.segments {
        let name = segment
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let location = ObjectLocation {
            bucket: playlist.bucket.clone(),
            key: folder.map_or(name.clone(), |d| format!("{d}/{name}")),
        };
        total += publish_one(ctx, journal, &location, segment).await?;
    }
    total += publish_one(ctx, journal, playlist, &hls.playlist).await?;
    Ok(total)
}

/// One object, tried again with backoff while the storage fails to answer. Before each new try
/// the job's uploads still in flight (the failed try's) are aborted.
async fn publish_one(
    ctx: &WorkerContext,
    journal: &JobJournal<'_>,
    location: &ObjectLocation,
    local: &Path,
) -> Result<u64, StorageError> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(500);
    loop {
        match ctx.buckets.publish_file(location, local, journal).await {
            Ok(n) => return Ok(n),
            Err(e) if e.is_transient() && started.elapsed() < PUBLISH_BUDGET => {
                tracing::warn!(job_id = journal.job_id, object = %location.canonical_url(), error = %e, "upload failed; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(8));
                clean_leftovers(ctx, journal.job_id).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Before an attempt starts: aborts the uploads an earlier attempt of the job left in flight
/// (it was killed before it could). Objects it completed stay: this attempt writes the same keys.
pub(super) async fn clean_leftovers(ctx: &WorkerContext, job_id: &str) {
    let Ok(objects) = job_objects::of_job(&ctx.db, job_id).await else {
        return;
    };
    for o in objects.into_iter().filter(|o| !o.upload_id.is_empty()) {
        let record = UploadRecord {
            bucket: o.bucket.clone(),
            key: o.key.clone(),
            upload_id: o.upload_id.clone(),
        };
        match ctx.buckets.abort_upload(&record).await {
            Ok(()) => {
                tracing::info!(job_id, object = %format!("oss://{}/{}", o.bucket, o.key), "aborted an upload an earlier attempt left");
                let _ = job_objects::forget(&ctx.db, job_id, &o).await;
            }
            Err(e) => {
                tracing::warn!(job_id, error = %e, "cannot abort an earlier attempt's upload");
            }
        }
    }
}

/// After a job failed for good: its objects (whole or in flight) are removed, so nothing is
/// left in a bucket that no successful job owns.
pub(super) async fn remove_objects(ctx: &WorkerContext, job_id: &str) {
    let Ok(objects) = job_objects::of_job(&ctx.db, job_id).await else {
        return;
    };
    for o in objects {
        let record = UploadRecord {
            bucket: o.bucket.clone(),
            key: o.key.clone(),
            upload_id: o.upload_id.clone(),
        };
        let removed = if o.upload_id.is_empty() {
            ctx.buckets
                .delete(&ObjectLocation {
                    bucket: o.bucket.clone(),
                    key: o.key.clone(),
                })
                .await
        } else {
            ctx.buckets.abort_upload(&record).await
        };
        match removed {
            Ok(()) => {
                let _ = job_objects::forget(&ctx.db, job_id, &o).await;
            }
            Err(e) => tracing::warn!(job_id, error = %e, "cannot remove an object of a failed job"),
        }
    }
}
