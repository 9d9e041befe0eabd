//! Step 1: which segments (and gaps) each clip covers, waiting for the recorder when a clip
//! reaches past the live edge of a recording still being written.

use super::{Failure, Stop};
use crate::clock::now_ms;
use crate::job::request::{ClipSpec, JobRequest};
use crate::recordings::{Catalog, ClipPlan, PlanError, plan_clip};
use crate::worker::WorkerContext;
use crate::worker::lease::LeaseKeeper;

/// A clip ending further than this in the future sends its job back to the queue until then.
const DEFER_BEYOND_MS: i64 = 3_000;

/// How often the playlists of a live recording are re-read while waiting for its recorder.
const LIVE_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// The plans of all clips, in order.
pub(super) async fn plan_clips(
    ctx: &WorkerContext,
    lease: &LeaseKeeper,
    request: &JobRequest,
) -> Result<Vec<ClipPlan>, Stop> {
    let mut plans = Vec::with_capacity(request.clips.len());
    for (i, clip) in request.clips.iter().enumerate() {
        plans.push(plan_live(ctx, lease, i, clip).await?);
    }
    Ok(plans)
}

/// Plans a clip; when it reaches past the edge of a recording that is still being written, waits
/// for the recorder (re-reading the playlists) until the edge passes the clip's end or the
/// live-wait time after the clip's end runs out.
async fn plan_live(
    ctx: &WorkerContext,
    lease: &LeaseKeeper,
    index: usize,
    clip: &ClipSpec,
) -> Result<ClipPlan, Stop> {
    let give_up_ms = clip.end_us / 1000 + ctx.settings.live_wait_seconds as i64 * 1000;
    loop {
        let catalog = Catalog {
            db: &ctx.db,
            buckets: &ctx.buckets,
            recordings_dir: &ctx.recordings_dir,
            streams: &ctx.streams,
        };
        match plan_clip(catalog, index, clip).await {
            Ok(plan) if !plan.waits_for_live_edge() || now_ms() >= give_up_ms => return Ok(plan),
            Ok(_) => {}
            Err(PlanError::NoContent { growing: true, .. }) if now_ms() < give_up_ms => {}
            Err(e) => return Err(Failure::new(e.code(), e.to_string()).into()),
        }
        // A clip that ends seconds from now is waited for here (the freshest clips); one that
        // ends later goes back to the queue rather than hold a worker.
        let end_ms = clip.end_us / 1000;
        if end_ms - now_ms() > DEFER_BEYOND_MS {
            return Err(Stop::Defer {
                run_at: end_ms,
                counts: false,
            });
        }
        tracing::debug!(
            clip = index,
            "waiting for the recorder to reach the clip's end"
        );
        tokio::time::sleep(LIVE_POLL).await;
        if lease.is_lost() {
            return Err(Stop::LeaseLost);
        }
    }
}
