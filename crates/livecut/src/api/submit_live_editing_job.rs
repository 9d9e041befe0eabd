//! `SubmitLiveEditingJob`: validate, store and queue, answer at once.

use serde_json::{Value, json};

use super::error::ApiError;
use super::rpc::RpcRequest;
use super::{AppState, Caller};
use crate::clock::now_ms;
use crate::code::ErrorCode;
use crate::job::request::OutputTarget;
use crate::job::submit::{SubmitError, Submitter, submit};
use crate::job::validate::validate;

pub async fn handle(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<Value, ApiError> {
    let request = validate(&req.params, &state.limits)?;
    let latest_end_us =
        (now_ms() + state.limits.max_future_seconds as i64 * 1000).saturating_mul(1000);
    if let Some((i, clip)) = request
        .clips
        .iter()
        .enumerate()
        .find(|(_, c)| c.end_us > latest_end_us)
    {
        return Err(ApiError::invalid(
            &format!("Clips[{i}].EndTime"),
            &format!(
                "it is {} s in the future; a clip may end at most {} s from now",
                (clip.end_us / 1000 - now_ms()) / 1000,
                state.limits.max_future_seconds
            ),
        ));
    }
    // The key's resources: where it may write, which recordings it may read.
    let output = super::output_storage::output_parameter(&request);
    caller.check_write(output, &request.output.bucket, &request.output.key)?;
    for (i, clip) in request.clips.iter().enumerate() {
        caller.check_read(
            &format!("Clips[{i}]"),
            &clip.stream.domain_name,
            &clip.stream.app_name,
        )?;
        if let Some(url) = &clip.cover_url
            && let Ok(cover) = crate::job::location::parse_url(url)
        {
            caller.check_write(&format!("Clips[{i}].CoverUrl"), &cover.bucket, &cover.key)?;
        }
    }
    if let Some(address) = &request.notify_address {
        // Only addresses a delivery could reach: the operator's policy decides.
        crate::callback::event::checked_url(address, &state.destinations)
            .map_err(|e| ApiError::invalid("UserData.NotifyAddress", &e.to_string()))?;
    }
    super::output_storage::check(state, &request).await?;
    let submitter = Submitter {
        account: &caller.account,
        nonce: caller.unclaimed_nonce.as_deref(),
    };
    let done = submit(&state.db, &request, state.max_attempts, submitter)
        .await
        .map_err(|e| match e {
            SubmitError::NonceUsed => ApiError::new(ErrorCode::SignatureNonceUsed, e.to_string()),
            SubmitError::UnknownProject(_) => {
                ApiError::new(ErrorCode::InvalidParameter, e.to_string())
            }
            SubmitError::OutputTaken { .. } => ApiError::invalid(
                super::output_storage::output_parameter(&request),
                &e.to_string(),
            ),
            SubmitError::Db(e) => ApiError::internal("storing the job", &e),
        })?;
    // The job is committed; wake an idle worker of this process so it starts within milliseconds.
    state.wake.notify_one();
    tracing::info!(job_id = %done.job_id, clips = request.clips.len(), mode = request.mode.as_str(), "job queued");
    let mut body = json!({
        "ProjectId": done.project_id,
        "JobId": done.job_id,
        "MediaId": done.media_id,
        "MediaURL": done.media_url,
    });
    if request.target == OutputTarget::VodMedia {
        body["VodMediaId"] = json!(done.media_id);
    }
    Ok(body)
}
