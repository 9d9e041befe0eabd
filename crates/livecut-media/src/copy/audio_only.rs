//! Audio-only jobs in the copy modes (RoughFast, AccurateFast): a job whose
//! first clip's recording has no video copies audio frames by time into an
//! MP4 with a single audio track (`mp4a` AAC or `mp3`).
//!
//! Pass 1 is the shared scanner (`index::scan_audio_only`): runs and
//! anchors by the timeline rule (an audio-only segment's PDT is its earliest
//! audio packet's instant), the audio format, and the frames selected: every
//! frame of the listed segments (RoughFast), or each frame whose middle
//! lies in the range (AccurateFast). Each run's selected frames are placed
//! right after the previous run's (or clip's) last frame; the placement of
//! copied frames (`audio::AudioPlacer`) and the MP3 splice repair are the
//! ones of jobs with video. Every clip must be audio-only, in the first
//! clip's audio format.

use super::output::Mp4Writer;
use crate::error::Cause;
use crate::select::audio_frames;
use crate::select::index::{self, ClipIndex, audio_frame_selected};
use crate::select::report::{WriteProgress, clip_report};
use crate::select::source::{ClipReader, Track};
use crate::select::{no_audio_in_range, plan, scan_all, selection};
use crate::timeline::{TICKS_PER_SECOND, ticks_to_us};
use crate::{ClipInput, CutJob, CutReport, MediaError, Progress};

/// Where one clip's runs go on the output timeline.
struct AudioPlan {
    /// Per run: `out = base + pts`, for runs with selected frames.
    bases: Vec<Option<i64>>,
    plan: plan::ClipPlan,
}

fn plan_clip(
    clip: &ClipInput,
    index: &ClipIndex,
    offset: i64,
    frame_ticks: i64,
) -> Result<AudioPlan, MediaError> {
    let mut cursor = offset;
    let mut bases = Vec::with_capacity(index.runs.len());
    let mut first_utc = None;
    let mut last_utc = None;
    for (run, span) in index.runs.iter().zip(&index.audio_runs) {
        let Some((lo, hi)) = *span else {
            bases.push(None);
            continue;
        };
        bases.push(Some(cursor - lo));
        first_utc.get_or_insert(run.anchor.utc_of(lo));
        last_utc = Some(run.anchor.utc_of(hi - frame_ticks));
        cursor += hi - lo;
    }
    let (Some(first_frame_utc_us), Some(last_frame_utc_us)) = (first_utc, last_utc) else {
        return Err(no_audio_in_range(clip, index));
    };
    Ok(AudioPlan {
        bases,
        plan: plan::ClipPlan {
            runs: Vec::new(),
            cuts: Vec::new(),
            offset,
            end: cursor,
            frames: index.audio_frames,
            copied: index.audio_frames,
            reencoded: 0,
            first_frame_utc_us,
            last_frame_utc_us,
        },
    })
}

/// Runs a copy-mode job whose first clip is audio-only.
pub fn cut(job: &CutJob, progress: &mut dyn FnMut(Progress)) -> Result<CutReport, MediaError> {
    let indexes = scan_all(job, index::scan_audio_only, progress)?;
    let mut config = None;
    for (clip, index) in job.clips.iter().zip(&indexes) {
        let unsupported = |what: String| MediaError::Unsupported {
            clip: Some(clip.index),
            what,
        };
        match (config, index.audio) {
            (_, None) => {
                return Err(unsupported(
                    "it holds no audio, and the first clip of the job is audio-only".into(),
                ));
            }
            (None, Some(c)) => config = Some(c),
            (Some(first), Some(c)) if first != c => {
                return Err(unsupported(format!(
                    "its audio ({}) differs from an earlier clip's ({}); a copied track holds \
                     one format",
                    c.describe(),
                    first.describe()
                )));
            }
            _ => {}
        }
    }
    let Some(config) = config else {
        return Err(MediaError::InvalidJob("the job has no clips".into()));
    };
    let frame_ticks =
        i64::from(config.samples_per_frame()) * TICKS_PER_SECOND / i64::from(config.sample_rate());
    let mut plans = Vec::with_capacity(job.clips.len());
    let mut cursor = 0i64;
    for (clip, index) in job.clips.iter().zip(&indexes) {
        let p = plan_clip(clip, index, cursor, frame_ticks)?;
        cursor = p.plan.end;
        plans.push(p);
    }
    let mut writing = WriteProgress::new(cursor, frame_ticks);
    let mut out = Mp4Writer::create_audio_only(&job.output, &config)?;
    let mut reports = Vec::with_capacity(job.clips.len());
    for ((clip, index), p) in job.clips.iter().zip(&indexes).zip(&plans) {
        let selection = selection(job.mode, clip);
        let mut reader = ClipReader::with_parsing(clip, index.parsed).audio_only();
        while let Some(packet) = reader.next()? {
            let (Track::Audio, Some(Some(base)), Some(codec), Some(run)) = (
                packet.track,
                p.bases.get(packet.run),
                packet.audio_codec,
                index.runs.get(packet.run),
            ) else {
                continue;
            };
            let data = packet.packet.data().unwrap_or(&[]);
            let uri = &clip.segments[packet.segment].uri;
            let frames =
                audio_frames::split_frames(codec, data).ok_or_else(|| MediaError::BadSegment {
                    clip: clip.index,
                    uri: uri.clone(),
                    cause: Cause::Found(format!(
                        "the audio packet at pts {} is not whole frames",
                        packet.pts
                    )),
                })?;
            for (frame, (start, duration)) in frames
                .iter()
                .zip(audio_frames::frame_times(packet.pts, &frames))
            {
                if frame.config != config || frame.blocks != 1 {
                    return Err(MediaError::Unsupported {
                        clip: Some(clip.index),
                        what: format!(
                            "segment {uri}: the audio format changes inside the clip (to {})",
                            frame.config.describe()
                        ),
                    });
                }
                let source = (clip.index, packet.run);
                let seg = &clip.segments[packet.segment];
                if audio_frame_selected(selection, seg, &run.anchor, (start, duration)) {
                    out.write_audio(frame, base + start, source)?;
                    writing.reach(base + start + duration, progress);
                } else {
                    out.skip_audio(frame, source);
                }
            }
        }
        let frames = p.plan.frames;
        let notes = vec![format!("audio only: {frames} audio frames copied")];
        reports.push(clip_report(clip, index, &p.plan, 0, frames, notes));
    }
    out.finish()?;
    writing.finish(progress);
    Ok(CutReport {
        clips: reports,
        duration_us: ticks_to_us(cursor),
    })
}
