//! `ListEditingProjects`: the caller's projects, newest first (or `SortBy=CreationTime:Asc`),
//! filtered by ProjectType, CreateSource, Status, TemplateType, a Keyword in the title and the
//! creation time, paged by MaxResults/NextToken.

use serde_json::Value;

use super::super::error::ApiError;
use super::super::paging;
use super::super::rpc::RpcRequest;
use super::super::{AppState, Caller};
use crate::db::projects::{self, ProjectFilter, status};

const MAX_KEYWORD: usize = 128;

pub async fn handle(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<Value, ApiError> {
    let page = paging::page(req, "CreationTime")?;
    let one_of = |name: &str, allowed: &[&str]| -> Result<String, ApiError> {
        match req.param(name) {
            None => Ok(String::new()),
            Some(v) if allowed.contains(&v) => Ok(v.to_string()),
            Some(_) => Err(ApiError::invalid(
                name,
                &format!("it is not one of {}", allowed.join(", ")),
            )),
        }
    };
    let keyword = req.param("Keyword").unwrap_or("").to_string();
    if keyword.len() > MAX_KEYWORD {
        return Err(ApiError::invalid(
            "Keyword",
            &format!("it is longer than {MAX_KEYWORD} bytes"),
        ));
    }
    let filter = ProjectFilter {
        project_type: one_of(
            "ProjectType",
            &["EditingProject", projects::LIVE_EDITING_PROJECT],
        )?,
        create_source: req.param("CreateSource").unwrap_or("").to_string(),
        status: one_of(
            "Status",
            &[
                status::DRAFT,
                "Editing",
                status::PRODUCING,
                status::PRODUCED,
                status::PRODUCE_FAILED,
            ],
        )?,
        template_type: req.param("TemplateType").unwrap_or("").to_string(),
        keyword,
        created_from: page.created_from,
        created_before: page.created_before,
    };
    let rows = projects::list(
        &state.db,
        &caller.account,
        &filter,
        page.oldest_first,
        page.after.as_ref(),
        page.max_results + 1,
    )
    .await
    .map_err(|e| ApiError::internal("listing projects", &e))?;
    Ok(paging::answer(
        rows,
        &page,
        |p| (p.created_at, p.project_id.as_str()),
        "ProjectList",
        super::listed_json,
    ))
}
