//! The live-editing project calls (`CreateEditingProject`, `GetEditingProject`,
//! `UpdateEditingProject`, `ListEditingProjects`, `DeleteEditingProjects`), one file each, and
//! what they share: a project as each SDK model shows it (Status is a number with a StatusName in
//! CreateEditingProject's model and a string in the others; Duration a float in one and an
//! integer in the other) and the BusinessConfig whose storage a Submit naming the project uses.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod update;

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::{AppState, Caller};
use crate::clock::format_api_time;
use crate::db::projects::{self, ProjectRow, status};
use crate::job::location::{self, ObjectLocation};

/// The source recorded for projects made and changed through these calls.
const SOURCE_OPENAPI: &str = "OpenAPI";

/// IMS's project status numbers (CreateEditingProject's model).
fn status_number(status: &str) -> i64 {
    match status {
        status::DRAFT => 1,
        "Editing" => 2,
        status::PRODUCING => 3,
        status::PRODUCED => 4,
        status::PRODUCE_FAILED => 5,
        _ => 1,
    }
}

/// The fields every project model has.
fn common(p: &ProjectRow) -> Map<String, Value> {
    let Value::Object(map) = json!({
        "ProjectId": p.project_id,
        "Title": p.title,
        "Description": p.description,
        "ProjectType": p.project_type,
        "CreateSource": p.create_source,
        "ModifiedSource": p.modified_source,
        "BusinessConfig": p.business_config,
        "BusinessStatus": p.business_status,
        "CoverURL": p.cover_url,
        "TemplateType": p.template_type,
        "CreateTime": format_api_time(p.created_at),
        "ModifiedTime": format_api_time(p.modified_at),
    }) else {
        unreachable!("json! of an object literal is an object")
    };
    map
}

/// CreateEditingProject's `Project`: Status a number, StatusName, Duration a float.
pub fn created_json(p: &ProjectRow) -> Value {
    let mut m = common(p);
    m.insert("Status".into(), json!(status_number(&p.status)));
    m.insert("StatusName".into(), json!(p.status));
    m.insert("Duration".into(), json!(0.0));
    m.insert("Timeline".into(), json!(p.timeline));
    m.insert("TemplateId".into(), json!(p.template_id));
    m.insert("ClipsParam".into(), json!(p.clips_param));
    Value::Object(m)
}

/// GetEditingProject's `Project`: Status a string, Duration an integer.
pub fn full_json(p: &ProjectRow) -> Value {
    let mut m = common(p);
    m.insert("Status".into(), json!(p.status));
    m.insert("Duration".into(), json!(0));
    m.insert("Timeline".into(), json!(p.timeline));
    m.insert("TemplateId".into(), json!(p.template_id));
    m.insert("ClipsParam".into(), json!(p.clips_param));
    m.insert("TimelineConvertStatus".into(), json!(""));
    m.insert("TimelineConvertErrorMessage".into(), json!(""));
    Value::Object(m)
}

/// ListEditingProjects' item: Status a string, and the error of its last production.
pub fn listed_json(p: &ProjectRow) -> Value {
    let mut m = common(p);
    m.insert("Status".into(), json!(p.status));
    m.insert("ErrorCode".into(), json!(""));
    m.insert("ErrorMessage".into(), json!(""));
    Value::Object(m)
}

/// The output storage of a live-editing project (its BusinessConfig), as Submit uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectStorage {
    /// `StorageLocation` as given (`bucket` or `bucket.oss-…aliyuncs.com`).
    pub storage_location: String,
    /// The folder outputs go into (`Path`, without its slashes at either end); empty: the root.
    pub path: String,
    /// `oss-object` (default) or `vod-media`.
    pub target: String,
}

impl ProjectStorage {
    /// Where an output called `file_name` goes.
    pub fn location(&self, file_name: &str) -> Result<ObjectLocation, location::LocationError> {
        let key = if self.path.is_empty() || self.target == "vod-media" {
            file_name.to_string()
        } else {
            format!("{}/{file_name}", self.path)
        };
        location::parse_storage_location(&self.storage_location, &key)
    }
}

/// Reads and checks a BusinessConfig (`parameter` names it in errors); a live-editing project
/// must say where its outputs go. Returns the storage when the config has one.
pub fn business_config(
    raw: &str,
    parameter: &str,
    live: bool,
) -> Result<Option<ProjectStorage>, ApiError> {
    if raw.trim().is_empty() {
        return if live {
            Err(ApiError::missing(&format!(
                "{parameter}.OutputMediaConfig.StorageLocation"
            )))
        } else {
            Ok(None)
        };
    }
    let value: Value = serde_json::from_str(raw)
        .map_err(|e| ApiError::invalid(parameter, &format!("it is not JSON ({e})")))?;
    let obj = value
        .as_object()
        .ok_or_else(|| ApiError::invalid(parameter, "it is not a JSON object"))?;
    let string = |v: Option<&Value>, name: &str| -> Result<Option<String>, ApiError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(_) => Err(ApiError::invalid(
                &format!("{parameter}.{name}"),
                "it is not a string",
            )),
        }
    };
    let target = string(obj.get("OutputMediaTarget"), "OutputMediaTarget")?
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "oss-object".to_string());
    if !matches!(target.as_str(), "oss-object" | "vod-media") {
        return Err(ApiError::invalid(
            &format!("{parameter}.OutputMediaTarget"),
            &format!("{target:?} is not one of oss-object, vod-media"),
        ));
    }
    if let Some(at) = string(obj.get("ReservationTime"), "ReservationTime")?
        && crate::clock::parse_clip_time(&at).is_err()
    {
        return Err(ApiError::invalid(
            &format!("{parameter}.ReservationTime"),
            "it is not a UTC time such as 2021-06-21T08:05:00Z",
        ));
    }
    let output = match obj.get("OutputMediaConfig") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(o),
        Some(_) => {
            return Err(ApiError::invalid(
                &format!("{parameter}.OutputMediaConfig"),
                "it is not a JSON object",
            ));
        }
    };
    let storage_param = format!("{parameter}.OutputMediaConfig.StorageLocation");
    let storage = match output {
        Some(o) => string(
            o.get("StorageLocation"),
            "OutputMediaConfig.StorageLocation",
        )?,
        None => None,
    }
    .filter(|s| !s.is_empty());
    let Some(storage_location) = storage else {
        return if live {
            Err(ApiError::missing(&storage_param))
        } else {
            Ok(None)
        };
    };
    let path = match output {
        Some(o) => string(o.get("Path"), "OutputMediaConfig.Path")?,
        None => None,
    }
    .unwrap_or_default()
    .trim_matches('/')
    .to_string();
    // The outputs' MediaURLs are built from it: characters a URL gives other meanings stay out.
    if path.contains(['%', '?', '#']) {
        return Err(ApiError::invalid(
            &format!("{parameter}.OutputMediaConfig.Path"),
            "it contains %, ? or #",
        ));
    }
    let storage = ProjectStorage {
        storage_location,
        path,
        target,
    };
    // The folder and bucket must make valid object names.
    storage.location("probe.mp4").map_err(|e| match e {
        location::LocationError::BadBucket(_) => ApiError::invalid(&storage_param, &e.to_string()),
        _ => ApiError::invalid(
            &format!("{parameter}.OutputMediaConfig.Path"),
            &e.to_string(),
        ),
    })?;
    Ok(Some(storage))
}

/// The storage of a project must be writable by the caller's key and served by this server.
async fn check_storage(
    state: &AppState,
    caller: &Caller,
    storage: &ProjectStorage,
    parameter: &str,
) -> Result<(), ApiError> {
    let probe = storage
        .location("probe.mp4")
        .map_err(|e| ApiError::invalid(parameter, &e.to_string()))?;
    let prefix = probe.key.trim_end_matches("probe.mp4");
    caller.check_write(parameter, &probe.bucket, prefix)?;
    super::output_storage::check_bucket(state, parameter, &probe.bucket).await
}

/// The project the request's `ProjectId` names, when it is the caller's account's; `NotFound`
/// otherwise (also for another account's).
async fn named(
    state: &AppState,
    req: &super::rpc::RpcRequest,
    caller: &Caller,
) -> Result<ProjectRow, ApiError> {
    let id = req
        .param("ProjectId")
        .ok_or_else(|| ApiError::missing("ProjectId"))?;
    projects::get(&state.db, id, &caller.account)
        .await
        .map_err(|e| ApiError::internal("reading the project", &e))?
        .ok_or_else(|| ApiError::not_found("project"))
}
