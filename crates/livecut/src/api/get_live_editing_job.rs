//! `GetLiveEditingJob`: the job as IMS shows it. Nested configs come back as objects, Clips and
//! UserData as the strings that were submitted, sizes as integers.

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::rpc::RpcRequest;
use super::{AppState, Caller};
use crate::clock::format_api_time;
use crate::db::callbacks;
use crate::db::jobs::{self, JobRow};
use crate::job::report::JobReport;
use crate::job::request::JobRequest;

pub async fn handle(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<Value, ApiError> {
    let job_id = req
        .param("JobId")
        .ok_or_else(|| ApiError::missing("JobId"))?;
    let row = jobs::get(&state.db, job_id)
        .await
        .map_err(|e| ApiError::internal("reading the job", &e))?
        .filter(|job| job.account == caller.account)
        .ok_or_else(|| ApiError::not_found("job"))?;
    let request: JobRequest = serde_json::from_str(&row.request)
        .map_err(|e| ApiError::internal("decoding the stored job", &e))?;
    let mut job = job_json(&row, &request);
    let delivery = callbacks::delivery_of(&state.db, job_id)
        .await
        .map_err(|e| ApiError::internal("reading the callback state", &e))?;
    if let Some(d) = delivery.filter(|d| d.state != callbacks::state::NO_ADDRESS) {
        // livecut's own field (the SDK model drops it; raw JSON readers see it).
        job["CallbackStatus"] = json!({
            "State": d.state,
            "Attempts": d.attempts,
            "LastError": d.last_error,
            "NextAttemptTime": if d.state == callbacks::state::PENDING {
                format_api_time(d.next_attempt_at)
            } else {
                String::new()
            },
            "DeliveredTime": d.delivered_at.map(format_api_time).unwrap_or_default(),
        });
    }
    // livecut's own field, like CallbackStatus: how far the job is.
    job["Progress"] = progress(&row);
    Ok(json!({ "LiveEditingJob": job }))
}

fn job_json(row: &JobRow, request: &JobRequest) -> Value {
    let mut job = json!({
        "JobId": row.job_id,
        "ProjectId": row.project_id,
        "Status": row.status,
        "Clips": request.clips_raw,
        "UserData": request.user_data,
        "CreationTime": format_api_time(row.created_at),
        "ModifiedTime": format_api_time(row.modified_at),
        "CompleteTime": row.completed_at.map(format_api_time).unwrap_or_default(),
        "MediaId": row.media_id,
        "MediaURL": row.media_url,
        "Code": row.code,
        "Message": row.message,
        "MediaProduceConfig": { "Mode": request.mode.as_str() },
        "OutputMediaConfig": output_config(request),
        "OutputMediaTarget": request.target.as_str(),
    });
    if let Some(s) = &request.live_stream {
        job["LiveStreamConfig"] = json!({
            "AppName": s.app_name,
            "DomainName": s.domain_name,
            "StreamName": s.stream_name,
        });
    }
    if let Ok(report) = serde_json::from_str::<JobReport>(&row.report) {
        job["ClipResults"] = Value::Array(
            report
                .clips
                .iter()
                .map(super::super::job::report::ClipResult::to_wire)
                .collect(),
        );
        job["Duration"] = json!(report.duration_us as f64 / 1e6);
    }
    job
}

fn output_config(request: &JobRequest) -> Value {
    let e = &request.output_echo;
    let mut m = Map::new();
    let mut put_str = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_string(), json!(v));
        }
    };
    put_str("MediaURL", &e.media_url);
    put_str("StorageLocation", &e.storage_location);
    put_str("FileName", &e.file_name);
    put_str("VodTemplateGroupId", &e.vod_template_group_id);
    for (k, v) in [
        ("Width", e.width),
        ("Height", e.height),
        ("Bitrate", e.bitrate),
    ] {
        if let Some(v) = v {
            m.insert(k.to_string(), json!(v));
        }
    }
    Value::Object(m)
}

/// The job's progress: a waiting job has none yet, a finished one is whole; a running (or
/// failed) one shows what its worker last reported.
fn progress(row: &JobRow) -> Value {
    let fixed = |step: &str, percent: u32| json!({ "Step": step, "Done": 0, "Total": 0, "Unit": "", "Percent": percent });
    // Each attempt starts its report afresh (the claim clears it); a job back in the queue
    // shows where its last attempt was until the next one starts.
    let reported = serde_json::from_str::<Value>(&row.progress).ok();
    match (row.status.as_str(), reported) {
        (jobs::status::SUCCESS, _) => fixed("Done", 100),
        (_, Some(p)) => p,
        (jobs::status::PROCESSING, None) => fixed("Planning", 0),
        (jobs::status::FAILED, None) => fixed("Failed", 0),
        (_, None) => fixed("Queuing", 0),
    }
}
