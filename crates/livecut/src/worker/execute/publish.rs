//! Step 3: the cover and the output go to their buckets. Each object becomes visible only when
//! whole (`Buckets::publish_file`); an HLS playlist only after every segment it names.

use livecut_media::HlsOutput;

use super::Failure;
use super::cut::Cut;
use crate::code::ErrorCode;
use crate::job::location::ObjectLocation;
use crate::job::request::JobRequest;
use crate::storage::StorageError;
use crate::worker::WorkerContext;

pub(super) struct Published {
    /// Bytes of the output (the MP4, or the playlist and its segments).
    pub file_size: u64,
    /// Empty when the job has no cover.
    pub cover_url: String,
}

pub(super) async fn publish(
    ctx: &WorkerContext,
    request: &JobRequest,
    cut: &Cut,
) -> Result<Published, Failure> {
    let failed = |e: StorageError| {
        Failure::new(
            ErrorCode::InternalError,
            format!("Publishing the output failed: {e}"),
        )
    };
    let cover_url = match &cut.cover {
        Some(c) => {
            ctx.buckets
                .publish_file(&c.location, &c.request.output)
                .await
                .map_err(failed)?;
            c.url.clone()
        }
        None => String::new(),
    };
    let file_size = match &cut.hls {
        None => ctx
            .buckets
            .publish_file(&request.output, &cut.output)
            .await
            .map_err(failed)?,
        Some(h) => publish_hls(ctx, &request.output, h).await.map_err(failed)?,
    };
    Ok(Published {
        file_size,
        cover_url,
    })
}

/// Publishes the segments beside the playlist's key, then the playlist: whoever can read the
/// playlist can read every segment it names. Returns the bytes published.
async fn publish_hls(
    ctx: &WorkerContext,
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
        total += ctx.buckets.publish_file(&location, segment).await?;
    }
    total += ctx.buckets.publish_file(playlist, &hls.playlist).await?;
    Ok(total)
}
