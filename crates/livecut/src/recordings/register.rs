//! `livecut recordings add`: check that a playlist is a usable recording, then register it. The
//! playlist is a local path or a URL of object storage (`s3://B/…`, `oss://B/…`,
//! `https://B.<endpoint>/…` of a configured bucket) or of an allowed HTTP origin.

use livecut_hls::{SegmentTimes, Timeline, parse_media_playlist};

use crate::clock::{format_precise_time, now_ms};
use crate::db::{DbError, recordings};
use crate::settings::StoreSettings;
use crate::storage::{Buckets, Source, SourceError, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("cannot read playlist {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read playlist {path}: {source}")]
    Storage {
        path: String,
        source: Box<StorageError>,
    },
    #[error("playlist {0}")]
    Source(#[from] SourceError),
    #[error("--segment-times: {0}")]
    Times(String),
    #[error("{path} is not a usable recording: {reason}")]
    Unusable { path: String, reason: String },
    #[error(transparent)]
    Config(Box<StorageError>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<StorageError> for RegisterError {
    fn from(e: StorageError) -> Self {
        RegisterError::Config(Box::new(e))
    }
}

/// A local path made absolute (so a server started elsewhere finds it), or a bucket or origin
/// URL as it is.
pub(crate) fn canonical(buckets: &Buckets, raw: &str) -> Result<Source, RegisterError> {
    match buckets.source(raw)? {
        Source::File(p) => Ok(Source::File(std::fs::canonicalize(&p).map_err(
            |source| RegisterError::Read {
                path: p.display().to_string(),
                source,
            },
        )?)),
        other => Ok(other),
    }
}

pub async fn add(
    store: &StoreSettings,
    (domain, app, stream): (&str, &str, &str),
    segment_times: &str,
    playlist: &str,
) -> Result<(), RegisterError> {
    let times: SegmentTimes = segment_times
        .parse()
        .map_err(|e: livecut_hls::SegmentTimesError| RegisterError::Times(e.to_string()))?;
    let buckets = store.buckets()?;
    let source = canonical(&buckets, playlist)?;
    let shown = source.shown();
    let text = buckets
        .read_text(&source)
        .await
        .map_err(|e| RegisterError::Storage {
            path: shown.clone(),
            source: Box::new(e),
        })?;
    let unusable = |reason: String| RegisterError::Unusable {
        path: shown.clone(),
        reason,
    };
    let mut parsed = parse_media_playlist(&text).map_err(|e| unusable(e.to_string()))?;
    times
        .apply(&mut parsed)
        .map_err(|e| unusable(e.to_string()))?;
    // A watched playlist has no times in its text; its segments are timed as they are indexed.
    let timeline = if times == SegmentTimes::Hook {
        None
    } else {
        Some(Timeline::build(std::slice::from_ref(&parsed)).map_err(|e| unusable(e.to_string()))?)
    };
    // Every segment (and fMP4 init section) must resolve to something this configuration can
    // read.
    let mut first = None;
    for seg in &parsed.segments {
        let s = source
            .join(&seg.uri, &|u| buckets.source(u))
            .map_err(|e| unusable(format!("segment {}: {e}", seg.uri)))?;
        let init = seg
            .map
            .as_ref()
            .map(|m| {
                source
                    .join(&m.uri, &|u| buckets.source(u))
                    .map_err(|e| unusable(format!("init section {}: {e}", m.uri)))
            })
            .transpose()?;
        first.get_or_insert((seg.uri.clone(), s, init));
    }
    let db = store.open_db().await?;
    let key = source.to_index_string();
    // A recording whose codecs livecut cannot cut is refused now, not failed at job time; the
    // refusal is kept so that a job on the stream says why.
    if let Some((uri, segment, init)) = &first
        && let Err(reason) = check_codecs(&buckets, segment, init.as_ref()).await
    {
        let reason = format!("segment {uri}: {reason}");
        recordings::refuse(&db, (domain, app, stream), &key, &reason, now_ms()).await?;
        return Err(unusable(reason));
    }
    recordings::unrefuse(&db, (domain, app, stream), &key).await?;
    let new = recordings::add(
        &db,
        (domain, app, stream),
        &key,
        &times.to_string(),
        now_ms(),
    )
    .await?;
    if times == SegmentTimes::Hook {
        let ingested = super::watch::ingest(
            &db,
            &buckets,
            (domain, app, stream),
            &source,
            &text,
            now_ms() * 1000,
        )
        .await
        .map_err(&unusable)?;
        println!(
            "{} {domain}/{app}/{stream}: {shown}, watched by the server; {} segments indexed now",
            if new {
                "registered"
            } else {
                "already registered"
            },
            ingested.new
        );
        return Ok(());
    }
    let span = timeline
        .as_ref()
        .and_then(Timeline::span)
        .map(|(a, b)| format!("{} .. {}", format_precise_time(a), format_precise_time(b)))
        .unwrap_or_else(|| "no segments yet".to_string());
    println!(
        "{} {domain}/{app}/{stream}: {shown} ({} segments, {span}{})",
        if new {
            "registered"
        } else {
            "already registered"
        },
        parsed.segments.len(),
        if parsed.ended { "" } else { ", still growing" },
    );
    Ok(())
}

/// The video codecs the cut modes handle, and the audio codecs.
const VIDEO_CODECS: &[&str] = &["h264", "hevc"];
const AUDIO_CODECS: &[&str] = &["aac", "mp3"];

/// Probes a segment with its fMP4 init section, if any, and says what livecut cannot cut in it.
async fn check_codecs(
    buckets: &Buckets,
    segment: &Source,
    init: Option<&Source>,
) -> Result<(), String> {
    codecs_verdict(&probe_segment(buckets, segment, init).await?)
}

/// Probes a segment with its fMP4 init section, if any (each downloaded first when it is
/// remote), as the cutter reads it.
pub(crate) async fn probe_segment(
    buckets: &Buckets,
    segment: &Source,
    init: Option<&Source>,
) -> Result<livecut_media::MediaProbe, String> {
    let scratch = tempfile::tempdir().map_err(|e| format!("cannot make a scratch folder: {e}"))?;
    let local = |source: &Source, name: &str| {
        let path = scratch.path().join(format!(
            "{name}.{}",
            source.extension().unwrap_or_else(|| "ts".into())
        ));
        let source = source.clone();
        async move {
            buckets
                .local_copy(&source, &path)
                .await
                .map_err(|e| format!("cannot be read: {e}"))
        }
    };
    let init = match init {
        Some(source) => Some(livecut_media::InitSection {
            path: local(source, "init")
                .await
                .map_err(|e| format!("its init section {e}"))?,
            uri: source.shown(),
        }),
        None => None,
    };
    let seg = livecut_media::SegmentInput {
        path: local(segment, "probe").await?,
        uri: segment.shown(),
        sequence: 0,
        utc_start_us: 0,
        duration_us: 0,
        discontinuity: false,
        lookahead: false,
        init,
    };
    tokio::task::spawn_blocking(move || livecut_media::probe_segment(&seg))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot be probed: {e}"))
}

/// `Err` names the first stream livecut cannot cut, or says there is no audio or video.
pub(crate) fn codecs_verdict(probe: &livecut_media::MediaProbe) -> Result<(), String> {
    use livecut_media::StreamKind;
    let mut media = 0;
    for s in &probe.streams {
        let (allowed, what, supported) = match s.kind {
            StreamKind::Video => (VIDEO_CODECS, "video", "H.264 and HEVC video"),
            StreamKind::Audio => (AUDIO_CODECS, "audio", "AAC and MP3 audio"),
            StreamKind::Other => continue,
        };
        media += 1;
        if !allowed.contains(&s.codec_name.as_str()) {
            return Err(format!(
                "its {what} codec is {} ({}); livecut cuts {supported}",
                s.codec_name, s.codec_long_name
            ));
        }
    }
    if media == 0 {
        return Err("it holds no audio or video stream".to_string());
    }
    Ok(())
}
