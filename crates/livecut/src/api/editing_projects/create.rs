//! `CreateEditingProject`: a project record; a `LiveEditingProject` also says where the outputs of
//! the jobs submitted with its ProjectId go (BusinessConfig.OutputMediaConfig.StorageLocation and
//! Path, OutputMediaTarget), checked here as Submit would check an output.

use serde_json::{Value, json};

use super::super::error::ApiError;
use super::super::rpc::{MAX_DESCRIPTION, MAX_TITLE, MAX_URL, RpcRequest};
use super::super::{AppState, Caller};
use super::SOURCE_OPENAPI;
use crate::clock::now_ms;
use crate::db::projects::{self, LIVE_EDITING_PROJECT, ProjectRow, status};
use crate::ids::new_resource_id;

/// A BusinessConfig with a ReservationTime (checked by `business_config`) reserves a broadcast.
fn reserves(config: &str) -> bool {
    serde_json::from_str::<Value>(config)
        .ok()
        .is_some_and(|v| v.get("ReservationTime").is_some_and(Value::is_string))
}

pub async fn handle(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<Value, ApiError> {
    let project_type = req.param("ProjectType").unwrap_or("EditingProject");
    if !matches!(project_type, "EditingProject" | LIVE_EDITING_PROJECT) {
        return Err(ApiError::invalid(
            "ProjectType",
            "it is not one of EditingProject, LiveEditingProject",
        ));
    }
    let live = project_type == LIVE_EDITING_PROJECT;
    let config = req.param("BusinessConfig").unwrap_or("");
    if let Some(storage) = super::business_config(config, "BusinessConfig", live)? {
        super::check_storage(
            state,
            caller,
            &storage,
            "BusinessConfig.OutputMediaConfig.StorageLocation",
        )
        .await?;
    }
    let template_type = req.param("TemplateType").unwrap_or("");
    if !matches!(template_type, "" | "Timeline" | "VETemplate") {
        return Err(ApiError::invalid(
            "TemplateType",
            "it is not one of Timeline, VETemplate",
        ));
    }
    let now = now_ms();
    let row = ProjectRow {
        project_id: new_resource_id(),
        title: req.text("Title", MAX_TITLE)?.unwrap_or_default(),
        description: req
            .text("Description", MAX_DESCRIPTION)?
            .unwrap_or_default(),
        project_type: project_type.to_string(),
        create_source: SOURCE_OPENAPI.to_string(),
        modified_source: SOURCE_OPENAPI.to_string(),
        business_config: config.to_string(),
        business_status: if live && reserves(config) {
            "Reserving".to_string()
        } else {
            String::new()
        },
        status: status::DRAFT.to_string(),
        cover_url: req.text("CoverURL", MAX_URL)?.unwrap_or_default(),
        timeline: req.param("Timeline").unwrap_or_default().to_string(),
        template_id: req.text("TemplateId", MAX_TITLE)?.unwrap_or_default(),
        template_type: template_type.to_string(),
        clips_param: req.param("ClipsParam").unwrap_or_default().to_string(),
        created_at: now,
        modified_at: now,
        account: caller.account.clone(),
    };
    projects::insert(&state.db, &row)
        .await
        .map_err(|e| ApiError::internal("storing the project", &e))?;
    Ok(json!({ "Project": super::created_json(&row) }))
}
