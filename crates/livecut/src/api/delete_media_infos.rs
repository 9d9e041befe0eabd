//! `DeleteMediaInfos`: the caller's assets named by `MediaIds` or `InputURLs` (comma-separated)
//! leave the media library, and with `DeletePhysicalFiles=true` their files too (the output, its
//! cover and HLS parts: every object the job recorded that no other job also wrote; the files
//! go first, so a storage failure leaves the asset listed). Ids that are not the caller's are
//! `IgnoredList` (as ids that do not exist); an asset whose job is still running, whose files the
//! key may not delete, or whose storage refused, is `ForbiddenList` and stays.

use serde_json::{Value, json};

use super::error::ApiError;
use super::rpc::RpcRequest;
use super::{AppState, Caller};
use crate::db::job_objects;
use crate::db::media::{self, MediaRow};
use crate::job::location::{self, ObjectLocation};

/// The most assets one call may name.
const MAX_ITEMS: usize = 20;

pub async fn handle(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<Value, ApiError> {
    let physical = req.flag("DeletePhysicalFiles")?;
    let (parameter, names) = match (req.param("MediaIds"), req.param("InputURLs")) {
        (Some(ids), _) => ("MediaIds", crate::db::keys::split_list(ids)),
        (None, Some(urls)) => ("InputURLs", crate::db::keys::split_list(urls)),
        (None, None) => return Err(ApiError::missing("MediaIds")),
    };
    if names.is_empty() {
        return Err(ApiError::missing(parameter));
    }
    if names.len() > MAX_ITEMS {
        return Err(ApiError::invalid(
            parameter,
            &format!(
                "it names {} assets; at most {MAX_ITEMS} at once",
                names.len()
            ),
        ));
    }
    let mut ignored = Vec::new();
    let mut forbidden = Vec::new();
    for name in names {
        let Some(row) = lookup(state, caller, parameter, &name).await? else {
            ignored.push(name);
            continue;
        };
        if row.status == media::status::PREPARING {
            // Its job is still making it: deleting now would race the upload.
            forbidden.push(name);
            continue;
        }
        if physical {
            match delete_files(state, caller, &row).await? {
                Files::Deleted => {}
                Files::Refused => {
                    forbidden.push(name);
                    continue;
                }
            }
        }
        let deleted = media::delete(&state.db, &row.media_id, &caller.account)
            .await
            .map_err(|e| ApiError::internal("deleting the media asset", &e))?;
        if !deleted {
            ignored.push(name);
            continue;
        }
        tracing::info!(media_id = %row.media_id, physical, "media asset deleted");
    }
    Ok(json!({ "IgnoredList": ignored, "ForbiddenList": forbidden }))
}

enum Files {
    Deleted,
    /// The key may not delete one of them, or the storage refused: the asset stays.
    Refused,
}

/// Deletes the files of `row`'s job (output, cover, HLS parts: what the job recorded and no
/// other job also wrote) before its asset goes, so a failure leaves the asset listed and the
/// call can be repeated. Every file must be one the key may write, or none is deleted.
async fn delete_files(
    state: &AppState,
    caller: &Caller,
    row: &MediaRow,
) -> Result<Files, ApiError> {
    let mut ours = Vec::new();
    for o in job_objects::of_job(&state.db, &row.job_id)
        .await
        .map_err(|e| ApiError::internal("reading the job's objects", &e))?
    {
        // An upload that never completed is not a file; the worker's own clean-up aborts it.
        if !o.upload_id.is_empty() {
            continue;
        }
        let only_ours = job_objects::only_of(&state.db, &row.job_id, &o.bucket, &o.key)
            .await
            .map_err(|e| ApiError::internal("reading the job's objects", &e))?;
        if only_ours {
            ours.push(o);
        }
    }
    if !caller.resources.may_write(&row.bucket, &row.object_key)
        || ours
            .iter()
            .any(|o| !caller.resources.may_write(&o.bucket, &o.key))
    {
        return Ok(Files::Refused);
    }
    for o in ours {
        let loc = ObjectLocation {
            bucket: o.bucket.clone(),
            key: o.key.clone(),
        };
        if let Err(e) = state.buckets.delete(&loc).await {
            tracing::warn!(media_id = %row.media_id, error = %e, "deleting a file of an asset failed; the asset stays");
            return Ok(Files::Refused);
        }
        job_objects::forget(&state.db, &row.job_id, &o)
            .await
            .map_err(|e| ApiError::internal("forgetting a deleted file", &e))?;
    }
    Ok(Files::Deleted)
}

async fn lookup(
    state: &AppState,
    caller: &Caller,
    parameter: &str,
    name: &str,
) -> Result<Option<MediaRow>, ApiError> {
    let row = if parameter == "MediaIds" {
        media::get(&state.db, name).await
    } else {
        match location::parse_url(name) {
            Ok(loc) => {
                media::find_by_location(&state.db, &caller.account, &loc.bucket, &loc.key).await
            }
            Err(_) => return Ok(None),
        }
    }
    .map_err(|e| ApiError::internal("reading the media asset", &e))?;
    Ok(row.filter(|m| m.account == caller.account))
}
