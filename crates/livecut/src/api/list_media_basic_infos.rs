//! `ListMediaBasicInfos`: the caller's media assets (the outputs of its jobs), newest first (or
//! `SortBy=UtcCreate:Asc`), filtered by MediaId, Status, BusinessType, MediaType and creation
//! time, paged by MaxResults/NextToken with the TotalCount of the filter; `IncludeFileBasicInfo`
//! adds each file's FileBasicInfo.

use serde_json::{Value, json};

use super::error::ApiError;
use super::paging;
use super::rpc::RpcRequest;
use super::{AppState, Caller};
use crate::db::media::{self, MediaFilter};

pub async fn handle(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<Value, ApiError> {
    let page = paging::page(req, "UtcCreate")?;
    let status = req.param("Status").unwrap_or("");
    if !matches!(
        status,
        "" | media::status::PREPARING | media::status::NORMAL | media::status::PRODUCE_FAILED
    ) {
        return Err(ApiError::invalid(
            "Status",
            "it is not one of Preparing, Normal, ProduceFailed",
        ));
    }
    // Every asset livecut registers is a video made by a job; other types match nothing.
    let media_type = req.param("MediaType").unwrap_or("video");
    let include_files = req.flag("IncludeFileBasicInfo")?;
    if let Some(t) = req.param("AuthTimeout")
        && !t.parse::<i64>().is_ok_and(|s| (1..=2_592_000).contains(&s))
    {
        return Err(ApiError::invalid(
            "AuthTimeout",
            "it is not a number of seconds from 1 to 2592000",
        ));
    }
    let filter = MediaFilter {
        media_id: req.param("MediaId").unwrap_or("").to_string(),
        status: status.to_string(),
        business_type: req.param("BusinessType").unwrap_or("").to_string(),
        created_from: page.created_from,
        created_before: page.created_before,
    };
    let (rows, total) = if media_type == "video" {
        let rows = media::list(
            &state.db,
            &caller.account,
            &filter,
            page.oldest_first,
            page.after.as_ref(),
            page.max_results + 1,
        )
        .await
        .map_err(|e| ApiError::internal("listing media", &e))?;
        let total = media::count(&state.db, &caller.account, &filter)
            .await
            .map_err(|e| ApiError::internal("counting media", &e))?;
        (rows, total)
    } else {
        (Vec::new(), 0)
    };
    let mut body = paging::answer(
        rows,
        &page,
        |m| (m.created_at, m.media_id.as_str()),
        "MediaInfos",
        |row| super::get_media_info::media_info(row, include_files, false),
    );
    body["TotalCount"] = json!(total);
    Ok(body)
}
