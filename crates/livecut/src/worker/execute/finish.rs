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
        Outcome::LeaseLost | Outcome::Deferred { .. } => return,
        Outcome::Finished(produced) => match finish_success(ctx, owner, job, &produced).await {
            // After the retries, the output is published but cannot be registered.
            Ok(finished) => {
                let media_seconds = Some(produced.media_seconds);
                report(job, finished, request, None, (started, media_seconds));
                return;
            }
            // Nothing was written: the job fails rather than point at an asset that does not
            // say Normal.
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
    let recorded = with_retries(&job.job_id, "recording the job's failure", || {
        queue::finish(&ctx.db, &job.job_id, owner, end, now_ms())
    })
    .await;
    match recorded {
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

/// Waits between attempts at a database write after the cut: a locked database or a full pool
/// passes, and the job must not fail for it (its output may already be published). The write
/// is fenced by the lease, so repeating it never applies it twice.
const RETRY_WAITS_MS: [u64; 5] = [200, 500, 1_000, 2_000, 4_000];

async fn with_retries<T, F, Fut>(
    job_id: &str,
    what: &str,
    mut write: F,
) -> Result<T, crate::db::DbError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::db::DbError>>,
{
    let mut waits = RETRY_WAITS_MS.iter();
    loop {
        match write().await {
            Ok(v) => return Ok(v),
            Err(e) => match waits.next() {
                Some(&ms) => {
                    tracing::warn!(job_id, error = %e, retry_in_ms = ms, "{what} failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                }
                None => return Err(e),
            },
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
            duration_ms: (produced.media_seconds * 1000.0).round() as i64,
        },
    };
    with_retries(&job.job_id, "registering the media asset", || {
        queue::finish(&ctx.db, &job.job_id, owner, end, now_ms())
    })
    .await
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
