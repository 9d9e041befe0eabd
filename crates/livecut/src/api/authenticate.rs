//! Who is calling and may they: signature (V3 or V1), key lookup, clock window, nonce replay, then
//! the key's RAM actions. Secrets never reach a log line.

use time::OffsetDateTime;

use super::error::ApiError;
use super::rpc::RpcRequest;
use crate::clock::now_ms;
use crate::code::ErrorCode;
use crate::db::{Db, keys, nonces};

/// Nonces are remembered for the whole validity window of a signature: 15 minutes either side.
const NONCE_TTL_MS: i64 = 30 * 60 * 1000;

pub async fn authenticate(db: &Db, req: &RpcRequest, action: &str) -> Result<(), ApiError> {
    let signed = livecut_auth::SignedRequest {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        form: &req.form,
        headers: &req.headers,
        body: &req.body,
    };
    let parsed = livecut_auth::parse(&signed)?;
    let key_id = parsed.access_key_id();
    let key = keys::find(db, key_id)
        .await
        .map_err(|e| ApiError::internal("access key lookup", &e))?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::AccessKeyNotFound,
                format!("Specified access key {key_id:?} is not found."),
            )
        })?;
    if key.disabled {
        return Err(ApiError::new(
            ErrorCode::AccessKeyInactive,
            format!("Specified access key {key_id:?} is disabled."),
        ));
    }
    livecut_auth::verify(&parsed, &signed, &key.secret, OffsetDateTime::now_utc())?;
    // Only a correctly signed request may burn a nonce; otherwise anyone could block nonces.
    let fresh = nonces::claim(db, parsed.nonce(), now_ms(), NONCE_TTL_MS)
        .await
        .map_err(|e| ApiError::internal("nonce store", &e))?;
    if !fresh {
        return Err(ApiError::new(
            ErrorCode::SignatureNonceUsed,
            "Specified signature nonce was used already.",
        ));
    }
    if !key.allows(action) {
        return Err(ApiError::new(
            ErrorCode::ForbiddenRam,
            format!(
                "User not authorized to operate on the specified resource: access key {key_id:?} is not allowed to call ice:{action}."
            ),
        ));
    }
    Ok(())
}
