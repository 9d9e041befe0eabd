//! `UpdateMediaInfo`: the descriptive fields of one of the caller's assets (named by MediaId or
//! InputURL): Title, Description, CoverURL, MediaTags (replaced, or added to with
//! `AppendTags=true`), Category, CateId, BusinessType, ReferenceId and UserData. What is not given
//! stays.

use serde_json::{Value, json};

use super::error::ApiError;
use super::rpc::{MAX_DESCRIPTION, MAX_TITLE, MAX_URL, RpcRequest};
use super::{AppState, Caller};
use crate::clock::now_ms;
use crate::db::media;

/// Bounds IMS states for these fields (bytes).
const MAX_TAGS: usize = 16;
const MAX_TAG: usize = 32;
const MAX_USER_DATA: usize = 1024;

pub async fn handle(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<Value, ApiError> {
    let mut row = super::get_media_info::find(state, req, caller).await?;
    if let Some(v) = req.text("Title", MAX_TITLE)? {
        row.title = v;
    }
    if let Some(v) = req.text("Description", MAX_DESCRIPTION)? {
        row.library.description = v;
    }
    if let Some(v) = req.text("CoverURL", MAX_URL)? {
        row.cover_url = v;
    }
    if let Some(v) = req.text("Category", MAX_TITLE)? {
        row.library.category = v;
    }
    if let Some(v) = req.text("BusinessType", MAX_TITLE)? {
        row.library.business_type = v;
    }
    if let Some(v) = req.text("ReferenceId", MAX_TITLE)? {
        row.library.reference_id = v;
    }
    if let Some(v) = req.param("UserData") {
        if v.len() > MAX_USER_DATA {
            return Err(ApiError::invalid(
                "UserData",
                &format!("it is longer than {MAX_USER_DATA} bytes"),
            ));
        }
        serde_json::from_str::<serde_json::Map<String, Value>>(v)
            .map_err(|_| ApiError::invalid("UserData", "it is not a JSON object"))?;
        row.user_data = v.to_string();
    }
    if let Some(v) = req.param("CateId") {
        row.library.cate_id = v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::invalid("CateId", "it is not a whole number"))?;
    }
    if let Some(v) = req.text("MediaTags", MAX_TAGS * (MAX_TAG + 1))? {
        let append = req.flag("AppendTags")?;
        let mut tags: Vec<String> = if append {
            crate::db::keys::split_list(&row.library.media_tags)
        } else {
            Vec::new()
        };
        for tag in crate::db::keys::split_list(&v) {
            if tag.chars().count() > MAX_TAG {
                return Err(ApiError::invalid(
                    "MediaTags",
                    &format!("a tag is longer than {MAX_TAG} characters"),
                ));
            }
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(ApiError::invalid(
                "MediaTags",
                &format!("an asset has at most {MAX_TAGS} tags"),
            ));
        }
        row.library.media_tags = tags.join(",");
    }
    let found = media::update_info(&state.db, &row, now_ms())
        .await
        .map_err(|e| ApiError::internal("updating the media asset", &e))?;
    if !found {
        return Err(ApiError::not_found("media"));
    }
    Ok(json!({ "MediaId": row.media_id }))
}
