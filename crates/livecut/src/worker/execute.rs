//! Running one claimed job: plan the clips, cut in a child process while renewing the lease,
//! publish the output atomically, register the media asset, finish the job.

use std::path::{Path, PathBuf};

use livecut_media::{ClipInput, CoverRequest, CutJob, HlsOutput};

use super::WorkerContext;
use super::child::{ChildError, run_media_child};
use super::lease::LeaseKeeper;
use super::media_job::{ChildOutcome, HlsRequest, MediaJobSpec};
use super::notify;
use crate::clock::now_ms;
use crate::code::ErrorCode;
use crate::db::jobs::JobRow;
use crate::db::media;
use crate::db::queue::{self, Outcome};
use crate::job::location::{ObjectLocation, parse_url};
use crate::job::report::{ClipResult, JobReport};
use crate::job::request::{ClipSpec, JobRequest};
use crate::recordings::{ClipPlan, PlanError, Reach, plan_clip};
use crate::storage::StorageError;

/// A job failure: the IMS Code and a Message that says what failed and where.
#[derive(Clone)]
struct Failure {
    code: ErrorCode,
    message: String,
}

impl Failure {
    fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

pub async fn run(ctx: &WorkerContext, owner: &str, job: JobRow) {
    let work_dir = ctx
        .scratch_dir
        .join(format!("{}-{}", job.job_id, job.attempts));
    let mut lease = LeaseKeeper::start(
        ctx.db.clone(),
        job.job_id.clone(),
        owner.to_string(),
        ctx.settings.lease(),
        ctx.settings.heartbeat(),
    );
    // Decoded once: the cut and the completion callback both need it.
    let request = serde_json::from_str::<JobRequest>(&job.request).map_err(|e| {
        Failure::new(
            ErrorCode::InternalError,
            format!("The stored job request cannot be decoded: {e}"),
        )
    });
    let result = match &request {
        Ok(request) => produce(ctx, &mut lease, &job, request, &work_dir).await,
        Err(f) => Err(f.clone()),
    };
    drop(lease);
    // Scratch holds only this attempt's files; the published output lives in its bucket.
    let _ = tokio::fs::remove_dir_all(&work_dir).await;
    let now = now_ms();
    let (finished, failure) = match result {
        Ok(Some(report)) => {
            let report = serde_json::to_string(&report).unwrap_or_default();
            let done = Outcome::Success { report: &report };
            (
                queue::finish(&ctx.db, &job.job_id, owner, done, now).await,
                None,
            )
        }
        Ok(None) => return, // lease lost: another worker owns the job now
        Err(f) => {
            tracing::warn!(job_id = %job.job_id, code = %f.code, "job failed: {}", f.message);
            if let Err(e) = media::mark_failed(&ctx.db, &job.media_id, now).await {
                tracing::error!(error = %e, "marking the media asset failed");
            }
            let failed = Outcome::Failed {
                code: f.code,
                message: &f.message,
                report: "",
            };
            (
                queue::finish(&ctx.db, &job.job_id, owner, failed, now).await,
                Some(f),
            )
        }
    };
    match finished {
        Ok(true) => {
            tracing::info!(job_id = %job.job_id, "job finished");
            if let Ok(request) = request {
                notify_completion(&job, request, failure);
            }
        }
        Ok(false) => {
            tracing::warn!(job_id = %job.job_id, "lease lost before the job could be finished")
        }
        Err(e) => {
            tracing::error!(job_id = %job.job_id, error = %e, "recording the job's end failed")
        }
    }
}

fn notify_completion(job: &JobRow, request: JobRequest, failure: Option<Failure>) {
    let Some(address) = request.notify_address else {
        return;
    };
    let (code, message) = match failure {
        Some(f) => (Some(f.code), f.message),
        None => (None, String::new()),
    };
    notify::spawn_delivery(notify::Completion {
        notify_address: address,
        job_id: job.job_id.clone(),
        project_id: job.project_id.clone(),
        media_id: job.media_id.clone(),
        media_url: job.media_url.clone(),
        error_code: code,
        error_message: message,
        user_data: request.user_data,
    });
}

/// Ok(None): the lease was lost and the job must be left alone.
async fn produce(
    ctx: &WorkerContext,
    lease: &mut LeaseKeeper,
    job: &JobRow,
    request: &JobRequest,
    work_dir: &Path,
) -> Result<Option<JobReport>, Failure> {
    let mode = request.mode.cut_mode();
    let mut clips = Vec::with_capacity(request.clips.len());
    let mut missing = Vec::with_capacity(request.clips.len());
    for (i, clip) in request.clips.iter().enumerate() {
        let Some(plan) = plan_live(ctx, lease, i, clip, Reach::for_mode(mode)).await? else {
            return Ok(None);
        };
        missing.push(plan.missing);
        clips.push(plan.input);
    }
    tokio::fs::create_dir_all(work_dir).await.map_err(|e| {
        Failure::new(
            ErrorCode::InternalError,
            format!(
                "Cannot create the scratch folder {}: {e}",
                work_dir.display()
            ),
        )
    })?;
    let output: PathBuf = work_dir.join("output.mp4");
    let cover = cover_plan(request, &clips, work_dir);
    let spec = MediaJobSpec {
        cover: cover.as_ref().map(|c| c.request.clone()),
        hls: hls_request(request, work_dir),
        cut: CutJob {
            mode,
            clips,
            output: output.clone(),
            output_width: request.width,
            output_height: request.height,
            video_bitrate_kbps: request.bitrate_kbps,
        },
    };
    let outcome = match run_media_child(ctx, lease, work_dir, &spec).await {
        Ok(o) => o,
        Err(ChildError::LeaseLost) => return Ok(None),
        Err(e) => return Err(Failure::new(e.code(), e.to_string())),
    };
    let (cut_report, probe, hls) = match outcome {
        ChildOutcome::Done {
            report, probe, hls, ..
        } => (report, probe, hls),
        ChildOutcome::Failed { code, message } => return Err(Failure { code, message }),
    };
    if lease.is_lost() {
        return Ok(None);
    }
    let publish_failed = |e: StorageError| {
        Failure::new(
            ErrorCode::InternalError,
            format!("Publishing the output failed: {e}"),
        )
    };
    let cover_url = match &cover {
        Some(c) => {
            ctx.buckets
                .publish_file(&c.location, &c.request.output)
                .await
                .map_err(publish_failed)?;
            c.url.clone()
        }
        None => String::new(),
    };
    let size = match &hls {
        None => ctx
            .buckets
            .publish_file(&request.output, &output)
            .await
            .map_err(publish_failed)?,
        Some(h) => publish_hls(ctx, &request.output, h)
            .await
            .map_err(publish_failed)?,
    };
    let probe_json = serde_json::to_string(&probe).unwrap_or_default();
    media::mark_ready(
        &ctx.db,
        &job.media_id,
        &probe_json,
        size as i64,
        &cover_url,
        now_ms(),
    )
    .await
    .map_err(|e| {
        Failure::new(
            ErrorCode::InternalError,
            format!("Registering the media asset failed: {e}"),
        )
    })?;
    Ok(Some(JobReport {
        clips: cut_report
            .clips
            .iter()
            .zip(missing)
            .map(|(c, missing)| ClipResult {
                cut: c.clone(),
                missing,
            })
            .collect(),
        duration_us: cut_report.duration_us,
    }))
}

/// Plans a clip; when it reaches past the edge of a recording that is still being written, waits
/// for the recorder (re-reading the playlists) until the edge passes the clip's end or the
/// live-wait time after the clip's end runs out. Ok(None): the lease was lost meanwhile.
async fn plan_live(
    ctx: &WorkerContext,
    lease: &LeaseKeeper,
    index: usize,
    clip: &ClipSpec,
    reach: Reach,
) -> Result<Option<ClipPlan>, Failure> {
    let give_up_ms = clip.end_us / 1000 + ctx.settings.live_wait_seconds as i64 * 1000;
    loop {
        let waiting = match plan_clip(&ctx.db, &ctx.recordings_dir, index, clip, reach).await {
            Ok(plan) if !plan.waits_for_live_edge() || now_ms() >= give_up_ms => {
                return Ok(Some(plan));
            }
            Ok(_) => true,
            Err(PlanError::NoContent { growing: true, .. }) if now_ms() < give_up_ms => true,
            Err(e) => return Err(Failure::new(e.code(), e.to_string())),
        };
        if waiting {
            tracing::debug!(
                clip = index,
                "waiting for the recorder to reach the clip's end"
            );
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            if lease.is_lost() {
                return Ok(None);
            }
        }
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

/// The cover of a job: what the child renders, and where it is published.
struct CoverPlan {
    request: CoverRequest,
    location: ObjectLocation,
    url: String,
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
