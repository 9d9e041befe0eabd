//! Who is calling and may they: signature (V3 or V1), key lookup, clock window, nonce replay, then
//! the key's RAM actions. Secrets never reach a log line.

use time::OffsetDateTime;

use super::AppState;
use super::error::ApiError;
use super::nonce_window::Seen;
use super::rpc::RpcRequest;
use crate::clock::now_ms;
use crate::code::ErrorCode;
use crate::db::{keys, nonces};

use crate::db::nonces::TTL_MS as NONCE_TTL_MS;

/// The actions that change state: their nonces are also claimed in the database, so a replay
/// to another process of a scale-out is refused as well (see `nonce_window`).
const WRITES: [&str; 7] = [
    SUBMIT,
    "SetEventCallback",
    "CreateEditingProject",
    "UpdateEditingProject",
    "DeleteEditingProjects",
    "DeleteMediaInfos",
    "UpdateMediaInfo",
];

/// The write whose handler claims the nonce in its own transaction (one commit per Submit, not
/// two: Submit is the hot write).
const SUBMIT: &str = "SubmitLiveEditingJob";

/// Who signed a request.
pub struct Authenticated {
    pub key: keys::AccessKey,
    /// A nonce still to be claimed in the database by the handler's write (Submit's).
    pub unclaimed_nonce: Option<String>,
}

/// The key that signed the request, once it may call `action`.
pub async fn authenticate(
    state: &AppState,
    req: &RpcRequest,
    action: &str,
) -> Result<Authenticated, ApiError> {
    let db = &state.db;
    let throttle = state.key_throttle.as_deref();
    let signed = livecut_auth::SignedRequest {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        form: &req.form,
        headers: &req.headers,
        body: &req.body,
    };
    let parsed = livecut_auth::parse(&signed)?;
    // The action dispatched must be the one the signature covers (V3 signs `x-acs-action`,
    // V1 the `Action` parameter); a request naming two actions answers neither.
    if parsed
        .action()
        .is_some_and(|signed_action| signed_action != action)
    {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "The specified parameter Action does not match the signed action.",
        ));
    }
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
    // The current secret, or the previous one while a rotation's overlap lasts; the current
    // secret's answer is the one reported when neither holds.
    let now_utc = OffsetDateTime::now_utc();
    let mut verdict = Ok(());
    for (i, secret) in key.secrets_at(now_ms()).enumerate() {
        match livecut_auth::verify(&parsed, &signed, secret, now_utc) {
            Ok(()) => {
                verdict = Ok(());
                break;
            }
            Err(e) if i == 0 => verdict = Err(e),
            Err(_) => {}
        }
    }
    verdict?;
    // Counted only once the signature holds, so no one can spend another key's budget.
    if let Some(throttle) = throttle
        && let Err(wait) = throttle.check(&key.access_key_id)
    {
        crate::metrics::throttled("key");
        return Err(ApiError::new(
            ErrorCode::ThrottlingUser,
            format!(
                "Request was denied due to user flow control: access key {key_id:?} made more \
                 than {} calls per second.",
                throttle.rate()
            ),
        )
        .with_retry_after(wait));
    }
    // Only a correctly signed request may burn a nonce; otherwise anyone could block nonces.
    let now = now_ms();
    let mut unclaimed_nonce = None;
    let fresh = match state
        .nonces
        .check(key_id, parsed.nonce(), now + NONCE_TTL_MS, now)
    {
        Seen::Replayed => false,
        Seen::Fresh if !WRITES.contains(&action) => true,
        Seen::Fresh | Seen::Full if action == SUBMIT => {
            unclaimed_nonce = Some(parsed.nonce().to_string());
            true
        }
        Seen::Fresh | Seen::Full => nonces::claim(db, parsed.nonce(), now, NONCE_TTL_MS)
            .await
            .map_err(|e| ApiError::internal("nonce store", &e))?,
    };
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
    Ok(Authenticated {
        key,
        unclaimed_nonce,
    })
}
