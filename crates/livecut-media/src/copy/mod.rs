//! The copy modes (RoughFast, AccurateFast): time ranges of HLS recordings
//! -> one MP4, copying whole GOPs and audio frames.
//!
//! Two passes per clip over its segments: `index` scans packets without
//! decoding (GOPs, which frames the range selects, parameter sets, reorder
//! depth), `plan` splits each run into blocks of whole GOPs to copy and
//! the parts around them to re-encode (a part also takes the leading
//! pictures of an open GOP whose references are not copied) and places
//! every frame on the output timeline, then `write` reads the segments
//! again and produces the samples. Nothing is written before every clip is
//! indexed, so missing or broken segments fail the job before any output.
//!
//! # Parameter-set routes
//!
//! If every parameter set of the output (every clip's, every generation's,
//! the boundary encoder's) has an id of its own, the sample entry's record
//! lists them all and the samples carry none (`avc1`, `hvc1`: what Apple
//! players expect). Otherwise (two encoders, or an encoder reconfigured
//! mid-stream, using one id for different sets; libx265 next to an x265
//! source) the samples keep their sets in-band and the track is `avc3` /
//! `hev1`.
//!
//! # Splice points
//!
//! Where copied pictures follow pictures of another encoder (a re-encoded
//! part, another clip, another run), an HEVC CRA keyframe is rewritten as a
//! BLA: a new coded video sequence, so no decoder relates its picture order
//! count to what came before. H.264 has no such picture type; an open GOP's
//! I keyframe there relies on decoders treating recovery-point keyframes
//! as output barriers, as FFmpeg's (and so Chromium's) does.
//!
//! # Audio
//!
//! Audio frames are copied (`audio`) into one track of the format of the
//! first clip that has audio. A later clip whose audio has another format
//! (codec, rate, channels, AAC object type) is decoded and encoded again
//! into that track, cut to its video span (`audio_reencode`), when the
//! track is AAC-LC; with an MP3 or other AAC track it is refused.

mod audio;
mod audio_only;
mod audio_reencode;
mod boundary;
mod dts;
mod output;
mod write;

use ffmpeg_next::codec;

pub(crate) use self::audio_only::cut as cut_audio_only;

use self::boundary::BoundaryEncoder;
use self::output::{Mp4Writer, VideoTrack};
use self::write::{ClipJob, write_clip};
use crate::bitstream::parameter_sets::{ParameterSets, Picture};
use crate::codec::VideoCodec;
use crate::error::Cause;
use crate::select::audio_frames::AudioConfig;
use crate::select::index::{self, ClipIndex, Gop};
use crate::select::plan::{self, ClipPlan, Splicing};
use crate::select::report::{WriteProgress, clip_report, silence_note};
use crate::select::{self, FALLBACK_FRAME_DURATION, scan_all, source_video};
use crate::timeline::ticks_to_us;
use crate::{CutJob, CutReport, MediaError, Progress};

/// What all clips must agree on to share one video and one audio track.
struct Shared {
    codec: VideoCodec,
    /// Every clip's video parameters, as its decoder needs them.
    sources: Vec<codec::Parameters>,
    /// The output's picture: GOPs of another picture (size, chroma, bit
    /// depth) or codec are re-encoded to it.
    picture: Option<Picture>,
    /// The sets of every GOP that may be copied, if they merge without a
    /// conflict.
    merged: Option<ParameterSets>,
    /// The sets the output starts with.
    first: ParameterSets,
    audio: Option<AudioConfig>,
    frame_duration: i64,
}

impl Shared {
    /// Whether a GOP of `index` can be copied into the output.
    fn copyable(&self, index: &ClipIndex, gop: &Gop) -> bool {
        index.codec == self.codec
            && index
                .generations
                .get(gop.generation)
                .and_then(ParameterSets::picture)
                == self.picture
    }
}

fn shared_facts(job: &CutJob, indexes: &[ClipIndex]) -> Result<Shared, MediaError> {
    let unsupported = |clip: usize, what: String| MediaError::Unsupported {
        clip: Some(clip),
        what,
    };
    let codec = indexes[0].codec;
    let first = indexes[0].first_sets();
    if !first.complete() {
        return Err(MediaError::BadSegment {
            clip: job.clips[0].index,
            uri: job.clips[0].segments[0].uri.clone(),
            cause: Cause::Found(format!(
                "no complete {} parameter sets found in the listed segments",
                codec.name()
            )),
        });
    }
    let picture = first.picture();
    let mut merged = Some(ParameterSets::new(codec));
    let mut sources = Vec::with_capacity(job.clips.len());
    let mut audio = None;
    // The clip whose audio decides the track, and (once another format
    // needs it) what that audio decodes to.
    let mut audio_clip = 0;
    let mut decoded = None;
    let mut frame_duration = None;
    for (k, (clip, index)) in job.clips.iter().zip(indexes).enumerate() {
        sources.push(source_video(clip)?);
        if index.codec == codec {
            merged = merged.and_then(|mut all| {
                for generation in &index.generations {
                    if generation.picture() == picture {
                        all.merge(generation).ok()?;
                    }
                }
                Some(all)
            });
        }
        if let Some(config) = index.audio {
            match audio {
                None => {
                    audio = Some(config);
                    audio_clip = k;
                }
                // Re-encoded to the track's format (`audio_reencode`).
                Some(a) if a != config => {
                    let first = *decoded.get_or_insert_with(|| {
                        audio_reencode::decoded_format(
                            &job.clips[audio_clip],
                            indexes[audio_clip].parsed,
                        )
                    });
                    if let Err(why) = audio_reencode::reencodable(&a, first) {
                        return Err(unsupported(
                            clip.index,
                            format!(
                                "its audio ({}) differs from an earlier clip's ({}), which \
                                 decides the copied track's format, and cannot be \
                                 re-encoded to match: {why}",
                                config.describe(),
                                a.describe()
                            ),
                        ));
                    }
                }
                Some(_) => {}
            }
        }
        if let Some(d) = index.frame_duration {
            match frame_duration {
                None => frame_duration = Some(d),
                Some(f) if f != d => {
                    return Err(unsupported(
                        clip.index,
                        format!(
                            "its frame duration {d} differs from an earlier clip's {f} (90 kHz)"
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    Ok(Shared {
        codec,
        sources,
        picture,
        merged,
        first,
        audio,
        frame_duration: frame_duration.unwrap_or(FALLBACK_FRAME_DURATION),
    })
}

/// What the report says about a clip's re-encoded frames, by cause.
fn clip_notes(shared: &Shared, index: &ClipIndex, plan: &ClipPlan) -> Vec<String> {
    let mut notes = Vec::new();
    let describe = |codec: VideoCodec, p: Option<Picture>| match p {
        Some(p) => format!(
            "{} {}x{} {}-bit",
            codec.name(),
            p.width,
            p.height,
            p.bit_depth
        ),
        None => codec.name().to_string(),
    };
    let mut other: Vec<(String, u64)> = Vec::new();
    let mut reencoded_other = 0u64;
    for g in index.gops.iter().filter(|g| g.selected > 0) {
        if shared.copyable(index, g) {
            continue;
        }
        let picture = index
            .generations
            .get(g.generation)
            .and_then(ParameterSets::picture);
        let what = describe(index.codec, picture);
        match other.iter_mut().find(|(w, _)| *w == what) {
            Some((_, n)) => *n += u64::from(g.selected),
            None => other.push((what, u64::from(g.selected))),
        }
        reencoded_other += u64::from(g.selected);
    }
    let output = describe(shared.codec, shared.picture);
    for (what, frames) in other {
        notes.push(format!(
            "{frames} frames recorded as {what} re-encoded to the output's {output}"
        ));
    }
    if let (Some(clip), Some(track)) = (index.audio, shared.audio)
        && clip != track
    {
        notes.push(format!(
            "audio re-encoded from {} to the output's {}",
            clip.describe(),
            track.describe()
        ));
    }
    let rest = plan.reencoded.saturating_sub(reencoded_other);
    if rest > 0 {
        notes.push(format!(
            "{rest} frames re-encoded where whole GOPs could not be copied (partial GOPs at \
             the range's edges, leading pictures of open GOPs, H.264 open GOPs after a splice)"
        ));
    }
    notes
}

/// How the output carries its parameter sets (see the module docs).
struct Route {
    inband: bool,
    tag: [u8; 4],
    config: Vec<u8>,
}

fn route(shared: &Shared, boundary: Option<&BoundaryEncoder>) -> Result<Route, MediaError> {
    let merged = shared.merged.clone().and_then(|mut all| {
        if let Some(b) = boundary {
            all.merge(&b.parameter_sets).ok()?;
        }
        Some(all)
    });
    let missing = || MediaError::Internal("cannot build the decoder configuration record".into());
    Ok(match (shared.codec, merged) {
        (VideoCodec::H264, Some(all)) => Route {
            inband: false,
            tag: *b"avc1",
            config: all.avcc().ok_or_else(missing)?,
        },
        (VideoCodec::H264, None) => Route {
            inband: true,
            tag: *b"avc3",
            config: shared.first.avcc().ok_or_else(missing)?,
        },
        (VideoCodec::Hevc, Some(all)) => Route {
            inband: false,
            tag: *b"hvc1",
            config: all.hvcc(true).ok_or_else(missing)?,
        },
        (VideoCodec::Hevc, None) => Route {
            inband: true,
            tag: *b"hev1",
            config: shared.first.hvcc(false).ok_or_else(missing)?,
        },
    })
}

/// Runs a `RoughFast` or `AccurateFast` job whose first clip has video
/// (validated by `crate::cut`).
pub(crate) fn cut(
    job: &CutJob,
    progress: &mut dyn FnMut(Progress),
) -> Result<CutReport, MediaError> {
    let indexes = scan_all(job, index::scan, progress)?;
    let shared = shared_facts(job, &indexes)?;

    let mut plans: Vec<ClipPlan> = Vec::with_capacity(job.clips.len());
    let mut cursor = 0i64;
    for (k, (clip, index)) in job.clips.iter().zip(&indexes).enumerate() {
        let copyable = |g: &Gop| shared.copyable(index, g);
        let splicing = Splicing {
            open_keyframes: shared.codec == VideoCodec::Hevc,
            starts_output: k == 0,
        };
        let p = plan::plan(
            clip,
            index,
            cursor,
            shared.frame_duration,
            &copyable,
            splicing,
        )?;
        cursor = p.end;
        plans.push(p);
    }
    let mut writing = WriteProgress::new(cursor, shared.frame_duration);

    let needs_encoder = plans.iter().any(|p| p.reencoded > 0);
    let source_reorder = indexes.iter().map(|i| i.reorder_depth).max().unwrap_or(0);
    let boundary = if needs_encoder {
        // With one config record the encoder needs an H.264 id of its own;
        // in-band, any id will do.
        let id = shared
            .merged
            .as_ref()
            .and_then(ParameterSets::free_id)
            .unwrap_or(0);
        Some(BoundaryEncoder::new(
            &shared.sources[0],
            &shared.first,
            shared.frame_duration,
            id,
            source_reorder > 0,
        )?)
    } else {
        None
    };
    let route = route(&shared, boundary.as_ref())?;
    let reorder_depth = source_reorder.max(boundary.as_ref().map_or(0, |b| b.reorder_depth));
    let frame_rate = select::frame_rate(shared.frame_duration);
    let mut out = Mp4Writer::create(
        &job.output,
        &VideoTrack {
            source: &shared.sources[0],
            tag: route.tag,
            config: route.config,
            frame_rate,
            reorder_depth,
            frame_duration: shared.frame_duration,
        },
        shared.audio.as_ref(),
    )?;

    let mut reports = Vec::with_capacity(job.clips.len());
    for (((clip, index), p), source) in job
        .clips
        .iter()
        .zip(&indexes)
        .zip(&plans)
        .zip(&shared.sources)
    {
        let clip_job = ClipJob {
            clip,
            index,
            plan: p,
            source,
            boundary: boundary.as_ref(),
            frame_duration: shared.frame_duration,
            inband: route.inband,
        };
        let mut tick_progress = |tick: i64| writing.reach(tick, progress);
        let reencoded = write_clip(&clip_job, &mut out, &mut tick_progress)?;
        // A clip's re-encoded audio ends with it; its copied audio reaches its video's end.
        out.finish_reencoded_audio()?;
        out.pad_audio_until(p.end, clip.index)?;
        if reencoded != p.reencoded {
            return Err(MediaError::Internal(format!(
                "clip {}: planned {} re-encoded frames, wrote {reencoded}",
                clip.index, p.reencoded
            )));
        }
        let mut notes = clip_notes(&shared, index, p);
        notes.extend(silence_note(&out.silence_in(clip.index)));
        reports.push(clip_report(clip, index, p, p.reencoded, p.copied, notes));
    }
    out.finish()?;
    writing.finish(progress);
    Ok(CutReport {
        clips: reports,
        duration_us: ticks_to_us(cursor),
    })
}
