//! `livecut recordings add-segment`: a recorder tells livecut about segments as it writes them
//! (MediaMTX's `runOnRecordSegmentComplete`, any recorder's completion hook, or an operator
//! indexing a folder of files). Each segment is probed as the cutter reads it (a codec livecut
//! cannot cut is refused and nothing is indexed), timed, and added to the segment index
//! (`db::segments`), which planning reads by range.
//!
//! A segment's UTC start is `--start`, or what its file name says by a `--segment-times` name
//! mode (MediaMTX: `name-strftime:%Y-%m-%d_%H-%M-%S-%f@Z`, the time of its first frame); its
//! duration is `--duration` (MediaMTX's `MTX_SEGMENT_DURATION`), or the container's.

use livecut_hls::SegmentTimes;

use crate::clock::{format_precise_time, now_ms, parse_clip_time};
use crate::db::recordings;
use crate::db::segments::{self, IndexedSegment};
use crate::settings::StoreSettings;
use crate::storage::Source;

use super::register::{RegisterError, canonical, codecs_verdict, probe_segment};

/// What `add-segment` was told besides the files.
#[derive(Debug, Clone, Default)]
pub struct SegmentFacts {
    /// UTC start of the (single) file, ISO 8601 with `Z`.
    pub start: Option<String>,
    /// How to read the start from each file's name.
    pub segment_times: Option<String>,
    /// Seconds (`2`, `2.002`, `2.002s`), as recorders report them.
    pub duration: Option<String>,
    /// The fMP4 init section the files are read with.
    pub init: Option<String>,
    /// The first file's sequence number (default: one past the stream's highest).
    pub sequence: Option<i64>,
    /// The files continue the previous segment's media clock (a recorder that keeps its
    /// timestamps across segments); by default each file is anchored by its own start.
    pub continues: bool,
}

/// Indexes `files` (paths or URLs) as segments of `stream`, in the order given.
pub async fn add(
    store: &StoreSettings,
    stream: (&str, &str, &str),
    facts: &SegmentFacts,
    files: &[String],
) -> Result<(), RegisterError> {
    let buckets = store.buckets()?;
    let times = facts
        .segment_times
        .as_deref()
        .map(str::parse::<SegmentTimes>)
        .transpose()
        .map_err(|e| RegisterError::Times(e.to_string()))?;
    let start = facts
        .start
        .as_deref()
        .map(parse_clip_time)
        .transpose()
        .map_err(|e| RegisterError::Times(format!("--start {e}")))?;
    if start.is_some() && files.len() > 1 {
        return Err(RegisterError::Times(
            "--start times one file; give several files a --segment-times name mode".into(),
        ));
    }
    let duration = facts
        .duration
        .as_deref()
        .map(seconds_to_us)
        .transpose()
        .map_err(RegisterError::Times)?;
    let init = facts
        .init
        .as_deref()
        .map(|u| canonical(&buckets, u))
        .transpose()?;
    let db = store.open_db().await?;
    let mut sequence = match facts.sequence {
        Some(s) => s,
        None => segments::next_sequence(&db, stream).await?,
    };
    let mut indexed = Vec::with_capacity(files.len());
    for file in files {
        let source = canonical(&buckets, file)?;
        let shown = source.shown();
        let unusable = |reason: String| RegisterError::Unusable {
            path: shown.clone(),
            reason,
        };
        let start_us = match (start, &times) {
            (Some(s), _) => s,
            (None, Some(t)) => t.time_of(file_name(&shown)).ok_or_else(|| {
                unusable(format!("its name does not carry a time as {t} reads it"))
            })?,
            (None, None) => {
                return Err(RegisterError::Times(
                    "give --start or a --segment-times name mode (e.g. \
                     name-strftime:%Y-%m-%d_%H-%M-%S-%f@Z for MediaMTX)"
                        .into(),
                ));
            }
        };
        let probe = probe_segment(&buckets, &source, init.as_ref())
            .await
            .map_err(&unusable)?;
        if let Err(reason) = codecs_verdict(&probe) {
            recordings::refuse(&db, stream, &source.to_index_string(), &reason, now_ms()).await?;
            return Err(unusable(reason));
        }
        let duration_us = match duration {
            Some(d) => d,
            None => (probe.duration_s * 1e6).round() as i64,
        };
        if duration_us <= 0 {
            return Err(unusable(
                "its duration cannot be read from the file; give --duration".into(),
            ));
        }
        let codec = |kind: livecut_media::StreamKind| {
            probe
                .streams
                .iter()
                .find(|s| s.kind == kind)
                .map(|s| s.codec_name.clone())
        };
        indexed.push(IndexedSegment {
            uri: source.to_index_string(),
            start_us,
            duration_us,
            init_uri: init.as_ref().map(Source::to_index_string),
            sequence,
            discontinuity: !facts.continues,
            video_codec: codec(livecut_media::StreamKind::Video),
            audio_codec: codec(livecut_media::StreamKind::Audio),
        });
        sequence += 1;
    }
    let new = segments::add(&db, stream, &indexed, "add-segment", now_ms()).await?;
    let (d, a, s) = stream;
    for seg in &indexed {
        println!(
            "indexed {d}/{a}/{s}: {} ({} .. {})",
            seg.uri,
            format_precise_time(seg.start_us),
            format_precise_time(seg.start_us + seg.duration_us)
        );
    }
    if new < indexed.len() as u64 {
        println!(
            "({} of them were indexed already)",
            indexed.len() as u64 - new
        );
    }
    Ok(())
}

/// Prints the indexed segments of a stream from `from` on (`livecut recordings segments`).
pub async fn list(
    store: &StoreSettings,
    stream: (&str, &str, &str),
    from: Option<&str>,
    limit: i64,
    json: bool,
) -> Result<(), RegisterError> {
    let from_us = from
        .map(parse_clip_time)
        .transpose()
        .map_err(|e| RegisterError::Times(format!("--from {e}")))?
        .unwrap_or(i64::MIN);
    let db = store.open_db().await?;
    for s in segments::list(&db, stream, (from_us, i64::MAX), limit.max(0)).await? {
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "Uri": s.uri, "StartUs": s.start_us, "DurationUs": s.duration_us,
                    "Start": format_precise_time(s.start_us), "Sequence": s.sequence,
                    "Discontinuity": s.discontinuity, "InitUri": s.init_uri,
                })
            );
        } else {
            println!(
                "{} .. {}  #{}{}  {}",
                format_precise_time(s.start_us),
                format_precise_time(s.start_us + s.duration_us),
                s.sequence,
                if s.discontinuity { " (new run)" } else { "" },
                s.uri
            );
        }
    }
    Ok(())
}

fn file_name(shown: &str) -> &str {
    shown.rsplit('/').next().unwrap_or(shown)
}

/// `2`, `2.002`, `2.002s` or `2002ms` as microseconds.
fn seconds_to_us(raw: &str) -> Result<i64, String> {
    let t = raw.trim();
    let (number, scale) = if let Some(ms) = t.strip_suffix("ms") {
        (ms, 1_000.0)
    } else {
        (t.strip_suffix('s').unwrap_or(t), 1_000_000.0)
    };
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e6 => Ok((v * scale).round() as i64),
        _ => Err(format!(
            "--duration {raw:?} is not a positive number of seconds"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_recorders_write_them() {
        assert_eq!(seconds_to_us("2"), Ok(2_000_000));
        assert_eq!(seconds_to_us("3600.000000"), Ok(3_600_000_000));
        assert_eq!(seconds_to_us("2.002s"), Ok(2_002_000));
        assert_eq!(seconds_to_us("1500ms"), Ok(1_500_000));
        assert!(seconds_to_us("0").is_err());
        assert!(seconds_to_us("-1").is_err());
        assert!(seconds_to_us("NaN").is_err());
        assert!(seconds_to_us("2h").is_err());
    }
}
