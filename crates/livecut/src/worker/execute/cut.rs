//! Step 2: the cut, in a `media-job` child process (libav never runs in the server). The plan
//! becomes a spec in the attempt's scratch folder; the child cuts, probes, renders the cover and
//! remuxes to HLS when asked, and answers with its outcome.

use std::path::{Path, PathBuf};

use livecut_media::{ClipInput, CoverRequest, CutJob, CutReport, HlsOutput, MediaProbe};

use super::{Failure, Stop};
use crate::code::ErrorCode;
use crate::job::location::{ObjectLocation, parse_url};
use crate::job::request::JobRequest;
use crate::storage::{Remote, Source, localize};
use crate::worker::WorkerContext;
use crate::worker::child::{ChildError, run_media_child};
use crate::worker::lease::LeaseKeeper;
use crate::worker::media_job::{ChildOutcome, ChildStorage, HlsRequest, MediaJobSpec};

/// What the child made, still in the scratch folder.
pub(super) struct Cut {
    pub report: CutReport,
    pub probe: MediaProbe,
    /// The MP4 (also when it was remuxed to HLS).
    pub output: PathBuf,
    pub hls: Option<HlsOutput>,
    pub cover: Option<CoverPlan>,
}

/// The cover of a job: what the child renders, and where it is published.
pub(super) struct CoverPlan {
    pub request: CoverRequest,
    pub location: ObjectLocation,
    pub url: String,
}

pub(super) async fn cut(
    ctx: &WorkerContext,
    lease: &mut LeaseKeeper,
    request: &JobRequest,
    mut clips: Vec<ClipInput>,
    remote: &[Vec<Remote>],
    work_dir: &Path,
    attempt: i64,
) -> Result<Cut, Stop> {
    tokio::fs::create_dir_all(work_dir).await.map_err(|e| {
        Failure::new(
            ErrorCode::InternalError,
            format!(
                "Cannot create the scratch folder {}: {e}",
                work_dir.display()
            ),
        )
    })?;
    let output = work_dir.join("output.mp4");
    let fetch = localize(&mut clips, remote, &work_dir.join("segments"));
    let fetched: Vec<(String, PathBuf)> = fetch
        .iter()
        .map(|f| (metrics_bucket(&f.source), f.path.clone()))
        .collect();
    let cover = cover_plan(request, &clips, work_dir);
    let spec = MediaJobSpec {
        storage: (!fetch.is_empty()).then(|| ChildStorage {
            config: ctx.config_path.clone(),
            buckets_dir: ctx.buckets.local_root().to_path_buf(),
        }),
        fetch,
        cover: cover.as_ref().map(|c| c.request.clone()),
        hls: hls_request(request, work_dir),
        progress: Some(work_dir.join("progress.json")),
        cut: CutJob {
            mode: request.mode.cut_mode(),
            clips,
            output: output.clone(),
            output_width: request.width,
            output_height: request.height,
            video_bitrate_kbps: request.bitrate_kbps,
        },
    };
    match run_media_child(ctx, lease, work_dir, &spec).await {
        Ok(ChildOutcome::Done {
            report,
            probe,
            hls,
            bytes_read,
            ..
        }) => {
            // Every download was of a whole object, so its copy's size is what was read.
            for (bucket, path) in &fetched {
                if let Ok(meta) = tokio::fs::metadata(path).await {
                    crate::metrics::storage_bytes_read(bucket, meta.len());
                }
            }
            tracing::info!(bytes_read, segments = fetched.len(), "cut done");
            Ok(Cut {
                report,
                probe,
                output,
                hls,
                cover,
            })
        }
        Ok(ChildOutcome::Failed { code, message }) => Err(Failure { code, message }.into()),
        Err(ChildError::LeaseLost) => Err(Stop::LeaseLost),
        // A process ended by a signal (the OOM killer, a crash that may not recur) gets one
        // more attempt, from the queue; the second time the job fails, saying so.
        Err(ChildError::Crashed {
            signal: Some(signal),
            ..
        }) if attempt <= 1 => {
            tracing::warn!(
                signal,
                "the media process was ended by a signal; the job is retried once"
            );
            Err(Stop::Defer {
                run_at: crate::clock::now_ms(),
                counts: true,
            })
        }
        Err(
            e @ ChildError::Crashed {
                signal: Some(_), ..
            },
        ) => Err(Failure::new(
            e.code(),
            format!("{e} It had already been retried once after the same end."),
        )
        .into()),
        Err(e) => Err(Failure::new(e.code(), e.to_string()).into()),
    }
}

/// The bucket label of a download in the metrics (`http` for an origin).
fn metrics_bucket(source: &Source) -> String {
    match source {
        Source::Object(o) => o.bucket.clone(),
        Source::Http(_) => "http".to_string(),
        Source::File(_) => "local".to_string(),
    }
}

/// Segments of an HLS output last about this long (cut at the next keyframe).
const HLS_SEGMENT_SECONDS: u32 = 6;

/// An output named `….m3u8` is an HLS VOD output: the child remuxes the cut into segments named
/// after the playlist (`out/a.m3u8` → `out/a_00000.ts`, …).
fn hls_request(request: &JobRequest, work_dir: &Path) -> Option<HlsRequest> {
    let name = request.output.key.rsplit('/').next()?;
    let stem = name.strip_suffix(".m3u8")?;
    Some(HlsRequest {
        dir: work_dir.join("hls"),
        playlist_name: name.to_string(),
        segment_prefix: format!("{stem}_"),
        target_seconds: HLS_SEGMENT_SECONDS,
    })
}

/// The first clip with a CoverTime gives the cover. It goes to that clip's CoverUrl, or beside
/// the output with the output's name and `.jpg` (`out/a.mp4` → `out/a.jpg`).
fn cover_plan(request: &JobRequest, clips: &[ClipInput], work_dir: &Path) -> Option<CoverPlan> {
    let (index, spec) = request
        .clips
        .iter()
        .enumerate()
        .find(|(_, c)| c.cover_time_us.is_some())?;
    let (location, url) = match &spec.cover_url {
        // Validated at submit, so it parses.
        Some(url) => (parse_url(url).ok()?, url.clone()),
        None => {
            let stem = |s: &str| {
                let s = s.strip_suffix(".mp4").unwrap_or(s);
                s.strip_suffix(".m3u8").unwrap_or(s).to_string()
            };
            let location = ObjectLocation {
                bucket: request.output.bucket.clone(),
                key: format!("{}.jpg", stem(&request.output.key)),
            };
            (location, format!("{}.jpg", stem(&request.media_url)))
        }
    };
    Some(CoverPlan {
        request: CoverRequest {
            clip_index: index,
            segments: clips.get(index)?.segments.clone(),
            at_utc_us: spec.cover_time_us?,
            output: work_dir.join("cover.jpg"),
            width: request.width,
            height: request.height,
        },
        location,
        url,
    })
}
