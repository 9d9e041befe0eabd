//! Storing a validated job: project, media asset and queued job in one transaction, so a
//! response with a JobId always means the job is durable and will run.

use crate::clock::now_ms;
use crate::db::jobs::{self, NewJob};
use crate::db::media::{self, MediaRow};
use crate::db::{Db, DbError, nonces, output_owners, projects};
use crate::ids::new_resource_id;

use super::request::JobRequest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub job_id: String,
    pub project_id: String,
    pub media_id: String,
    pub media_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("The specified parameter ProjectId is not valid: project {0:?} does not exist.")]
    UnknownProject(String),
    /// Another job that has not failed writes this output; the API names the parameter.
    #[error("{location} is already the output of {owner}; choose another name")]
    OutputTaken { location: String, owner: String },
    #[error("Specified signature nonce was used already.")]
    NonceUsed,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Who submits: the account the job belongs to, and the request's signature nonce when it is to
/// be claimed in the job's transaction (a replay then stores nothing).
pub struct Submitter<'a> {
    pub account: &'a str,
    pub nonce: Option<&'a str>,
}

/// Stores the job for the submitter's account: its project must be that account's, and the
/// project, asset and job it creates are.
pub async fn submit(
    db: &Db,
    request: &JobRequest,
    max_attempts: i64,
    submitter: Submitter<'_>,
) -> Result<Submitted, SubmitError> {
    let account = submitter.account;
    let now = now_ms();
    let job_id = new_resource_id();
    let media_id = new_resource_id();
    let request_json = serde_json::to_string(request)
        .map_err(|e| DbError::Corrupt(format!("cannot encode the job request: {e}")))?;
    let _turn = db.hot_writer().await;
    let mut tx = db.pool.begin().await.map_err(DbError::from)?;
    if let Some(nonce) = submitter.nonce
        && !nonces::claim_in(&mut tx, nonce, now, nonces::TTL_MS).await?
    {
        return Err(SubmitError::NonceUsed);
    }
    let project_id = match &request.project_id {
        Some(p) => {
            if !projects::set_producing_in(&mut tx, p, account, now).await? {
                return Err(SubmitError::UnknownProject(p.clone()));
            }
            p.clone()
        }
        None => {
            let p = new_resource_id();
            projects::create_for_job(
                &mut tx,
                &p,
                &format!("Live editing job {job_id}"),
                account,
                now,
            )
            .await?;
            p
        }
    };
    if let Some(owner) = output_owners::take(
        &mut tx,
        &request.output.bucket,
        &request.output.key,
        &job_id,
    )
    .await?
    {
        // Another account's job id is not told (ids do not leak across accounts).
        let owner = match jobs::account_of_in(&mut tx, &owner).await?.as_deref() {
            Some(a) if a == account => format!("job {owner}"),
            _ => "a job of another account".to_string(),
        };
        return Err(SubmitError::OutputTaken {
            location: request.output.canonical_url(),
            owner,
        });
    }
    media::insert(
        &mut tx,
        &MediaRow {
            media_id: media_id.clone(),
            job_id: job_id.clone(),
            input_url: request.media_url.clone(),
            bucket: request.output.bucket.clone(),
            object_key: request.output.key.clone(),
            status: media::status::PREPARING.to_string(),
            title: request
                .output
                .key
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string(),
            cover_url: String::new(),
            user_data: request.user_data.clone(),
            probe: String::new(),
            file_size: 0,
            created_at: now,
            modified_at: now,
            account: account.to_string(),
            library: media::LibraryFields::default(),
        },
    )
    .await?;
    jobs::insert(
        &mut tx,
        &NewJob {
            job_id: &job_id,
            project_id: &project_id,
            media_id: &media_id,
            media_url: &request.media_url,
            mode: request.mode.as_str(),
            request: &request_json,
            max_attempts,
            now_ms: now,
            account,
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(Submitted {
        job_id,
        project_id,
        media_id,
        media_url: request.media_url.clone(),
    })
}
