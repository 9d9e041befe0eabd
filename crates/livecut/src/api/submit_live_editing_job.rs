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
    let params = with_project_storage(state, req, caller).await?;
    let request = validate(&params, &state.limits)?;
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

/// The parameters with the output storage of the request's project filled in where the request
/// leaves it out (IMS: "the system reads the storage configurations of the project"): its
/// OutputMediaTarget, and an output named by a fresh id in its StorageLocation and Path.
/// What the request gives itself (a MediaURL, Width, Height, Bitrate) stays.
async fn with_project_storage<'a>(
    state: &AppState,
    req: &'a RpcRequest,
    caller: &Caller,
) -> Result<std::borrow::Cow<'a, std::collections::BTreeMap<String, String>>, ApiError> {
    use std::borrow::Cow;
    let Some(project_id) = req.param("ProjectId") else {
        return Ok(Cow::Borrowed(&req.params));
    };
    let project = crate::db::projects::get(&state.db, project_id, &caller.account)
        .await
        .map_err(|e| ApiError::internal("reading the project", &e))?
        .ok_or_else(|| {
            ApiError::invalid(
                "ProjectId",
                &format!("project {project_id:?} does not exist"),
            )
        })?;
    let Some(storage) = super::editing_projects::business_config(
        &project.business_config,
        "BusinessConfig",
        false,
    )?
    else {
        return Ok(Cow::Borrowed(&req.params));
    };
    let mut params = req.params.clone();
    let target = params
        .get("OutputMediaTarget")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| storage.target.clone());
    params.insert("OutputMediaTarget".into(), target.clone());
    let mut output = match params.get("OutputMediaConfig").map(|s| s.trim()) {
        None | Some("") => serde_json::Map::new(),
        Some(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(o)) => o,
            // Left for validation to name precisely.
            _ => return Ok(Cow::Owned(params)),
        },
    };
    let file_name = format!("{}.mp4", crate::ids::new_resource_id());
    let named = |o: &serde_json::Map<String, Value>, k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.trim().is_empty())
    };
    if target == "vod-media" {
        if !named(&output, "StorageLocation") {
            output.insert("StorageLocation".into(), json!(storage.storage_location));
        }
        if !named(&output, "FileName") {
            output.insert("FileName".into(), json!(file_name));
        }
    } else if !named(&output, "MediaURL") {
        let loc = storage
            .location(&file_name)
            .map_err(|e| ApiError::invalid("ProjectId", &format!("its storage: {e}")))?;
        output.insert(
            "MediaURL".into(),
            json!(format!("oss://{}/{}", loc.bucket, loc.key)),
        );
    }
    params.insert(
        "OutputMediaConfig".into(),
        Value::Object(output).to_string(),
    );
    Ok(Cow::Owned(params))
}
