//! `UpdateEditingProject`: Title, Description, CoverURL, Timeline, TemplateId, ClipsParam and
//! BusinessStatus (a reservation: Reserving or ReservationCanceled); what is not given stays.

use serde_json::{Value, json};

use super::super::error::ApiError;
use super::super::rpc::{MAX_DESCRIPTION, MAX_TITLE, MAX_URL, RpcRequest};
use super::super::{AppState, Caller};
use super::SOURCE_OPENAPI;
use crate::clock::now_ms;
use crate::db::projects;

pub async fn handle(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<Value, ApiError> {
    let mut project = super::named(state, req, caller).await?;
    if let Some(s) = req.param("BusinessStatus") {
        if !matches!(s, "Reserving" | "ReservationCanceled") {
            return Err(ApiError::invalid(
                "BusinessStatus",
                "it is not one of Reserving, ReservationCanceled",
            ));
        }
        project.business_status = s.to_string();
    }
    if let Some(v) = req.text("Title", MAX_TITLE)? {
        project.title = v;
    }
    if let Some(v) = req.text("Description", MAX_DESCRIPTION)? {
        project.description = v;
    }
    if let Some(v) = req.text("CoverURL", MAX_URL)? {
        project.cover_url = v;
    }
    if let Some(v) = req.text("TemplateId", MAX_TITLE)? {
        project.template_id = v;
    }
    if let Some(v) = req.param("Timeline") {
        project.timeline = v.to_string();
    }
    if let Some(v) = req.param("ClipsParam") {
        project.clips_param = v.to_string();
    }
    project.modified_source = SOURCE_OPENAPI.to_string();
    project.modified_at = now_ms();
    let found = projects::update(&state.db, &project)
        .await
        .map_err(|e| ApiError::internal("updating the project", &e))?;
    if !found {
        // Deleted between the read and the write.
        return Err(ApiError::not_found("project"));
    }
    Ok(json!({}))
}
