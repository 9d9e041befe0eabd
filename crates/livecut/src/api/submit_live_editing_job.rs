//! `SubmitLiveEditingJob`: validate, store and queue, answer at once.

use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::rpc::RpcRequest;
use crate::code::ErrorCode;
use crate::job::request::OutputTarget;
use crate::job::submit::{SubmitError, submit};
use crate::job::validate::validate;

pub async fn handle(state: &AppState, req: &RpcRequest) -> Result<Value, ApiError> {
    let request = validate(&req.params, &state.limits)?;
    if let Some(address) = &request.notify_address {
        // Only addresses a delivery could reach: the operator's policy decides.
        crate::callback::event::checked_url(address, &state.destinations)
            .map_err(|e| ApiError::invalid("UserData.NotifyAddress", &e.to_string()))?;
    }
    super::output_storage::check(state, &request).await?;
    let done = submit(&state.db, &request, state.max_attempts)
        .await
        .map_err(|e| match e {
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
