//! Pass 2: reads a clip's segments again and writes its planned frames:
//! copied GOPs as they are, partial GOPs through the re-encoder, and the
//! AAC frames that cover the clip's video.

use ffmpeg_next::codec;

use super::audio;
use super::index::ClipIndex;
use super::output::Mp4Writer;
use super::plan::{ClipPlan, GopAction};
use super::reencode::{BoundaryEncoder, PartSpec, ReencodePart};
use super::source::{ClipReader, Track};
use crate::bitstream::adts::{self, SAMPLES_PER_FRAME};
use crate::bitstream::h264::{NAL_IDR, nal_type, nals, to_length_prefixed};
use crate::timeline::TICKS_PER_SECOND;
use crate::{ClipInput, MediaError};

pub struct ClipJob<'a> {
    pub clip: &'a ClipInput,
    pub index: &'a ClipIndex,
    pub plan: &'a ClipPlan,
    pub source: &'a codec::Parameters,
    /// Annex B SPS/PPS of the source, primed into each boundary decoder.
    pub decoder_header: &'a [u8],
    pub boundary: Option<&'a BoundaryEncoder>,
    pub frame_duration: i64,
}

fn has_idr(data: &[u8]) -> bool {
    nals(data).any(|n| nal_type(n) == NAL_IDR)
}

/// Writes one clip; returns the number of frames re-encoded. `progress`
/// receives the output tick reached.
pub fn write_clip(
    job: &ClipJob<'_>,
    out: &mut Mp4Writer,
    progress: &mut dyn FnMut(i64),
) -> Result<u64, MediaError> {
    let clip = job.clip;
    let mut reader = ClipReader::with_parsing(clip, job.index.parsed);
    let mut gop: Option<usize> = None;
    let mut next_gop = 0usize;
    let mut run: Option<usize> = None;
    let mut part: Option<ReencodePart> = None;
    let mut reencoded: u64 = 0;
    while let Some(p) = reader.next()? {
        if run != Some(p.run) {
            // A GOP never continues across a discontinuity (see `index`).
            if let Some(done) = part.take() {
                reencoded += u64::from(done.finish(out)?);
            }
            gop = None;
            run = Some(p.run);
        }
        let Some(mapping) = job.plan.runs.get(p.run).copied().flatten() else {
            if p.track == Track::Video && has_idr(p.packet.data().unwrap_or(&[])) {
                next_gop += 1;
            }
            continue;
        };
        let data = p.packet.data().unwrap_or(&[]);
        match p.track {
            Track::Video => {
                let idr = has_idr(data);
                if idr {
                    if let Some(done) = part.take() {
                        reencoded += u64::from(done.finish(out)?);
                    }
                    gop = Some(next_gop);
                    next_gop += 1;
                    progress((mapping.base + p.pts).clamp(job.plan.offset, job.plan.end));
                    if job.plan.actions.get(next_gop - 1) == Some(&GopAction::Reencode) {
                        let Some(boundary) = job.boundary else {
                            return Err(MediaError::Internal(
                                "a GOP needs re-encoding but no encoder was prepared".into(),
                            ));
                        };
                        let Some(info) = job.index.gops.get(next_gop - 1) else {
                            return Err(MediaError::Internal(format!(
                                "clip {}: more GOPs on the second read than on the first",
                                clip.index
                            )));
                        };
                        part = Some(ReencodePart::start(
                            boundary,
                            job.source,
                            job.decoder_header,
                            PartSpec {
                                clip: clip.index,
                                uri: clip.segments[p.segment].uri.clone(),
                                keep_min: info.selected_min,
                                keep_max: info.selected_max,
                                base: mapping.base,
                                frame_duration: job.frame_duration,
                                expected_frames: info.selected,
                            },
                        )?);
                    }
                }
                let Some(g) = gop else {
                    continue;
                };
                match job.plan.actions.get(g) {
                    Some(GopAction::Copy) => {
                        let sample = to_length_prefixed(data);
                        out.write_video(&sample, mapping.base + p.pts, job.frame_duration, idr)?;
                    }
                    Some(GopAction::Reencode) => {
                        if let Some(active) = part.as_mut() {
                            active.feed(&p.packet, out)?;
                        }
                    }
                    Some(GopAction::Skip) | None => {}
                }
            }
            Track::Audio => {
                let Some(frames) = adts::split_frames(data) else {
                    return Err(MediaError::BadSegment {
                        clip: clip.index,
                        uri: clip.segments[p.segment].uri.clone(),
                        detail: format!("AAC packet at pts {} is not ADTS", p.pts),
                    });
                };
                for (k, (frame, raw)) in frames.iter().enumerate() {
                    if frame.blocks != 1 {
                        return Err(MediaError::Unsupported {
                            clip: Some(clip.index),
                            what: format!(
                                "segment {}: ADTS frames with {} raw data blocks",
                                clip.segments[p.segment].uri, frame.blocks
                            ),
                        });
                    }
                    let rate = i64::from(frame.config.sample_rate().unwrap_or(48_000));
                    let ticks = i64::from(SAMPLES_PER_FRAME) * TICKS_PER_SECOND;
                    let offset = (k as i64 * ticks + rate / 2) / rate;
                    let start = mapping.base + p.pts + offset;
                    if audio::keeps(start, ticks / rate, mapping.span_start, mapping.span_end) {
                        out.write_audio(raw, start)?;
                    }
                }
            }
        }
    }
    if let Some(done) = part.take() {
        reencoded += u64::from(done.finish(out)?);
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
