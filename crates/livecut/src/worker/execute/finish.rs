//! Step 4: the job's end is recorded, with its media asset and its completion event (the
//! callback outbox), in one transaction fenced by the lease (`db::queue::finish`); then the
//! job's metrics, and the outbox is woken to deliver the event.

use std::time::Instant;

use super::{Failure, Outcome, Produced};
use crate::clock::now_ms;
use crate::code::ErrorCode;
use crate::db::jobs::{JobRow, status};
use crate::db::media::Ready;
use crate::db::queue::{self, Outcome as End};
use crate::job::request::JobRequest;
use crate::worker::WorkerContext;

/// `request` is None when the stored request could not be decoded (its mode is then unknown).
pub(super) async fn finish(
    ctx: &WorkerContext,
    owner: &str,
    job: &JobRow,
    request: Option<JobRequest>,
    outcome: Outcome,
    started: Instant,
) {
    let failure = match outcome {
        // Another worker owns the job now (or the job went back to the queue): whatever
        // happens next is the job's end.
        Outcome::LeaseLost | Outcome::Deferred(_) => return,
        Outcome::Finished(produced) => match finish_success(ctx, owner, job, &produced).await {
            Ok(finished) => {
                let media_seconds = Some(produced.media_seconds);
                report(job, finished, request, None, (started, media_seconds));
                return;
            }
            // Nothing was written: the output is published but not registered, so the job
            // fails (as a failed registration always has) rather than pointing at an asset that
            // does not say Normal.
            Err(e) => Failure::new(
                ErrorCode::InternalError,
                format!("Registering the media asset failed: {e}"),
            ),
        },
        Outcome::Failed(f) => f,
    };
    tracing::warn!(job_id = %job.job_id, code = %failure.code, "job failed: {}", failure.message);
    let end = End::Failed {
        code: failure.code,
        message: &failure.message,
        report: "",
    };
    match queue::finish(&ctx.db, &job.job_id, owner, end, now_ms()).await {
        Ok(finished) => {
            if finished {
                super::publish::remove_objects(ctx, &job.job_id).await;
            }
            report(job, finished, request, Some(failure), (started, None));
        }
        Err(e) => {
            tracing::error!(job_id = %job.job_id, error = %e, "recording the job's end failed");
        }
    }
}

async fn finish_success(
    ctx: &WorkerContext,
    owner: &str,
    job: &JobRow,
    produced: &Produced,
) -> Result<bool, crate::db::DbError> {
    let report = serde_json::to_string(&produced.report).unwrap_or_default();
    let end = End::Success {
        report: &report,
        media: Ready {
            probe_json: &produced.probe_json,
            file_size: produced.file_size as i64,
            cover_url: &produced.cover_url,
        },
    };
    queue::finish(&ctx.db, &job.job_id, owner, end, now_ms()).await
}

/// Logs the end; a job this worker really finished is counted (with the time since `started` and
/// the media seconds of a success) and gets its callback.
fn report(
    job: &JobRow,
    finished: bool,
    request: Option<JobRequest>,
    failure: Option<Failure>,
    (started, media_seconds): (Instant, Option<f64>),
) {
    if !finished {
        tracing::warn!(job_id = %job.job_id, "lease lost before the job could be finished");
        return;
    }
    tracing::info!(job_id = %job.job_id, "job finished");
    let mode = request.as_ref().map_or("unknown", |r| r.mode.as_str());
    let status = if failure.is_some() {
        status::FAILED
    } else {
        status::SUCCESS
    };
    crate::metrics::job_finished(mode, status, started.elapsed().as_secs_f64(), media_seconds);
    // The completion event was written with the job's end; this process's outbox sends it now.
    crate::callback::wake();
}
