//! `GetLiveEditingIndexFile`: a link to an HLS playlist of a stream's recording, with
//! `#EXT-X-PROGRAM-DATE-TIME` on every segment, for previewing it in a player (the console, hls.js,
//! Safari, ffplay). Like Alibaba's signed OSS index URL, the link and the segment links inside
//! the playlist are signed and expire; they need no access key.
//!
//! Parameters: `DomainName`, `AppName`, `StreamName` (required), `ProjectId` (optional; it must
//! exist). livecut also takes `StartTime`/`EndTime` (UTC, as clips; at most four days apart) to
//! choose the window, and `AuthTimeout` (seconds the links stay valid, 60-86400, default 3600),
//! as GetMediaInfo does. Without a window: the last day recorded, growing with the recording
//! while the stream is live.

use serde_json::{Value, json};

use super::error::ApiError;
use super::rpc::RpcRequest;
use super::{AppState, Caller};
use crate::clock::{now_ms, parse_clip_time};
use crate::code::ErrorCode;
use crate::job::request::StreamKey;
use crate::preview::index::{self, DEFAULT_WINDOW_US, MAX_WINDOW_US, Window};
use crate::preview::{INDEX_PATH, encode_window};
use crate::recordings::plan::PlanError;

const DEFAULT_AUTH_TIMEOUT_S: i64 = 3600;
const AUTH_TIMEOUT_RANGE_S: std::ops::RangeInclusive<i64> = 60..=86_400;
/// Longer names are not stream names (and would make unwieldy links).
const MAX_NAME_CHARS: usize = 255;

pub async fn handle(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<Value, ApiError> {
    let name = |p: &str| -> Result<String, ApiError> {
        let v = req
            .param(p)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::missing(p))?;
        if v.chars().count() > MAX_NAME_CHARS || v.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                p,
                &format!(
                    "it must be at most {MAX_NAME_CHARS} characters, none of them control characters"
                ),
            ));
        }
        Ok(v.to_string())
    };
    let stream = StreamKey {
        domain_name: name("DomainName")?,
        app_name: name("AppName")?,
        stream_name: name("StreamName")?,
    };
    caller.check_read("the stream", &stream.domain_name, &stream.app_name)?;
    if let Some(project) = req.param("ProjectId").filter(|p| !p.is_empty()) {
        let known = crate::db::projects::exists(&state.db, project, &caller.account)
            .await
            .map_err(|e| ApiError::internal("reading the project", &e))?;
        if !known {
            return Err(ApiError::not_found("project"));
        }
    }
    let time = |p: &str| -> Result<Option<i64>, ApiError> {
        req.param(p)
            .filter(|v| !v.is_empty())
            .map(|raw| {
                parse_clip_time(raw).map_err(|e| ApiError::invalid(p, &format!("{raw:?} {e}")))
            })
            .transpose()
    };
    let (start, end) = (time("StartTime")?, time("EndTime")?);
    // A stream nothing is known of is an error now, not an empty playlist later.
    let recorded_until = index::recorded_until(state.catalog(), &stream)
        .await
        .map_err(plan_error)?;
    let auth_timeout_s = match req.param("AuthTimeout").filter(|v| !v.is_empty()) {
        None => DEFAULT_AUTH_TIMEOUT_S,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|t| AUTH_TIMEOUT_RANGE_S.contains(t))
            .ok_or_else(|| {
                ApiError::invalid(
                    "AuthTimeout",
                    &format!(
                        "{raw:?} is not a whole number of seconds from {} to {}",
                        AUTH_TIMEOUT_RANGE_S.start(),
                        AUTH_TIMEOUT_RANGE_S.end()
                    ),
                )
            })?,
    };
    let window = match (start, end) {
        (Some(s), Some(e)) => {
            if e <= s {
                return Err(ApiError::invalid(
                    "EndTime",
                    "it must be later than StartTime",
                ));
            }
            if e - s > MAX_WINDOW_US {
                return Err(ApiError::invalid(
                    "EndTime",
                    "it must be at most four days after StartTime",
                ));
            }
            Window {
                start_us: s,
                end_us: Some(e),
            }
        }
        (Some(s), None) => Window {
            start_us: s,
            end_us: None,
        },
        (None, Some(e)) => Window {
            start_us: e - DEFAULT_WINDOW_US,
            end_us: Some(e),
        },
        (None, None) => Window {
            start_us: recorded_until.unwrap_or_else(|| now_ms() * 1000) - DEFAULT_WINDOW_US,
            end_us: None,
        },
    };
    let expires_s = now_ms() / 1000 + auth_timeout_s;
    let base = state.preview.public_base(req.header("host"));
    let query = state
        .preview
        .signer
        .sign(INDEX_PATH, &encode_window(&stream, window), expires_s);
    Ok(json!({ "IndexFile": format!("{base}{INDEX_PATH}?{query}") }))
}

/// A stream that cannot be listed, in the terms of this call (not a job's clip).
pub fn plan_error(e: PlanError) -> ApiError {
    match e {
        PlanError::NoRecording { stream, .. } => ApiError::new(
            ErrorCode::ResourceNotFound,
            format!("No recording is known for stream {stream} (DomainName/AppName/StreamName)."),
        ),
        PlanError::Refused { stream, reason, .. } => ApiError::new(
            ErrorCode::NotSupported,
            format!("The recording of stream {stream} was refused at registration: {reason}"),
        ),
        PlanError::Playlist { reason, .. } => ApiError::new(
            ErrorCode::ResourceContentBad,
            format!("A playlist of the stream cannot be read: {reason}"),
        ),
        PlanError::Segment { uri, reason, .. } => ApiError::new(
            ErrorCode::NotSupported,
            format!("Segment {uri} of the stream cannot be previewed: {reason}"),
        ),
        PlanError::Storage { reason, .. } => ApiError::new(
            ErrorCode::StorageUnavailable,
            format!("The storage of the stream's recording did not answer: {reason}"),
        ),
        PlanError::NoContent { .. } => ApiError::new(
            ErrorCode::ResourceNotFound,
            "The stream has no recording in the window.",
        ),
        PlanError::Db(e) => ApiError::internal("reading the recording index", &e),
    }
}
