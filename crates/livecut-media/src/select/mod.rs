//! The selection of frames, shared by every mode: one reader, one index,
//! one planner. Whatever a mode then does with the frames (copy them, or
//! decode and encode them again), which frames a range selects is decided
//! here only, so every mode cuts a range at the same frames.
//!
//! * `source` reads a clip's packets, segment after segment (H.264/HEVC
//!   video, AAC/MP3 audio), with the runs and unwrapped timestamps of the
//!   crate's timeline rule.
//! * `index` is pass 1: GOPs at every keyframe, leading pictures, which
//!   frames the range selects, parameter-set generations, the audio format.
//! * `plan` splits each run into blocks of whole GOPs to copy and parts to
//!   decode, and places every frame on the output timeline.
//! * `report` turns an index and a plan into the per-clip report.
//! * `audio_frames` splits audio packets into frames and tells their format.

pub(crate) mod audio_frames;
pub(crate) mod index;
pub(crate) mod plan;
pub(crate) mod report;
pub(crate) mod source;

use ffmpeg_next::{codec, media};

use self::index::{ClipIndex, Selection};
use crate::error::Cause;
use crate::{ClipInput, CutJob, CutMode, MediaError, Progress, Step};

/// Frame duration assumed when a clip has too few frames to measure one.
pub(crate) const FALLBACK_FRAME_DURATION: i64 = 3000;

/// The nominal frame rate of a track whose frames last `frame_duration`
/// (90 kHz ticks), as the MP4 track and the encoders take it.
pub(crate) fn frame_rate(frame_duration: i64) -> ffmpeg_next::Rational {
    let duration = i32::try_from(frame_duration.max(1)).unwrap_or(FALLBACK_FRAME_DURATION as i32);
    ffmpeg_next::Rational::new(crate::timeline::TICKS_PER_SECOND as i32, duration).reduce()
}

/// Which frames of `clip` a mode selects: the range (accurate modes) or
/// every frame of the listed segments (rough modes).
pub(crate) fn selection(mode: CutMode, clip: &ClipInput) -> Selection {
    match mode {
        CutMode::AccurateFast | CutMode::Accurate => Selection::Range {
            start_utc_us: clip.start_utc_us,
            end_utc_us: clip.end_utc_us,
        },
        CutMode::RoughFast | CutMode::Rough => Selection::All,
    }
}

/// Indexes every clip of `job` with `scan` (pass 1: `index::scan` for the
/// copy modes, `index::scan_for_decoding` for the re-encode modes),
/// reporting progress over the first tenth of the job.
pub(crate) fn scan_all(
    job: &CutJob,
    scan: index::Scan,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<ClipIndex>, MediaError> {
    let total: usize = job.clips.iter().map(|c| c.segments.len()).sum();
    let mut before = 0usize;
    let mut reading = |done: usize| {
        progress(Progress {
            step: Step::Reading,
            done: done as u64,
            total: total as u64,
        });
    };
    reading(0);
    let mut indexes = Vec::with_capacity(job.clips.len());
    for clip in &job.clips {
        let n = clip.segments.len();
        // `scan` reports the share of this clip's segments read.
        let mut scan_progress = |f: f32| reading(before + (f * n as f32).round() as usize);
        indexes.push(scan(clip, selection(job.mode, clip), &mut scan_progress)?);
        before += n;
    }
    reading(total);
    Ok(indexes)
}

/// Codec parameters of the clip's video, probed from its first segment.
pub(crate) fn source_video(clip: &ClipInput) -> Result<codec::Parameters, MediaError> {
    let seg = &clip.segments[0];
    let bad = |cause: Cause| MediaError::BadSegment {
        clip: clip.index,
        uri: seg.uri.clone(),
        cause,
    };
    if let Err(source) = crate::fetch::ready(seg) {
        return Err(MediaError::SegmentMissing {
            clip: clip.index,
            uri: seg.uri.clone(),
            source,
        });
    }
    let input =
        crate::av::segment::open_segment(seg, crate::av::segment::Reading::Probed).map_err(bad)?;
    input
        .streams()
        .find(|s| s.parameters().medium() == media::Type::Video)
        // A copy of its own: the stream's parameters keep the whole demuxer (and its ~0.5 MB
        // of buffers) alive, and a job holds one per clip, so memory grew with the clip count.
        .map(|s| s.parameters().clone())
        .ok_or_else(|| bad("contains no video stream".into()))
}

/// Whether the first segment of the job's first clip holds audio and no
/// video. `false` when it cannot be read (the video path then reports
/// that).
pub(crate) fn first_clip_is_audio_only(job: &CutJob) -> bool {
    let Some(seg) = job.clips.first().and_then(|c| c.segments.first()) else {
        return false;
    };
    if crate::fetch::ready(seg).is_err() {
        return false;
    }
    let Ok(input) = crate::av::segment::open_segment(seg, crate::av::segment::Reading::Probed)
    else {
        return false;
    };
    let media: Vec<media::Type> = input.streams().map(|s| s.parameters().medium()).collect();
    media.contains(&media::Type::Audio) && !media.contains(&media::Type::Video)
}

/// The error of an audio-only clip none of whose audio lies in its range
/// (the same in the copy and re-encode modes).
pub(crate) fn no_audio_in_range(clip: &ClipInput, index: &ClipIndex) -> MediaError {
    MediaError::NoContent {
        clip: clip.index,
        start_utc_us: clip.start_utc_us,
        end_utc_us: clip.end_utc_us,
        cause: match index.available_utc_us {
            Some((lo, hi)) => format!(
                "the listed segments hold audio from {lo} to {hi} us UTC, none of it in the range"
            )
            .into(),
            None => "the listed segments hold no audio frame".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_rates_come_from_frame_durations() {
        let rate = |d| {
            let r = frame_rate(d);
            (r.numerator(), r.denominator())
        };
        assert_eq!(rate(3000), (30, 1));
        assert_eq!(rate(3003), (30000, 1001));
        assert_eq!(rate(3600), (25, 1));
        // No measured duration can be zero or negative; it never divides by zero.
        assert_eq!(rate(0), (90_000, 1));
    }
}
