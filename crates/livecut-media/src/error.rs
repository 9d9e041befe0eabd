//! The one error type of the media engine. Every variant names what failed
//! and where (clip index, segment URI, frame timestamp) because the message
//! ends up in a job's failure reason, read by someone who has only the job.

use std::path::PathBuf;

/// Errors of probing, cutting and test-recording generation.
#[derive(thiserror::Error, Debug)]
pub enum MediaError {
    /// The job itself is inconsistent (no clips, end <= start, ...).
    #[error("invalid job: {0}")]
    InvalidJob(String),

    /// A segment file listed for a clip does not exist or cannot be opened.
    #[error("clip {clip}: segment {uri} cannot be read from {path}: {detail}")]
    SegmentMissing {
        clip: usize,
        uri: String,
        path: PathBuf,
        detail: String,
    },

    /// The requested range has no video frame in the listed segments.
    #[error("clip {clip}: no recorded video in [{start_utc_us}, {end_utc_us}) us UTC: {detail}")]
    NoContent {
        clip: usize,
        start_utc_us: i64,
        end_utc_us: i64,
        detail: String,
    },

    /// A segment is not a usable MPEG-TS recording (corrupt, no video, ...).
    #[error("clip {clip}: segment {uri}: {detail}")]
    BadSegment {
        clip: usize,
        uri: String,
        detail: String,
    },

    /// A frame that has to be decoded for a re-encode could not be.
    #[error("clip {clip}: segment {uri}: frame at pts {pts} (90 kHz): {detail}")]
    CorruptFrame {
        clip: usize,
        uri: String,
        pts: i64,
        detail: String,
    },

    /// The input or the requested mode is outside what is implemented.
    #[error("not supported{}: {what}", clip.map(|c| format!(" (clip {c})")).unwrap_or_default())]
    Unsupported { clip: Option<usize>, what: String },

    /// An encoder could not be opened or failed while encoding.
    #[error("encoder failure{}: {detail}", clip.map(|c| format!(" (clip {c})")).unwrap_or_default())]
    Encoder { clip: Option<usize>, detail: String },

    /// Writing an output file failed.
    #[error("writing {path}: {detail}")]
    Output { path: PathBuf, detail: String },

    /// A file given to `probe` is missing or not a media file.
    #[error("probing {path}: {detail}")]
    Probe {
        path: PathBuf,
        missing: bool,
        detail: String,
    },

    /// A broken invariant inside the engine (a bug, not bad input).
    #[error("internal media error: {0}")]
    Internal(String),
}

impl MediaError {
    /// The Alibaba-style error code for a failed job.
    pub fn code(&self) -> &'static str {
        match self {
            MediaError::InvalidJob(_) => "InvalidParameter",
            MediaError::SegmentMissing { .. } | MediaError::NoContent { .. } => {
                "InvalidParameter.ResourceNotFound"
            }
            MediaError::Probe { missing: true, .. } => "InvalidParameter.ResourceNotFound",
            MediaError::BadSegment { .. }
            | MediaError::CorruptFrame { .. }
            | MediaError::Probe { missing: false, .. } => "InvalidParameter.ResourceContentBad",
            MediaError::Unsupported { .. } => "InvalidParameter.NotSupported",
            MediaError::Encoder { .. } | MediaError::Output { .. } | MediaError::Internal(_) => {
                "InternalError"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_alibaba_families() {
        let missing = MediaError::SegmentMissing {
            clip: 2,
            uri: "seg00007.ts".into(),
            path: "/x/seg00007.ts".into(),
            detail: "No such file or directory".into(),
        };
        assert_eq!(missing.code(), "InvalidParameter.ResourceNotFound");
        let text = missing.to_string();
        assert!(
            text.contains("clip 2") && text.contains("seg00007.ts"),
            "{text}"
        );

        let bad = MediaError::BadSegment {
            clip: 0,
            uri: "a.ts".into(),
            detail: "no video stream".into(),
        };
        assert_eq!(bad.code(), "InvalidParameter.ResourceContentBad");

        let unsupported = MediaError::Unsupported {
            clip: Some(1),
            what: "HEVC".into(),
        };
        assert_eq!(unsupported.code(), "InvalidParameter.NotSupported");
        assert_eq!(unsupported.to_string(), "not supported (clip 1): HEVC");
        let general = MediaError::Unsupported {
            clip: None,
            what: "Rough".into(),
        };
        assert_eq!(general.to_string(), "not supported: Rough");

        assert_eq!(MediaError::Internal("x".into()).code(), "InternalError");
        assert_eq!(
            MediaError::Probe {
                path: "/nope".into(),
                missing: true,
                detail: "gone".into()
            }
            .code(),
            "InvalidParameter.ResourceNotFound"
        );
    }
}
