//! `GetEditingProject`: one project of the caller's account (another account's answers as one
//! that does not exist).

use serde_json::{Value, json};

use super::super::error::ApiError;
use super::super::rpc::RpcRequest;
use super::super::{AppState, Caller};

pub async fn handle(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<Value, ApiError> {
    let id = req
        .param("ProjectId")
        .ok_or_else(|| ApiError::missing("ProjectId"))?;
    let project = super::owned(state, caller, id).await?;
    Ok(json!({ "Project": super::full_json(&project) }))
}
