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
    let project = super::named(state, req, caller).await?;
    Ok(json!({ "Project": super::full_json(&project) }))
}
