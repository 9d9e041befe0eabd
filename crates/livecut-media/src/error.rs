//! The one error type of the media engine. Every variant names what failed
//! and where (clip index, segment URI, frame timestamp) because the message
//! ends up in a job's failure reason, read by someone who has only the job.

use std::borrow::Cow;
use std::path::PathBuf;

/// Errors of probing, cutting and test-recording generation. They say what
/// went wrong and where; which Alibaba code a client sees for each is the
/// service's decision (`livecut::code`), not the engine's.
#[derive(thiserror::Error, Debug)]
pub enum MediaError {
    /// The job itself is inconsistent (no clips, end <= start, ...).
    #[error("invalid job: {0}")]
    InvalidJob(String),

    /// A segment listed for a clip does not exist or cannot be fetched. The message names the
    /// segment as the recording does (its URI or object), never the local file it was read
    /// from.
    #[error("clip {clip}: segment {uri} cannot be read: {source}")]
    SegmentMissing {
        clip: usize,
        uri: String,
        #[source]
        source: std::io::Error,
    },

    /// The requested range has no video frame in the listed segments.
    #[error("clip {clip}: no recorded video in [{start_utc_us}, {end_utc_us}) us UTC: {cause}")]
    NoContent {
        clip: usize,
        start_utc_us: i64,
        end_utc_us: i64,
        #[source]
        cause: Cause,
    },

    /// A segment is not a usable MPEG-TS recording (corrupt, no video, ...).
    #[error("clip {clip}: segment {uri}: {cause}")]
    BadSegment {
        clip: usize,
        uri: String,
        #[source]
        cause: Cause,
    },

    /// A frame that has to be decoded for a re-encode could not be.
    #[error("clip {clip}: segment {uri}: frame at pts {pts} (90 kHz): {cause}")]
    CorruptFrame {
        clip: usize,
        uri: String,
        pts: i64,
        #[source]
        cause: Cause,
    },

    /// The input or the requested mode is outside what is implemented.
    #[error("not supported{}: {what}", clip.map(|c| format!(" (clip {c})")).unwrap_or_default())]
    Unsupported { clip: Option<usize>, what: String },

    /// An encoder could not be opened or failed while encoding.
    #[error("encoder failure{}: {cause}", clip.map(|c| format!(" (clip {c})")).unwrap_or_default())]
    Encoder {
        clip: Option<usize>,
        #[source]
        cause: Cause,
    },

    /// Writing an output file failed.
    #[error("writing {path}: {cause}")]
    Output {
        path: PathBuf,
        #[source]
        cause: Cause,
    },

    /// A file given to `probe` is missing (`missing`) or not a media file.
    #[error("probing {path}: {cause}")]
    Probe {
        path: PathBuf,
        missing: bool,
        #[source]
        cause: Cause,
    },

    /// A broken invariant inside the engine (a bug, not bad input).
    #[error("internal media error: {0}")]
    Internal(String),
}

/// What lies under a media error: the libav or file-system error of the
/// step that failed (kept as the error's source), or, where no call
/// failed, what the engine found wrong with its input.
#[derive(thiserror::Error, Debug)]
pub enum Cause {
    /// libav refused while the engine was `doing` something.
    #[error("{}{source}", prefix(doing))]
    Libav {
        doing: Cow<'static, str>,
        #[source]
        source: ffmpeg_next::Error,
    },
    /// A file-system call failed while the engine was `doing` something.
    #[error("{}{source}", prefix(doing))]
    Io {
        doing: Cow<'static, str>,
        #[source]
        source: std::io::Error,
    },
    /// What the engine found, with no lower error ("contains no video
    /// stream", "the audio packet at pts 90000 is not whole frames").
    #[error("{0}")]
    Found(String),
}

impl Cause {
    pub fn libav(doing: impl Into<Cow<'static, str>>, source: ffmpeg_next::Error) -> Cause {
        Cause::Libav {
            doing: doing.into(),
            source,
        }
    }

    pub fn io(doing: impl Into<Cow<'static, str>>, source: std::io::Error) -> Cause {
        Cause::Io {
            doing: doing.into(),
            source,
        }
    }
}

/// "doing: " before the lower error's text, nothing when `doing` is empty
/// (the variant's own message says what was being done).
fn prefix(doing: &str) -> String {
    if doing.is_empty() {
        String::new()
    } else {
        format!("{doing}: ")
    }
}

/// A file-system error whose step the enclosing error already names.
impl From<std::io::Error> for Cause {
    fn from(source: std::io::Error) -> Cause {
        Cause::io("", source)
    }
}

impl From<String> for Cause {
    fn from(found: String) -> Cause {
        Cause::Found(found)
    }
}

impl From<&str> for Cause {
    fn from(found: &str) -> Cause {
        Cause::Found(found.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn messages_name_the_clip_and_segment() {
        let missing = MediaError::SegmentMissing {
            clip: 2,
            uri: "seg00007.ts".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        let text = missing.to_string();
        assert!(
            text.contains("clip 2") && text.contains("seg00007.ts"),
            "{text}"
        );
        assert!(missing.source().is_some(), "the io error is the source");

        let unsupported = MediaError::Unsupported {
            clip: Some(1),
            what: "HEVC".into(),
        };
        assert_eq!(unsupported.to_string(), "not supported (clip 1): HEVC");
        let general = MediaError::Unsupported {
            clip: None,
            what: "Rough".into(),
        };
        assert_eq!(general.to_string(), "not supported: Rough");
    }

    #[test]
    fn a_libav_cause_is_the_source_chain() {
        let bad = MediaError::BadSegment {
            clip: 0,
            uri: "a.ts".into(),
            cause: Cause::libav("cannot be probed", ffmpeg_next::Error::InvalidData),
        };
        let text = bad.to_string();
        assert!(
            text.starts_with("clip 0: segment a.ts: cannot be probed: "),
            "{text}"
        );
        let cause = bad.source().expect("the cause");
        let libav = cause.source().expect("the libav error");
        assert!(libav.downcast_ref::<ffmpeg_next::Error>().is_some());

        let found = MediaError::BadSegment {
            clip: 0,
            uri: "a.ts".into(),
            cause: "contains no video stream".into(),
        };
        assert_eq!(
            found.to_string(),
            "clip 0: segment a.ts: contains no video stream"
        );
        assert!(found.source().expect("cause").source().is_none());
    }
}
