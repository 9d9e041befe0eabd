//! Checks at Submit that every object a job will write has a storage that takes it: a
//! configured backend (or the local default) for its bucket, credentials the storage accepts,
//! and no other live job writing the same MediaURL. So a job is never accepted only to fail
//! after its cut for a reason known at Submit.

use super::AppState;
use super::error::ApiError;
use crate::db::media;
use crate::job::location::{ObjectLocation, parse_url};
use crate::job::request::{JobRequest, OutputTarget};

pub async fn check(state: &AppState, request: &JobRequest) -> Result<(), ApiError> {
    let output_param = match request.target {
        OutputTarget::VodMedia => "OutputMediaConfig.StorageLocation",
        OutputTarget::OssObject => "OutputMediaConfig.MediaURL",
    };
    check_bucket(state, output_param, &request.output.bucket).await?;
    for (i, clip) in request.clips.iter().enumerate() {
        if let Some(url) = &clip.cover_url
            && let Ok(loc) = parse_url(url)
        {
            check_bucket(state, &format!("Clips[{i}].CoverUrl"), &loc.bucket).await?;
        }
    }
    check_owner(state, output_param, &request.output).await
}

async fn check_bucket(state: &AppState, parameter: &str, bucket: &str) -> Result<(), ApiError> {
    if state.buckets.backend(bucket).is_err() {
        return Err(ApiError::invalid(
            parameter,
            &format!("bucket {bucket:?} has no storage backend configured on this server"),
        ));
    }
    state.buckets.check_access(bucket).await.map_err(|e| {
        ApiError::invalid(
            parameter,
            &format!("the storage of bucket {bucket:?} refuses this server's credentials ({e})"),
        )
    })
}

/// Another job that has not failed owns this output: writing it again would overwrite that
/// job's result.
async fn check_owner(
    state: &AppState,
    parameter: &str,
    output: &ObjectLocation,
) -> Result<(), ApiError> {
    match media::live_job_writing(&state.db, &output.bucket, &output.key).await {
        Ok(None) => Ok(()),
        Ok(Some(job_id)) => Err(ApiError::invalid(
            parameter,
            &format!(
                "{} is already the output of job {job_id}; choose another name",
                output.canonical_url()
            ),
        )),
        Err(e) => Err(ApiError::internal("checking the output's owner", &e)),
    }
}
