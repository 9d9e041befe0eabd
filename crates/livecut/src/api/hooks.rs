//! Recorder hooks: the HTTP endpoints recorders call as they write segments, so the segment
//! index (`db::segments`) follows a live stream without polling.
//!
//! `POST /hooks/srs/on_hls?token=…`: SRS's `on_hls`, one JSON body per segment (its fields:
//! `action`, `vhost`, `app`, `stream`, `url` relative to `hls_path`, `duration` in seconds,
//! `seq_no`, …). SRS cannot sign a request, so the hook URL carries a token the configuration
//! names (`[hooks.srs]`), compared in constant time; a request without it changes nothing and
//! gets 403. Every refusal is the API's JSON error body; success answers `{"code": 0}`, which SRS
//! takes as accepted. The segment is not probed here (libav runs only in media children): a
//! codec livecut cannot cut fails the job that reaches it, with the reason.
//!
//! `POST /hooks/alibaba-live/record`: Alibaba Cloud Live's recording callbacks, signed as Live
//! signs them (`ALI-LIVE-TIMESTAMP`, `ALI-LIVE-SIGNATURE` = md5 hex of
//! `domain|timestamp|NotifyAuthKey`, the timestamp within 5 minutes of now). A file-generated
//! event (`uri` of the recorded object in the configured bucket) registers an m3u8 playlist as a
//! recording of its stream (timed from its `{UnixTimestamp}_{Sequence}` segment names), or
//! indexes an mp4 file as one segment from `start_time` for `duration`; status events
//! (`record_started`, …) are acknowledged.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::post;
use livecut_hls::SegmentTimes;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::json_response;
use crate::clock::now_ms;
use crate::code::ErrorCode;
use crate::config::{AlibabaLiveHookConfig, Secret, SrsHookConfig};
use crate::db::Db;
use crate::db::segments::{self, IndexedSegment};
use crate::ids::new_request_id;
use crate::recordings::watch::continues;
use crate::storage::Buckets;

/// The SRS hook as the configuration sets it up.
pub struct SrsHook {
    token: Secret,
    domain: Option<String>,
    files: String,
    times: Option<SegmentTimes>,
}

impl SrsHook {
    pub fn from_config(c: &SrsHookConfig) -> Result<SrsHook, crate::config::ConfigError> {
        Ok(SrsHook {
            token: c.token()?,
            domain: c.domain.clone(),
            files: c.files.trim_end_matches('/').to_string(),
            times: c.segment_times.as_deref().and_then(|t| t.parse().ok()),
        })
    }
}

/// Alibaba Cloud Live's recording callbacks as the configuration sets them up.
pub struct AlibabaLiveHook {
    auth_key: Secret,
    bucket: String,
    times: String,
}

impl AlibabaLiveHook {
    pub fn from_config(
        c: &AlibabaLiveHookConfig,
    ) -> Result<AlibabaLiveHook, crate::config::ConfigError> {
        Ok(AlibabaLiveHook {
            auth_key: c.auth_key()?,
            bucket: c.bucket.clone(),
            times: c
                .segment_times
                .clone()
                .unwrap_or_else(|| "name-unix-seconds".to_string()),
        })
    }
}

#[derive(Clone)]
pub struct HookState {
    pub db: Db,
    pub buckets: Buckets,
    pub srs: Option<Arc<SrsHook>>,
    pub alibaba_live: Option<Arc<AlibabaLiveHook>>,
}

pub fn hooks_router(state: HookState) -> Router {
    Router::new()
        .route("/hooks/srs/on_hls", post(srs_on_hls))
        .route("/hooks/alibaba-live/record", post(alibaba_live_record))
        .with_state(state)
}

/// A Live recording callback: a status event, or a file-generated one.
#[derive(Deserialize)]
struct LiveRecord {
    domain: String,
    app: String,
    stream: String,
    event: Option<String>,
    uri: Option<String>,
    duration: Option<f64>,
    start_time: Option<i64>,
}

/// How far Live's signed timestamp may be from this server's clock.
const LIVE_SIGNATURE_WINDOW_S: i64 = 300;

async fn alibaba_live_record(
    State(state): State<HookState>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let result = live_record(&state, &headers, &body).await;
    respond("hook_alibaba_live", result)
}

/// A hook's answer: counted in `/metrics` (`Ok(true)`: something was indexed), a refusal logged
/// with the request id it answers with.
fn respond(source: &'static str, result: Result<bool, ApiError>) -> Response {
    let request_id = new_request_id();
    match &result {
        Ok(true) => crate::metrics::indexed(source, 1),
        Ok(false) => {}
        Err(e) => {
            crate::metrics::ingest_error(source);
            tracing::info!(request_id = %request_id, code = %e.code, source, "hook request refused: {}", e.message);
        }
    }
    let body = match source {
        // SRS takes `{"code": 0}` as accepted.
        "hook_srs" => serde_json::json!({"code": 0}),
        _ => serde_json::json!({}),
    };
    json_response(&request_id, "livecut", result.map(|_| body))
}

/// Handles one callback; `Ok(true)` when it registered or indexed a recording.
async fn live_record(
    state: &HookState,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<bool, ApiError> {
    use md5::{Digest, Md5};
    let Some(hook) = &state.alibaba_live else {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "No Alibaba Cloud Live callback is configured on this server ([hooks.alibaba_live]).",
        ));
    };
    let report: LiveRecord = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid("body", &format!("is not a Live recording callback: {e}"))
    })?;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let timestamp = header("ALI-LIVE-TIMESTAMP");
    let expected = hex::encode(Md5::digest(
        format!("{}|{timestamp}|{}", report.domain, hook.auth_key.expose()).as_bytes(),
    ));
    let signed = bool::from(
        header("ALI-LIVE-SIGNATURE")
            .to_ascii_lowercase()
            .as_bytes()
            .ct_eq(expected.as_bytes()),
    );
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (t - now_ms() / 1000).abs() <= LIVE_SIGNATURE_WINDOW_S);
    if !signed || !fresh {
        return Err(ApiError::new(
            ErrorCode::ForbiddenHook,
            "ALI-LIVE-SIGNATURE does not match md5(domain|ALI-LIVE-TIMESTAMP|NotifyAuthKey), or the \
             timestamp is more than 5 minutes from now.",
        ));
    }
    check_names(&[
        ("domain", &report.domain),
        ("app", &report.app),
        ("stream", &report.stream),
    ])?;
    // A status event (record_started, record_paused, record_resumed) says nothing to index.
    let Some(uri) = report.uri.as_deref() else {
        return match report.event.as_deref() {
            Some(_) => Ok(false),
            None => Err(ApiError::missing("uri")),
        };
    };
    if uri.is_empty()
        || uri.contains("://")
        || uri.contains('\\')
        || uri.chars().any(char::is_control)
        || uri.split('/').any(|p| p == ".." || p == ".")
    {
        return Err(ApiError::invalid(
            "uri",
            "must be an object name of the recording bucket",
        ));
    }
    let location = format!("oss://{}/{}", hook.bucket, uri.trim_start_matches('/'));
    let source = state
        .buckets
        .source(&location)
        .map_err(|e| ApiError::invalid("uri", &format!("does not name a readable object: {e}")))?;
    let stream = (
        report.domain.as_str(),
        report.app.as_str(),
        report.stream.as_str(),
    );
    let lower = uri.to_ascii_lowercase();
    if lower.ends_with(".m3u8") {
        crate::db::recordings::add(
            &state.db,
            stream,
            &source.to_index_string(),
            &hook.times,
            now_ms(),
        )
        .await
        .map_err(internal)?;
        return Ok(true);
    }
    if lower.ends_with(".mp4") {
        let (Some(start_s), Some(duration)) = (report.start_time, report.duration) else {
            return Err(ApiError::missing("start_time"));
        };
        if !(duration.is_finite() && duration > 0.0 && duration < 7.0 * 86_400.0) {
            return Err(ApiError::invalid(
                "duration",
                "must be a positive number of seconds",
            ));
        }
        let segment = IndexedSegment {
            uri: source.to_index_string(),
            start_us: start_s * 1_000_000,
            duration_us: (duration * 1e6).round() as i64,
            init_uri: None,
            sequence: segments::next_sequence(&state.db, stream)
                .await
                .map_err(internal)?,
            discontinuity: true,
            video_codec: None,
            audio_codec: None,
        };
        segments::add(&state.db, stream, &[segment], "hook:alibaba-live", now_ms())
            .await
            .map_err(internal)?;
        return Ok(true);
    }
    Err(ApiError::new(
        ErrorCode::NotSupported,
        format!("uri {uri}: livecut cuts m3u8 and mp4 recordings, not this format; record m3u8"),
    ))
}

/// The fields of SRS's `on_hls` body that livecut reads (it sends more).
#[derive(Deserialize)]
struct OnHls {
    action: String,
    #[serde(default)]
    vhost: String,
    app: String,
    stream: String,
    url: String,
    duration: f64,
    seq_no: i64,
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn srs_on_hls(
    State(state): State<HookState>,
    Query(query): Query<TokenQuery>,
    body: Bytes,
) -> Response {
    let result = on_hls(&state, query.token.as_deref(), &body).await;
    respond("hook_srs", result.map(|()| true))
}

async fn on_hls(state: &HookState, token: Option<&str>, body: &[u8]) -> Result<(), ApiError> {
    let Some(hook) = &state.srs else {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "No SRS hook is configured on this server ([hooks.srs] in the configuration file).",
        ));
    };
    let given = token.unwrap_or("").as_bytes();
    if !bool::from(given.ct_eq(hook.token.expose().as_bytes())) {
        return Err(ApiError::new(
            ErrorCode::ForbiddenHook,
            "The hook URL's token parameter is missing or wrong.",
        ));
    }
    let report: OnHls = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid("body", &format!("is not SRS's on_hls JSON: {e}")))?;
    if report.action != "on_hls" {
        return Err(ApiError::invalid("action", "must be on_hls"));
    }
    check_names(&[("app", &report.app), ("stream", &report.stream)])?;
    let domain = match (&hook.domain, report.vhost.as_str()) {
        (Some(d), _) => d.clone(),
        (None, "" | "__defaultVhost__") => {
            return Err(ApiError::invalid(
                "vhost",
                "is SRS's default vhost; set [hooks.srs] domain to name the streams' DomainName",
            ));
        }
        (None, v) => v.to_string(),
    };
    let url = report.url.as_str();
    if url.is_empty()
        || url.starts_with('/')
        || url.contains("://")
        || url.contains('\\')
        || url.chars().any(char::is_control)
        || url.split('/').any(|p| p == ".." || p == ".")
    {
        return Err(ApiError::invalid(
            "url",
            "must be the segment's path relative to SRS's hls_path",
        ));
    }
    if !(report.duration.is_finite() && report.duration > 0.0 && report.duration < 86_400.0) {
        return Err(ApiError::invalid(
            "duration",
            "must be a positive number of seconds",
        ));
    }
    if report.seq_no < 0 {
        return Err(ApiError::invalid("seq_no", "must not be negative"));
    }
    let location = format!("{}/{url}", hook.files);
    let source = state
        .buckets
        .source(&location)
        .map_err(|e| ApiError::invalid("url", &format!("does not name a readable place: {e}")))?;
    let duration_us = (report.duration * 1e6).round() as i64;
    let name = url.rsplit('/').next().unwrap_or(url);
    let start_us = match &hook.times {
        Some(t) => t.time_of(name).ok_or_else(|| {
            ApiError::invalid(
                "url",
                &format!("its file name carries no time as {t} reads it"),
            )
        })?,
        // The hook fires when the segment is complete: it started its duration ago.
        None => now_ms() * 1000 - duration_us,
    };
    let stream = (domain.as_str(), report.app.as_str(), report.stream.as_str());
    // It continues the segment before it when SRS numbered it next and it starts where that
    // one ends; else (a new publish, a lost report) its media is timed from its own start.
    let previous = segments::around(&state.db, stream, start_us - 1, start_us)
        .await
        .map_err(internal)?
        .into_iter()
        .find(|s| s.start_us < start_us);
    let follows = previous.is_some_and(|p| continues(&p, report.seq_no, false, start_us));
    let segment = IndexedSegment {
        uri: source.to_index_string(),
        start_us,
        duration_us,
        init_uri: None,
        sequence: report.seq_no,
        discontinuity: !follows,
        video_codec: None,
        audio_codec: None,
    };
    segments::add(&state.db, stream, &[segment], "hook:srs", now_ms())
        .await
        .map_err(internal)?;
    Ok(())
}

/// Stream names as a hook reports them: 1 to 255 characters, no slashes (they become path
/// parts) and no control characters (they reach logs).
fn check_names(names: &[(&str, &String)]) -> Result<(), ApiError> {
    for (name, value) in names {
        if value.is_empty()
            || value.len() > 255
            || value.contains(['/', '\\'])
            || value.chars().any(char::is_control)
        {
            return Err(ApiError::invalid(
                name,
                "must be a name of 1 to 255 characters without slashes or control characters",
            ));
        }
    }
    Ok(())
}

fn internal(e: crate::db::DbError) -> ApiError {
    tracing::error!("recorder hook: {e}");
    ApiError::new(
        ErrorCode::InternalError,
        "The segment could not be indexed; the server's log has the reason.",
    )
}
