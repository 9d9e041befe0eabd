//! The HTTP API: one RPC endpoint (`/`, GET or POST) that speaks the IMS 2020-11-09 wire format.
//! One file per operation; `rpc` parses, `authenticate` admits, `error` shapes failures;
//! `healthz` has the operator's routes (`/healthz`, `/metrics`).

mod authenticate;
mod delete_media_infos;
mod editing_projects;
pub mod error;
mod get_live_editing_index_file;
mod get_live_editing_job;
mod get_media_info;
pub mod guard;
pub mod healthz;
pub mod hooks;
mod list_media_basic_infos;
pub mod nonce_window;
mod output_storage;
mod paging;
mod preview;
pub mod rpc;
mod set_event_callback;
mod submit_live_editing_job;
mod update_media_info;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use tokio::sync::Notify;

use crate::code::ErrorCode;
use crate::db::Db;
use crate::ids::new_request_id;
use crate::settings::Limits;
use error::ApiError;
use rpc::{API_VERSION, RpcRequest};

/// The actions this server implements.
const ACTIONS: [&str; 14] = [
    "SubmitLiveEditingJob",
    "GetLiveEditingJob",
    "GetMediaInfo",
    "GetLiveEditingIndexFile",
    "SetEventCallback",
    "GetEventCallback",
    "CreateEditingProject",
    "GetEditingProject",
    "UpdateEditingProject",
    "ListEditingProjects",
    "DeleteEditingProjects",
    "ListMediaBasicInfos",
    "DeleteMediaInfos",
    "UpdateMediaInfo",
];

/// Requests carry only small parameters; anything bigger is not an SDK call.
const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// The bucket map: Submit checks that every output's bucket has a backend that accepts us.
    pub buckets: crate::storage::Buckets,
    pub limits: Limits,
    pub max_attempts: i64,
    /// Woken on every submit so an idle worker in this process starts at once.
    pub wake: Arc<Notify>,
    /// Where recordings are found besides registrations (for the index files).
    pub recordings_dir: std::path::PathBuf,
    pub streams: Arc<[crate::config::StreamSource]>,
    /// The signer and public URL of preview links.
    pub preview: Arc<crate::preview::Preview>,
    /// Calls per second per access key (`--rate-per-key`); None = no limit.
    pub key_throttle: Option<Arc<guard::Throttle<String>>>,
    /// Where callbacks may go (`[callbacks]`), checked at Submit and SetEventCallback.
    pub destinations: Arc<crate::callback::destination::Destinations>,
    /// The nonces this process accepted (replay protection without a write per read).
    pub nonces: Arc<nonce_window::NonceWindow>,
}

impl AppState {
    /// The recordings this process can read, as a clip's plan reads them.
    pub fn catalog(&self) -> crate::recordings::plan::Catalog<'_> {
        crate::recordings::plan::Catalog {
            db: &self.db,
            buckets: &self.buckets,
            recordings_dir: &self.recordings_dir,
            streams: &self.streams,
        }
    }
}

/// Who made an authenticated call: everything it reads or creates is its account's, and
/// another account's ids answer NotFound (so ids do not leak).
pub struct Caller {
    pub account: String,
    pub key_id: String,
    /// The buckets it may write and the streams it may read.
    pub resources: crate::db::keys::Resources,
    /// The request's signature nonce when the handler's write must claim it (Submit's
    /// transaction, see `authenticate`).
    pub unclaimed_nonce: Option<String>,
}

impl Caller {
    /// `Forbidden.RAM` unless the key may write `bucket`/`key` (named by `parameter`).
    pub fn check_write(&self, parameter: &str, bucket: &str, key: &str) -> Result<(), ApiError> {
        if self.resources.may_write(bucket, key) {
            return Ok(());
        }
        Err(ApiError::new(
            ErrorCode::ForbiddenRam,
            format!(
                "User not authorized to operate on the specified resource: access key {:?} may \
                 not write {parameter} oss://{bucket}/{key}.",
                self.key_id
            ),
        ))
    }

    /// `Forbidden.RAM` unless the key may read the recordings of `domain`/`app`.
    pub fn check_read(&self, parameter: &str, domain: &str, app: &str) -> Result<(), ApiError> {
        if self.resources.may_read(domain, app) {
            return Ok(());
        }
        Err(ApiError::new(
            ErrorCode::ForbiddenRam,
            format!(
                "User not authorized to operate on the specified resource: access key {:?} may \
                 not read the recordings of {parameter} {domain}/{app}.",
                self.key_id
            ),
        ))
    }
}

/// The RPC route, the operator's routes of `ops` and the recorders' hooks.
pub fn router(state: AppState, ops: healthz::OpsState, hooks: hooks::HookState) -> Router {
    Router::new()
        .route("/", get(rpc).post(rpc))
        .with_state(state.clone())
        .merge(preview::preview_router(state))
        .merge(healthz::ops_router(ops))
        .merge(hooks::hooks_router(hooks))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                json_response(
                    &new_request_id(),
                    "",
                    Err(ApiError::new(
                        ErrorCode::InternalError,
                        "The request processing has failed due to some unknown error.",
                    )),
                )
            },
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

async fn rpc(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = new_request_id();
    let host_id = guard::host_id(&headers);
    let req = RpcRequest::new(&method, &uri, &headers, body);
    let started = std::time::Instant::now();
    let result = dispatch(&state, &req).await;
    let code = match &result {
        Ok(_) => crate::metrics::SUCCESS_CODE,
        Err(e) => e.code.as_str(),
    };
    let action = req
        .action()
        .filter(|a| ACTIONS.contains(a))
        .unwrap_or("unknown");
    crate::metrics::api_request(action, code, started.elapsed().as_secs_f64());
    if let Err(e) = &result {
        tracing::info!(request_id = %request_id, code = %e.code, "request refused: {}", e.message);
    }
    json_response(&request_id, &host_id, result)
}

async fn dispatch(state: &AppState, req: &RpcRequest) -> Result<serde_json::Value, ApiError> {
    if let Some(name) = req.duplicate() {
        return Err(ApiError::invalid(name, "it is given more than once"));
    }
    let action = req.action().ok_or_else(|| ApiError::missing("Action"))?;
    if let Some(v) = req.version()
        && v != API_VERSION
    {
        return Err(ApiError::new(
            ErrorCode::InvalidVersion,
            format!(
                "Specified parameter Version {v:?} is not valid; this server speaks {API_VERSION}."
            ),
        ));
    }
    let handler = match action {
        a if ACTIONS.contains(&a) => a,
        other => {
            return Err(ApiError::new(
                ErrorCode::InvalidActionNotFound,
                format!(
                    "Specified api {other:?} is not found; supported: {}.",
                    ACTIONS.join(", ")
                ),
            ));
        }
    };
    let signed = authenticate::authenticate(state, req, handler).await?;
    let caller = Caller {
        account: signed.key.account,
        key_id: signed.key.access_key_id,
        resources: signed.key.resources,
        unclaimed_nonce: signed.unclaimed_nonce,
    };
    match handler {
        "SubmitLiveEditingJob" => submit_live_editing_job::handle(state, req, &caller).await,
        "GetLiveEditingJob" => get_live_editing_job::handle(state, req, &caller).await,
        "GetLiveEditingIndexFile" => get_live_editing_index_file::handle(state, req, &caller).await,
        "SetEventCallback" => set_event_callback::set(state, req, &caller).await,
        "GetEventCallback" => set_event_callback::get(state, req, &caller).await,
        "CreateEditingProject" => editing_projects::create::handle(state, req, &caller).await,
        "GetEditingProject" => editing_projects::get::handle(state, req, &caller).await,
        "UpdateEditingProject" => editing_projects::update::handle(state, req, &caller).await,
        "ListEditingProjects" => editing_projects::list::handle(state, req, &caller).await,
        "DeleteEditingProjects" => editing_projects::delete::handle(state, req, &caller).await,
        "ListMediaBasicInfos" => list_media_basic_infos::handle(state, req, &caller).await,
        "DeleteMediaInfos" => delete_media_infos::handle(state, req, &caller).await,
        "UpdateMediaInfo" => update_media_info::handle(state, req, &caller).await,
        _ => get_media_info::handle(state, req, &caller).await,
    }
}

fn json_response(
    request_id: &str,
    host_id: &str,
    result: Result<serde_json::Value, ApiError>,
) -> Response {
    match result {
        Ok(mut v) => {
            if let Some(o) = v.as_object_mut() {
                o.insert("RequestId".into(), request_id.into());
            }
            error::json_body(StatusCode::OK, &v)
        }
        Err(e) => e.into_response(request_id, host_id),
    }
}
