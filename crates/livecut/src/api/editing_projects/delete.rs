//! `DeleteEditingProjects`: the caller's projects among `ProjectIds` (comma-separated) are
//! deleted; ids that are not the caller's are passed over, as ids that do not exist. Jobs keep
//! their ProjectId; a Submit naming a deleted project is refused.

use serde_json::{Value, json};

use super::super::error::ApiError;
use super::super::rpc::RpcRequest;
use super::super::{AppState, Caller};
use crate::db::projects;

/// The most ids one call may name.
const MAX_IDS: usize = 100;

pub async fn handle(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<Value, ApiError> {
    let ids = crate::db::keys::split_list(
        req.param("ProjectIds")
            .ok_or_else(|| ApiError::missing("ProjectIds"))?,
    );
    if ids.is_empty() {
        return Err(ApiError::missing("ProjectIds"));
    }
    if ids.len() > MAX_IDS {
        return Err(ApiError::invalid(
            "ProjectIds",
            &format!("it names {} projects; at most {MAX_IDS} at once", ids.len()),
        ));
    }
    let deleted = projects::delete(&state.db, &ids, &caller.account)
        .await
        .map_err(|e| ApiError::internal("deleting projects", &e))?;
    tracing::info!(
        deleted = deleted.len(),
        asked = ids.len(),
        "projects deleted"
    );
    Ok(json!({}))
}
