//! The child side of a job: `livecut media-job --spec F --result R`. Reads the spec, cuts,
//! probes the output, renders the cover, writes the outcome as JSON. Runs in its own process so that libav faults
//! stay here.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use livecut_media::{CoverReport, CoverRequest, CutJob, CutReport, HlsOutput, MediaProbe};

use crate::code::ErrorCode;
use crate::config::Config;
use crate::storage::{Buckets, FetchItem, Prefetch};

/// Everything a child does for one job: the cut, then (optionally) the cover image and the
/// HLS remux of the cut.
#[derive(Serialize, Deserialize, Debug)]
pub struct MediaJobSpec {
    pub cut: CutJob,
    pub cover: Option<CoverRequest>,
    pub hls: Option<HlsRequest>,
    /// Remote segments to download into the scratch folder while the cut runs.
    #[serde(default)]
    pub fetch: Vec<FetchItem>,
    /// Where the buckets of `fetch` are configured (present when `fetch` is not empty).
    #[serde(default)]
    pub storage: Option<ChildStorage>,
    /// Where the child writes the engine's progress for its worker (`worker::progress`).
    #[serde(default)]
    pub progress: Option<PathBuf>,
}

/// How the child builds the bucket map its downloads use: the same configuration file as its
/// parent (credentials come from the environment it inherits, or the files the file names).
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct ChildStorage {
    pub config: Option<PathBuf>,
    pub buckets_dir: PathBuf,
}

/// Remote segments downloaded at once (and so, how far the downloads run ahead of the cut).
const FETCH_IN_FLIGHT: usize = 8;

/// Remux the cut MP4 into `dir/playlist_name` + `dir/<segment_prefix>NNNNN.ts`.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct HlsRequest {
    pub dir: std::path::PathBuf,
    pub playlist_name: String,
    pub segment_prefix: String,
    pub target_seconds: u32,
}

#[derive(Serialize, Deserialize, Debug)]
pub enum ChildOutcome {
    Done {
        report: CutReport,
        probe: MediaProbe,
        cover: Option<CoverReport>,
        hls: Option<HlsOutput>,
        /// Bytes read from object storage.
        #[serde(default)]
        bytes_read: u64,
    },
    /// `code` travels as its wire string, so the JSON is the same as when codes were strings.
    Failed { code: ErrorCode, message: String },
}

/// Exit codes the parent understands; anything else (or a signal) is a crash.
pub const EXIT_DONE: i32 = 0;
pub const EXIT_FAILED: i32 = 3;

pub fn run(spec: &Path, result: &Path) -> i32 {
    die_with_parent();
    let outcome = match execute(spec) {
        Ok((report, probe, cover, hls, bytes_read)) => ChildOutcome::Done {
            report,
            probe,
            cover,
            hls,
            bytes_read,
        },
        Err((code, message)) => ChildOutcome::Failed { code, message },
    };
    let exit = match outcome {
        ChildOutcome::Done { .. } => EXIT_DONE,
        ChildOutcome::Failed { .. } => EXIT_FAILED,
    };
    let Ok(json) = serde_json::to_vec(&outcome) else {
        return 1;
    };
    // Written under a temporary name and renamed, so the parent never reads half a result.
    let tmp = result.with_extension("tmp");
    if std::fs::write(&tmp, json).is_err() || std::fs::rename(&tmp, result).is_err() {
        return 1;
    }
    exit
}

type Produced = (
    CutReport,
    MediaProbe,
    Option<CoverReport>,
    Option<HlsOutput>,
    u64,
);

fn execute(spec: &Path) -> Result<Produced, (ErrorCode, String)> {
    let text = std::fs::read(spec).map_err(|e| {
        (
            ErrorCode::InternalError,
            format!("Cannot read the job spec {}: {e}", spec.display()),
        )
    })?;
    let spec: MediaJobSpec = serde_json::from_slice(&text)
        .map_err(|e| (ErrorCode::InternalError, format!("Bad job spec: {e}")))?;
    let job = &spec.cut;
    let fail = |e: livecut_media::MediaError| (ErrorCode::from(&e), e.to_string());
    livecut_media::init().map_err(fail)?;
    let prefetch = start_downloads(&spec)?;
    // At most four writes a second: the worker reads once a second.
    let mut written_at: Option<std::time::Instant> = None;
    let report = livecut_media::cut(job, &mut |p| {
        let due = written_at.is_none_or(|t| t.elapsed() >= std::time::Duration::from_millis(250));
        let last = p.step == livecut_media::Step::Writing && p.done == p.total;
        if let Some(path) = &spec.progress
            && (due || last)
        {
            super::progress::write_file(path, &p);
            written_at = Some(std::time::Instant::now());
        }
    })
    .map_err(fail)?;
    let probe = livecut_media::probe(&job.output).map_err(fail)?;
    let cover = spec
        .cover
        .as_ref()
        .map(livecut_media::cover)
        .transpose()
        .map_err(fail)?;
    let hls = spec
        .hls
        .as_ref()
        .map(|h| {
            livecut_media::remux_to_hls(
                &job.output,
                &h.dir,
                &h.playlist_name,
                &h.segment_prefix,
                h.target_seconds,
            )
        })
        .transpose()
        .map_err(fail)?;
    let bytes_read = prefetch.as_ref().map_or(0, Prefetch::bytes_read);
    Ok((report, probe, cover, hls, bytes_read))
}

/// Starts downloading the job's remote segments and installs the engine's segment gate, which
/// waits for each segment before the engine opens it.
fn start_downloads(spec: &MediaJobSpec) -> Result<Option<Prefetch>, (ErrorCode, String)> {
    if spec.fetch.is_empty() {
        return Ok(None);
    }
    let internal = |m: String| (ErrorCode::InternalError, m);
    let storage = spec
        .storage
        .as_ref()
        .ok_or_else(|| internal("The job spec lists downloads but no storage".into()))?;
    let config = Config::load(storage.config.as_deref()).map_err(|e| internal(e.to_string()))?;
    let buckets =
        Buckets::from_config(&storage.buckets_dir, &config).map_err(|e| internal(e.to_string()))?;
    let prefetch = Prefetch::start(buckets, spec.fetch.clone(), FETCH_IN_FLIGHT)
        .map_err(|e| internal(format!("Cannot start the segment downloads: {e}")))?;
    livecut_media::install_segment_gate(prefetch.gate());
    Ok(Some(prefetch))
}

/// If the server dies (even by SIGKILL) its children must not keep running and writing: the job
/// will be redone by whichever worker takes the expired lease.
#[allow(unsafe_code)] // the one libc call of the service; nothing else here may use unsafe
fn die_with_parent() {
    // SAFETY: prctl(PR_SET_PDEATHSIG, sig) takes integers only (no pointers) and just sets the
    // parent-death signal of this process; it cannot touch memory.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
    // The parent may have died before the prctl took effect.
    if std::os::unix::process::parent_id() == 1 {
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code inside the outcome is its wire string, so the JSON is what it was when codes
    /// were plain strings.
    #[test]
    fn failed_outcome_json_carries_the_wire_code() {
        let outcome = ChildOutcome::Failed {
            code: ErrorCode::ResourceNotFound,
            message: "clip 0: segment a.ts cannot be read".into(),
        };
        let json = serde_json::to_string(&outcome).unwrap();
        assert_eq!(
            json,
            r#"{"Failed":{"code":"InvalidParameter.ResourceNotFound","message":"clip 0: segment a.ts cannot be read"}}"#
        );
        match serde_json::from_str::<ChildOutcome>(&json).unwrap() {
            ChildOutcome::Failed { code, message } => {
                assert_eq!(code, ErrorCode::ResourceNotFound);
                assert_eq!(message, "clip 0: segment a.ts cannot be read");
            }
            other => panic!("{other:?}"),
        }
    }
}
