//! Supervising one `media-job` child: kill it on the job time limit or when the lease is lost,
//! and read its outcome.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use super::WorkerContext;
use super::lease::LeaseKeeper;
use super::media_job::{ChildOutcome, EXIT_DONE, EXIT_FAILED, MediaJobSpec};
use crate::code::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    #[error("Cannot start the media process: {0}")]
    Spawn(std::io::Error),
    #[error("Cannot write the media job spec {path}: {reason}")]
    Spec { path: String, reason: String },
    #[error("The media process {how} while cutting {clips} clip(s).")]
    Crashed {
        how: String,
        clips: usize,
        /// The signal that ended it (None: an unexpected exit code).
        signal: Option<i32>,
    },
    #[error("The media process exceeded the job time limit of {0} s and was stopped.")]
    Timeout(u64),
    #[error("The media process ended without a readable result: {0}")]
    NoResult(String),
    #[error("The job's lease was lost to another worker.")]
    LeaseLost,
}

impl ChildError {
    /// The code a job fails with. `LeaseLost` never fails a job (the worker walks away and the
    /// new owner decides), so its code is never shown; it is listed to keep the match exhaustive.
    pub fn code(&self) -> ErrorCode {
        match self {
            ChildError::Crashed { .. } => ErrorCode::MediaProcessCrashed,
            ChildError::Timeout(_) => ErrorCode::MediaProcessTimeout,
            ChildError::Spawn(_)
            | ChildError::Spec { .. }
            | ChildError::NoResult(_)
            | ChildError::LeaseLost => ErrorCode::InternalError,
        }
    }
}

pub async fn run_media_child(
    ctx: &WorkerContext,
    lease: &mut LeaseKeeper,
    work_dir: &Path,
    job_spec: &MediaJobSpec,
) -> Result<ChildOutcome, ChildError> {
    let spec = work_dir.join("job.json");
    let result = work_dir.join("result.json");
    let clips = job_spec.cut.clips.len();
    let json = serde_json::to_vec(job_spec).map_err(|e| ChildError::Spec {
        path: spec.display().to_string(),
        reason: e.to_string(),
    })?;
    tokio::fs::write(&spec, json)
        .await
        .map_err(|e| ChildError::Spec {
            path: spec.display().to_string(),
            reason: e.to_string(),
        })?;
    let mut child = Command::new(&ctx.exe)
        .arg("media-job")
        .arg("--spec")
        .arg(&spec)
        .arg("--result")
        .arg(&result)
        .stdin(Stdio::null())
        // The child parses untrusted media; it needs no secret of the database.
        .env_remove("LIVECUT_MASTER_KEY")
        .env_remove("LIVECUT_MASTER_KEY_PREVIOUS")
        .env_remove("LIVECUT_MASTER_KEY_FILE")
        .kill_on_drop(true)
        .spawn()
        .map_err(ChildError::Spawn)?;
    let deadline = tokio::time::sleep(Duration::from_secs(ctx.settings.job_timeout_seconds));
    tokio::pin!(deadline);
    let reporter = lease.reporter();
    let mut poll = tokio::time::interval(Duration::from_secs(1));
    let status = loop {
        tokio::select! {
            status = child.wait() => break status.map_err(ChildError::Spawn)?,
            _ = lease.lost() => {
                let _ = child.kill().await;
                return Err(ChildError::LeaseLost);
            }
            _ = &mut deadline => {
                let _ = child.kill().await;
                return Err(ChildError::Timeout(ctx.settings.job_timeout_seconds));
            }
            _ = poll.tick() => {
                if let Some(path) = &job_spec.progress
                    && let Some(p) = super::progress::read_file(path).await
                {
                    reporter.send_replace(super::progress::cutting(&p).to_string());
                }
            }
        }
    };
    match status.code() {
        Some(EXIT_DONE | EXIT_FAILED) => {
            let bytes = tokio::fs::read(&result)
                .await
                .map_err(|e| ChildError::NoResult(e.to_string()))?;
            serde_json::from_slice(&bytes).map_err(|e| ChildError::NoResult(e.to_string()))
        }
        Some(code) => Err(ChildError::Crashed {
            how: format!("ended with exit code {code}"),
            clips,
            signal: None,
        }),
        None => {
            use std::os::unix::process::ExitStatusExt;
            let signal = status.signal().unwrap_or(0);
            Err(ChildError::Crashed {
                how: signal_story(signal),
                clips,
                signal: Some(signal),
            })
        }
    }
}

/// What a signal that ended the media process says about why, for the job's Message: a
/// process killed from outside (out of memory, an operator) is not a damaged recording.
fn signal_story(signal: i32) -> String {
    match signal {
        9 => "was killed by signal 9 (SIGKILL: the kernel's out-of-memory killer, or an operator)"
            .into(),
        15 => "was stopped by signal 15 (SIGTERM)".into(),
        11 => "crashed on signal 11 (SIGSEGV, an invalid memory access)".into(),
        6 => "aborted on signal 6 (SIGABRT)".into(),
        7 => "crashed on signal 7 (SIGBUS)".into(),
        n => format!("was ended by signal {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crashes_and_timeouts_have_their_own_codes() {
        let crashed = ChildError::Crashed {
            how: signal_story(9),
            clips: 2,
            signal: Some(9),
        };
        assert!(crashed.to_string().contains("out-of-memory"), "{crashed}");
        assert!(!crashed.to_string().contains("corrupt"), "{crashed}");
        assert_eq!(crashed.code().as_str(), "InternalError.MediaProcessCrashed");
        assert_eq!(
            ChildError::Timeout(60).code().as_str(),
            "InternalError.MediaProcessTimeout"
        );
        let spawn = ChildError::Spawn(std::io::Error::other("no exe"));
        let others = [
            spawn,
            ChildError::Spec {
                path: "/s/job.json".into(),
                reason: "disk full".into(),
            },
            ChildError::NoResult("missing".into()),
        ];
        for e in others {
            assert_eq!(e.code().as_str(), "InternalError", "{e:?}");
        }
    }
}
