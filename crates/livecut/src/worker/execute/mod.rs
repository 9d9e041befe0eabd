//! Running one claimed job, in the order a reader follows it:
//!
//! 1. `plan_step`: plan every clip, waiting at the live edge of a recording still being written;
//! 2. `cut`: cut (and probe, render the cover, remux HLS) in a `media-job` child;
//! 3. `publish`: upload the cover and the output, each visible only when whole;
//! 4. `finish`: end the job and its media asset in one lease-fenced step, then the callback.
//!
//! The lease is renewed throughout; every step that can notice its loss stops with
//! [`Outcome::LeaseLost`], after which this worker writes nothing.

mod cut;
mod finish;
mod plan_step;
mod publish;

use std::path::Path;

use super::WorkerContext;
use super::lease::LeaseKeeper;
use crate::code::ErrorCode;
use crate::db::jobs::JobRow;
use crate::job::report::{ClipResult, JobReport};
use crate::job::request::{DamagedPolicy, JobRequest};

/// A job failure: the IMS Code and a Message that says what failed and where.
#[derive(Debug, Clone)]
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

/// What producing the output left for `finish` to record.
struct Produced {
    report: JobReport,
    /// JSON of the output's `MediaProbe`.
    probe_json: String,
    /// Bytes published (the MP4, or the HLS playlist and its segments).
    file_size: u64,
    /// Empty when the job has no cover.
    cover_url: String,
    /// The output's duration (its probe), for the media-seconds metric.
    media_seconds: f64,
}

/// How an attempt at a job ended, for this worker.
enum Outcome {
    /// The output is published; the job succeeds and its asset becomes `Normal`.
    Finished(Produced),
    /// The job fails with this code and message; its asset becomes `ProduceFailed`.
    Failed(Failure),
    /// Another worker owns the job now; this one must leave it alone.
    LeaseLost,
    /// The job waits in the queue until `run_at` (ms), holding no worker.
    Deferred { run_at: i64, counts: bool },
}

/// Why a step did not hand on to the next; `?` in the steps turns it into the `Outcome`.
enum Stop {
    Failed(Failure),
    LeaseLost,
    /// Back to the queue until `run_at` (ms): a clip ends in the future (the attempt does not
    /// count), or the media process was killed and the job is tried again (it counts).
    Defer {
        run_at: i64,
        counts: bool,
    },
}

impl From<Failure> for Stop {
    fn from(f: Failure) -> Stop {
        Stop::Failed(f)
    }
}

impl From<Result<Produced, Stop>> for Outcome {
    fn from(r: Result<Produced, Stop>) -> Outcome {
        match r {
            Ok(p) => Outcome::Finished(p),
            Err(Stop::Failed(f)) => Outcome::Failed(f),
            Err(Stop::LeaseLost) => Outcome::LeaseLost,
            Err(Stop::Defer { run_at, counts }) => Outcome::Deferred { run_at, counts },
        }
    }
}

pub async fn run(ctx: &WorkerContext, owner: &str, job: JobRow) {
    let started = std::time::Instant::now();
    let work_dir = ctx
        .scratch_dir
        .join(format!("{}-{}", job.job_id, job.attempts));
    let mut lease = LeaseKeeper::start(
        ctx.db.clone(),
        job.job_id.clone(),
        owner.to_string(),
        ctx.settings.lease(),
        ctx.settings.heartbeat(),
        ctx.drain.clone(),
    );
    // Decoded once: the cut and the completion callback both need it.
    let request = serde_json::from_str::<JobRequest>(&job.request).map_err(|e| {
        Failure::new(
            ErrorCode::InternalError,
            format!("The stored job request cannot be decoded: {e}"),
        )
    });
    publish::clean_leftovers(ctx, &job.job_id).await;
    super::scratch::remove_earlier(&ctx.scratch_dir, &job.job_id, job.attempts).await;
    let outcome: Outcome = match &request {
        Ok(request) => produce(ctx, &mut lease, &job, request, &work_dir)
            .await
            .into(),
        Err(f) => Outcome::Failed(f.clone()),
    };
    drop(lease);
    // Scratch holds only this attempt's files; the published output lives in its bucket.
    let _ = tokio::fs::remove_dir_all(&work_dir).await;
    if let Outcome::Deferred { run_at, counts } = outcome {
        let now = crate::clock::now_ms();
        match crate::db::queue::defer(&ctx.db, &job.job_id, owner, run_at, counts, now).await {
            Ok(true) => {
                tracing::info!(job_id = %job.job_id, run_at, "the job waits in the queue");
            }
            Ok(false) => {
                tracing::warn!(job_id = %job.job_id, "lease lost before the job could be deferred");
            }
            // The lease runs out and the job is taken up again: nothing is lost.
            Err(e) => tracing::warn!(job_id = %job.job_id, error = %e, "deferring the job failed"),
        }
        return;
    }
    finish::finish(ctx, owner, &job, request.ok(), outcome, started).await;
}

/// A clip with video lost inside it, under `OnDamagedRecording: Fail`.
fn damaged(clip: &livecut_media::ClipReport) -> Failure {
    let spans: Vec<String> = clip
        .lost
        .iter()
        .map(|(a, b)| {
            format!(
                "{} to {}",
                crate::clock::format_precise_time(*a),
                crate::clock::format_precise_time(*b)
            )
        })
        .collect();
    let why = clip
        .notes
        .iter()
        .rev()
        .find(|n| n.contains("video missing") || n.contains("video damaged"))
        .cloned()
        .unwrap_or_default();
    Failure::new(
        ErrorCode::ResourceContentBad,
        format!(
            "Clip {}: the recording is damaged, no video could be read from {} ({why}); \
             MediaProduceConfig.OnDamagedRecording is Fail, so nothing was published.",
            clip.index,
            spans.join(", ")
        ),
    )
}

/// Steps 1–3: from the request to a published output.
async fn produce(
    ctx: &WorkerContext,
    lease: &mut LeaseKeeper,
    job: &JobRow,
    request: &JobRequest,
    work_dir: &Path,
) -> Result<Produced, Stop> {
    let job_id = job.job_id.as_str();
    lease.report(&crate::worker::progress::planning());
    let plans = plan_step::plan_clips(ctx, lease, request).await?;
    let mut inputs = Vec::with_capacity(plans.len());
    let mut remote = Vec::with_capacity(plans.len());
    let mut missing = Vec::with_capacity(plans.len());
    for p in plans {
        inputs.push(p.input);
        remote.push(p.remote);
        missing.push(p.missing);
    }
    let cut = cut::cut(ctx, lease, request, inputs, &remote, work_dir, job.attempts).await?;
    if request.on_damaged == DamagedPolicy::Fail
        && let Some(clip) = cut.report.clips.iter().find(|c| !c.lost.is_empty())
    {
        return Err(damaged(clip).into());
    }
    // The child may have finished just as the lease went; publishing would overwrite the
    // output of the worker that owns the job now.
    if lease.is_lost() {
        return Err(Stop::LeaseLost);
    }
    lease.report(&crate::worker::progress::publishing());
    let published = publish::publish(ctx, job_id, request, &cut).await?;
    Ok(Produced {
        report: JobReport {
            clips: cut
                .report
                .clips
                .iter()
                .zip(missing)
                .map(|(c, missing)| ClipResult {
                    cut: c.clone(),
                    missing,
                })
                .collect(),
            duration_us: cut.report.duration_us,
        },
        probe_json: serde_json::to_string(&cut.probe).unwrap_or_default(),
        file_size: published.file_size,
        cover_url: published.cover_url,
        media_seconds: cut.probe.duration_s,
    })
}
