//! Pass 2: reads a clip's segments again and writes its planned frames:
//! copied GOPs as they are, partial GOPs through the re-encoder, and the
//! audio frames (AAC or MP3) that cover the clip's video, copied, or
//! re-encoded (`audio_reencode`) when the clip's audio format is not the
//! track's.

use ffmpeg_next::codec;

use super::audio;
use super::boundary::{BoundaryEncoder, PartSpec, ReencodePart};
use super::output::Mp4Writer;
use crate::bitstream::access_unit::{self, to_sample};
use crate::codec::{AudioCodec, VideoCodec};
use crate::error::Cause;
use crate::select::audio_frames;
use crate::select::index::{self, ClipIndex};
use crate::select::plan::{ClipPlan, PartPlan, RunCut};
use crate::select::source::{ClipReader, SourcePacket, Track};
use crate::{ClipInput, MediaError};

pub struct ClipJob<'a> {
    pub clip: &'a ClipInput,
    pub index: &'a ClipIndex,
    pub plan: &'a ClipPlan,
    pub source: &'a codec::Parameters,
    pub boundary: Option<&'a BoundaryEncoder>,
    pub frame_duration: i64,
    /// Parameter sets stay in the samples (`avc3`/`hev1`) instead of living
    /// only in the sample entry.
    pub inband: bool,
}

/// A part being decoded and encoded again, with its plan.
struct ActivePart {
    plan: PartPlan,
    part: ReencodePart,
}

/// The state of the writing pass inside one run.
struct RunState<'a> {
    cut: &'a RunCut,
    base: i64,
    span: (i64, i64),
    active: Vec<ActivePart>,
    /// Copied samples that must wait until a part ending at their GOP is
    /// written (the keyframe of a block whose leading pictures that part
    /// re-encodes).
    held: Vec<(Vec<u8>, i64, bool)>,
}

impl RunState<'_> {
    /// Finishes the parts `done` selects, in output order, then releases
    /// the held samples.
    fn finish_parts(
        &mut self,
        out: &mut Mp4Writer,
        frame_duration: i64,
        done: &dyn Fn(&PartPlan) -> bool,
    ) -> Result<u64, MediaError> {
        let mut encoded = 0u64;
        let mut k = 0;
        while k < self.active.len() {
            if done(&self.active[k].plan) {
                let finished = self.active.remove(k);
                encoded += u64::from(finished.part.finish(out)?);
            } else {
                k += 1;
            }
        }
        if self.active.iter().all(|p| !p.plan.ends_at_copy) {
            for (sample, pts, key) in self.held.drain(..) {
                out.write_video(&sample, pts, frame_duration, key)?;
            }
        }
        Ok(encoded)
    }
}

/// Writes one clip; returns the number of frames re-encoded. `progress`
/// receives the output tick reached.
pub fn write_clip(
    job: &ClipJob<'_>,
    out: &mut Mp4Writer,
    progress: &mut dyn FnMut(i64),
) -> Result<u64, MediaError> {
    let clip = job.clip;
    let codec = job.index.codec;
    let gops = &job.index.gops;
    let mut reader = ClipReader::with_parsing(clip, job.index.parsed);
    let mut gop: Option<usize> = None;
    let mut next_gop = 0usize;
    let mut run: Option<usize> = None;
    let mut state: Option<RunState<'_>> = None;
    let mut reencoded: u64 = 0;
    let all = |_: &PartPlan| true;
    while let Some(p) = reader.next()? {
        if run != Some(p.run) {
            // A GOP never continues across a discontinuity (see `index`).
            if let Some(mut done) = state.take() {
                reencoded += done.finish_parts(out, job.frame_duration, &all)?;
            }
            gop = None;
            run = Some(p.run);
            state = job
                .plan
                .runs
                .get(p.run)
                .copied()
                .flatten()
                .map(|m| RunState {
                    cut: &job.plan.cuts[p.run],
                    base: m.base,
                    span: (m.span_start, m.span_end),
                    active: Vec::new(),
                    held: Vec::new(),
                });
        }
        let data = p.packet.data().unwrap_or(&[]);
        let is_key = p.track == Track::Video && access_unit::is_keyframe(codec, data);
        if is_key {
            gop = Some(next_gop);
            next_gop += 1;
        }
        let Some(st) = state.as_mut() else {
            continue;
        };
        match p.track {
            Track::Video => {
                let Some(g) = gop else {
                    continue; // before the run's first keyframe
                };
                let Some(info) = gops.get(g) else {
                    return Err(MediaError::Internal(format!(
                        "clip {}: more GOPs on the second read than on the first",
                        clip.index
                    )));
                };
                let leading = p.pts < info.key_pts;
                if leading && info.leading_undecodable && index::leading_undecodable(codec, data) {
                    continue;
                }
                if is_key {
                    progress((st.base + p.pts).clamp(job.plan.offset, job.plan.end));
                    // Parts that end before this GOP are complete.
                    reencoded += st.finish_parts(out, job.frame_duration, &|pp| pp.last_gop < g)?;
                    for plan in st.cut.parts.iter().filter(|pp| pp.first_gop == g) {
                        let Some(boundary) = job.boundary else {
                            return Err(MediaError::Internal(
                                "frames need re-encoding but no encoder was prepared".into(),
                            ));
                        };
                        let header = job.index.generations.get(info.generation).map_or_else(
                            Vec::new,
                            crate::bitstream::parameter_sets::ParameterSets::annexb,
                        );
                        st.active.push(ActivePart {
                            plan: *plan,
                            part: ReencodePart::start(
                                boundary,
                                job.source,
                                &header,
                                PartSpec {
                                    clip: clip.index,
                                    uri: clip.segments[p.segment].uri.clone(),
                                    keep_min: plan.keep_min,
                                    keep_max: plan.keep_max,
                                    base: st.base,
                                    frame_duration: job.frame_duration,
                                    expected_frames: plan.frames,
                                    inband: job.inband,
                                },
                            )?,
                        });
                    }
                } else if !leading {
                    // A part that re-encodes this GOP's leading pictures
                    // ends at its first trailing one.
                    reencoded += st.finish_parts(out, job.frame_duration, &|pp| {
                        pp.ends_at_copy && pp.last_gop <= g
                    })?;
                }
                for active in &mut st.active {
                    if (active.plan.first_gop..=active.plan.last_gop).contains(&g) {
                        active.part.feed(&p.packet, out)?;
                    }
                }
                let copied = st
                    .cut
                    .block_of(g)
                    .is_some_and(|block| !(g == block.first && leading));
                if copied {
                    let mut sample = to_sample(codec, data, job.inband, &[]);
                    if is_key
                        && codec == VideoCodec::Hevc
                        && info.open
                        && st.cut.block_of(g).is_some_and(|b| b.first == g)
                    {
                        access_unit::splice_cra(&mut sample);
                    }
                    let pts = st.base + p.pts;
                    if st
                        .active
                        .iter()
                        .any(|a| a.plan.ends_at_copy && a.plan.last_gop == g)
                    {
                        st.held.push((sample, pts, is_key));
                    } else {
                        out.write_video(&sample, pts, job.frame_duration, is_key)?;
                    }
                }
            }
            // Audio of another format than the track's is re-encoded
            // (`audio_reencode`), the rest copied.
            Track::Audio if out.reencodes_audio(job.index.audio) => out.reencode_audio(
                &p,
                (clip.index, p.run),
                (st.base, st.span),
                &clip.segments[p.segment].uri,
            )?,
            Track::Audio => write_audio(job, &p, (st.base, st.span), out)?,
        }
    }
    if let Some(mut done) = state.take() {
        reencoded += done.finish_parts(out, job.frame_duration, &all)?;
    }
    progress(job.plan.end);
    if next_gop != job.index.gops.len() {
        return Err(MediaError::Internal(format!(
            "clip {}: the segments changed between the two passes ({} GOPs, then {next_gop})",
            clip.index,
            job.index.gops.len()
        )));
    }
    Ok(reencoded)
}

/// Copies the audio frames of packet `p` whose middle lies in the run's
/// video span (`base`: the run's output placement), each at its ideal
/// output time: the packet's PTS plus the frames before it in the packet.
fn write_audio(
    job: &ClipJob<'_>,
    p: &SourcePacket,
    (base, span): (i64, (i64, i64)),
    out: &mut Mp4Writer,
) -> Result<(), MediaError> {
    let clip = job.clip;
    let uri = &clip.segments[p.segment].uri;
    let data = p.packet.data().unwrap_or(&[]);
    let Some(codec) = p.audio_codec else {
        return Ok(());
    };
    let Some(frames) = audio_frames::split_frames(codec, data) else {
        let what = match codec {
            AudioCodec::Aac => "ADTS",
            AudioCodec::Mp3 => "MPEG audio layer III",
        };
        return Err(MediaError::BadSegment {
            clip: clip.index,
            uri: uri.clone(),
            cause: Cause::Found(format!(
                "{} packet at pts {} is not {what}",
                codec_name(codec),
                p.pts
            )),
        });
    };
    for (frame, (start, duration)) in frames.iter().zip(audio_frames::frame_times(p.pts, &frames)) {
        if frame.blocks != 1 {
            return Err(MediaError::Unsupported {
                clip: Some(clip.index),
                what: format!(
                    "segment {uri}: ADTS frames with {} raw data blocks",
                    frame.blocks
                ),
            });
        }
        if job.index.audio != Some(frame.config) {
            return Err(MediaError::Unsupported {
                clip: Some(clip.index),
                what: format!(
                    "segment {uri}: the audio format changes inside the clip (to {})",
                    frame.config.describe()
                ),
            });
        }
        let start = base + start;
        if audio::keeps(start, duration, span.0, span.1) {
            out.write_audio(frame, start, (clip.index, p.run))?;
        } else {
            out.skip_audio(frame, (clip.index, p.run));
        }
    }
    Ok(())
}

fn codec_name(codec: AudioCodec) -> &'static str {
    match codec {
        AudioCodec::Aac => "AAC",
        AudioCodec::Mp3 => "MP3",
    }
}
