//! Checks at Submit that every object a job will write has a storage that takes it: a
//! configured backend (or the local default) for its bucket and credentials the storage accepts.
//! So a job is never accepted only to fail after its cut for a reason known at Submit. (That no
//! other live job writes the same output is checked in the Submit transaction itself,
//! `db::output_owners`.)

use super::AppState;
use super::error::ApiError;
use crate::job::location::parse_url;
use crate::job::request::{JobRequest, OutputTarget};

/// The parameter that names a job's output location.
pub fn output_parameter(request: &JobRequest) -> &'static str {
    match request.target {
        OutputTarget::VodMedia => "OutputMediaConfig.StorageLocation",
        OutputTarget::OssObject => "OutputMediaConfig.MediaURL",
    }
}

pub async fn check(state: &AppState, request: &JobRequest) -> Result<(), ApiError> {
    check_bucket(state, output_parameter(request), &request.output.bucket).await?;
    for (i, clip) in request.clips.iter().enumerate() {
        if let Some(url) = &clip.cover_url
            && let Ok(loc) = parse_url(url)
        {
            check_bucket(state, &format!("Clips[{i}].CoverUrl"), &loc.bucket).await?;
        }
    }
    Ok(())
}

pub(super) async fn check_bucket(
    state: &AppState,
    parameter: &str,
    bucket: &str,
) -> Result<(), ApiError> {
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
