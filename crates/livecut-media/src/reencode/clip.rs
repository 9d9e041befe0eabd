//! One clip through the pipeline. Its segments are read once; per run (a
//! stretch without discontinuity) the GOPs holding selected frames are
//! decoded, the selected frames scaled and encoded at their planned output
//! time, and the run's audio decoded, converted and laid on exactly the
//! run's video span. Nothing is buffered beyond what the codecs hold, so
//! memory does not grow with the clip's length.

use ffmpeg_next::codec::decoder;
use ffmpeg_next::{Error, Packet, frame};

use super::audio::AudioEncoder;
use super::decode;
use super::mux::Mp4Sink;
use super::resample::{Planar, Resampler};
use super::scale::{OutputPicture, Scaler};
use super::span::{SpanCursor, Step, ticks_to_samples};
use super::video::VideoEncoder;
use crate::av::video_encoder::is_again;
use crate::bitstream::adts::{self, AdtsConfig, SAMPLES_PER_FRAME};
use crate::bitstream::h264::{NAL_IDR, nal_type, nal_units};
use crate::cut::index::ClipIndex;
use crate::cut::plan::{ClipPlan, GopAction, RunMapping};
use crate::cut::source::{ClipReader, SourcePacket, Track};
use crate::timeline::TICKS_PER_SECOND;
use crate::{ClipInput, MediaError};

/// Decoded audio this close (4 ms) to where the previous chunk ended
/// counts as contiguous (see `span`).
const AUDIO_TOLERANCE_MS: i64 = 4;

/// What lives for the whole job: encoders, the file, the current scaler.
pub struct Pipeline {
    pub video: VideoEncoder,
    pub audio: Option<AudioEncoder>,
    pub sink: Mp4Sink,
    pub picture: OutputPicture,
    pub scaler: Option<Scaler>,
}

impl Pipeline {
    /// Flushes both encoders and completes the file.
    pub fn finish(mut self, end_ticks: i64) -> Result<(), MediaError> {
        self.video.finish(&mut self.sink)?;
        if let Some(audio) = self.audio.as_mut() {
            audio.align_to(ticks_to_samples(end_ticks, audio.rate()), &mut self.sink)?;
            audio.finish(&mut self.sink)?;
        }
        self.sink.finish()
    }
}

pub struct ClipWork<'a> {
    pub clip: &'a ClipInput,
    pub index: &'a ClipIndex,
    pub plan: &'a ClipPlan,
    /// Annex B SPS/PPS of the clip, primed into each decoder.
    pub header: &'a [u8],
    pub frame_duration: i64,
}

fn has_idr(data: &[u8]) -> bool {
    nal_units(data).iter().any(|n| nal_type(n) == NAL_IDR)
}

/// The audio side of a run; exists when the output has an audio track.
struct RunAudio {
    /// `None` when the clip has no audio: the span becomes silence.
    decoder: Option<decoder::Audio>,
    config: Option<AdtsConfig>,
    frame: frame::Audio,
    lane: Lane,
}

/// Decoded audio on its way to the run's span.
struct Lane {
    resampler: Option<Resampler>,
    cursor: SpanCursor,
    chunk: Planar,
    /// `out = base + source pts` (90 kHz), as for the run's video.
    base: i64,
    /// Output sample where the run's span ends.
    end: i64,
}

struct Run<'a> {
    work: &'a ClipWork<'a>,
    run: usize,
    mapping: RunMapping,
    keep: (i64, i64),
    expected: u64,
    decoder: decoder::Video,
    frame: frame::Video,
    audio: Option<RunAudio>,
    encoded: u64,
    /// URI of the segment of the latest packet, for error messages.
    uri: String,
}

impl<'a> Run<'a> {
    fn start(
        work: &'a ClipWork<'a>,
        run: usize,
        mapping: RunMapping,
        pipe: &mut Pipeline,
    ) -> Result<Self, MediaError> {
        let clip = work.clip;
        let stats = work.index.runs.get(run).ok_or_else(|| {
            MediaError::Internal(format!("clip {}: run {run} was not indexed", clip.index))
        })?;
        let (Some(min), Some(max)) = (stats.selected_min, stats.selected_max) else {
            return Err(MediaError::Internal(format!(
                "clip {}: run {run} is mapped but has no selected frames",
                clip.index
            )));
        };
        let expected = work
            .index
            .gops
            .iter()
            .filter(|g| g.run == run)
            .map(|g| u64::from(g.selected))
            .sum();
        let decoder = decode::video(work.header)
            .map_err(|e| MediaError::Internal(format!("opening the H.264 decoder: {e}")))?;
        let audio = match pipe.audio.as_mut() {
            None => None,
            Some(encoder) => {
                let rate = encoder.rate();
                let (start, end) = (
                    ticks_to_samples(mapping.span_start, rate),
                    ticks_to_samples(mapping.span_end, rate),
                );
                encoder.align_to(start, &mut pipe.sink)?;
                let decoder = work
                    .index
                    .audio
                    .as_ref()
                    .map(decode::audio)
                    .transpose()
                    .map_err(|e| MediaError::Internal(format!("opening the AAC decoder: {e}")))?;
                Some(RunAudio {
                    decoder,
                    config: work.index.audio,
                    frame: frame::Audio::empty(),
                    lane: Lane {
                        resampler: None,
                        cursor: SpanCursor::new(
                            start,
                            end,
                            i64::from(rate) * AUDIO_TOLERANCE_MS / 1000,
                        ),
                        chunk: Planar::default(),
                        base: mapping.base,
                        end,
                    },
                })
            }
        };
        Ok(Run {
            work,
            run,
            mapping,
            keep: (min, max),
            expected,
            decoder,
            frame: frame::Video::empty(),
            audio,
            encoded: 0,
            uri: clip
                .segments
                .first()
                .map(|s| s.uri.clone())
                .unwrap_or_default(),
        })
    }

    fn corrupt(&self, pts: i64, detail: String) -> MediaError {
        MediaError::CorruptFrame {
            clip: self.work.clip.index,
            uri: self.uri.clone(),
            pts,
            detail,
        }
    }

    fn video(
        &mut self,
        packet: &Packet,
        pts: i64,
        pipe: &mut Pipeline,
        progress: &mut dyn FnMut(i64),
    ) -> Result<(), MediaError> {
        self.decoder
            .send_packet(packet)
            .map_err(|e| self.corrupt(pts, crate::av::decode::send_failure(e)))?;
        self.drain_video(pipe, progress)
    }

    fn drain_video(
        &mut self,
        pipe: &mut Pipeline,
        progress: &mut dyn FnMut(i64),
    ) -> Result<(), MediaError> {
        while crate::av::decode::receive(&mut self.decoder, &mut self.frame)
            .map_err(|d| self.corrupt(-1, d))?
        {
            self.encode_frame(pipe, progress)?;
        }
        Ok(())
    }

    fn encode_frame(
        &mut self,
        pipe: &mut Pipeline,
        progress: &mut dyn FnMut(i64),
    ) -> Result<(), MediaError> {
        let Some(pts) = self.frame.timestamp() else {
            return Err(self.corrupt(-1, "a decoded frame has no timestamp".into()));
        };
        if pts < self.keep.0 || pts > self.keep.1 {
            return Ok(());
        }
        let clip = self.work.clip.index;
        let mut scaler = match pipe.scaler.take() {
            Some(s) if s.accepts(&self.frame) => s,
            _ => {
                Scaler::new(&self.frame, &pipe.picture).map_err(|what| MediaError::Unsupported {
                    clip: Some(clip),
                    what: format!("segment {}: {what}", self.uri),
                })?
            }
        };
        let picture = scaler
            .scale(&self.frame)
            .map_err(|e| MediaError::Internal(format!("clip {clip}: scaling: {e}")))?;
        let out_pts = self.mapping.base + pts;
        picture.set_pts(Some(out_pts));
        pipe.video
            .encode(picture, self.work.frame_duration, &mut pipe.sink)?;
        pipe.scaler = Some(scaler);
        self.encoded += 1;
        progress(out_pts + self.work.frame_duration);
        Ok(())
    }

    fn audio(&mut self, p: &SourcePacket, pipe: &mut Pipeline) -> Result<(), MediaError> {
        let clip = self.work.clip.index;
        let Some(audio) = self.audio.as_mut() else {
            return Ok(());
        };
        let (Some(decoder), Some(encoder)) = (audio.decoder.as_mut(), pipe.audio.as_mut()) else {
            return Ok(());
        };
        let data = p.packet.data().unwrap_or(&[]);
        let Some(frames) = adts::split_frames(data) else {
            return Err(MediaError::BadSegment {
                clip,
                uri: self.uri.clone(),
                detail: format!("AAC packet at pts {} is not ADTS", p.pts),
            });
        };
        for (k, (header, raw)) in frames.iter().enumerate() {
            if header.blocks != 1 {
                return Err(MediaError::Unsupported {
                    clip: Some(clip),
                    what: format!(
                        "segment {}: ADTS frames with {} raw data blocks",
                        self.uri, header.blocks
                    ),
                });
            }
            if audio.config.is_some_and(|c| c != header.config) {
                return Err(MediaError::Unsupported {
                    clip: Some(clip),
                    what: format!(
                        "segment {}: the AAC configuration changes inside the clip",
                        self.uri
                    ),
                });
            }
            let rate = i64::from(header.config.sample_rate().unwrap_or(48_000));
            let ticks = k as i64 * i64::from(SAMPLES_PER_FRAME) * TICKS_PER_SECOND;
            let pts = p.pts + (ticks + rate / 2) / rate;
            let mut packet = Packet::copy(raw);
            packet.set_pts(Some(pts));
            packet.set_dts(Some(pts));
            if let Err(e) = decoder.send_packet(&packet) {
                // One damaged AAC frame in a live recording is a click,
                // not a failed job: its span becomes silence.
                tracing::warn!(clip, uri = %self.uri, pts, "skipping an undecodable AAC frame: {e}");
                continue;
            }
            loop {
                match decoder.receive_frame(&mut audio.frame) {
                    Ok(()) => place_audio(
                        &mut audio.lane,
                        &audio.frame,
                        encoder,
                        &mut pipe.sink,
                        clip,
                        &self.uri,
                    )?,
                    Err(Error::Eof) => break,
                    Err(e) if is_again(&e) => break,
                    Err(e) => {
                        tracing::warn!(clip, uri = %self.uri, pts, "AAC decoding failed: {e}");
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Flushes the run's decoders and closes its audio span; returns the
    /// number of frames encoded.
    fn finish(
        mut self,
        pipe: &mut Pipeline,
        progress: &mut dyn FnMut(i64),
    ) -> Result<u64, MediaError> {
        self.decoder
            .send_eof()
            .map_err(|e| self.corrupt(-1, format!("flushing the decoder: {e}")))?;
        self.drain_video(pipe, progress)?;
        if let (Some(audio), Some(encoder)) = (self.audio.as_mut(), pipe.audio.as_mut()) {
            finish_audio(&mut audio.lane, encoder, &mut pipe.sink)?;
        }
        if self.encoded != self.expected {
            return Err(self.corrupt(
                self.keep.0,
                format!(
                    "only {} of the {} selected frames of run {} could be decoded",
                    self.encoded, self.expected, self.run
                ),
            ));
        }
        Ok(self.encoded)
    }
}

fn emit(
    step: Step,
    chunk: &Planar,
    encoder: &mut AudioEncoder,
    sink: &mut Mp4Sink,
) -> Result<(), MediaError> {
    if step.silence > 0 {
        encoder.silence(step.silence, sink)?;
    }
    if step.take > 0 {
        encoder.push(chunk, step.skip, step.take, sink)?;
    }
    Ok(())
}

/// Converts a decoded frame and lays it on the span.
fn place_audio(
    lane: &mut Lane,
    frame: &frame::Audio,
    encoder: &mut AudioEncoder,
    sink: &mut Mp4Sink,
    clip: usize,
    uri: &str,
) -> Result<(), MediaError> {
    let unsupported = |what: String| MediaError::Unsupported {
        clip: Some(clip),
        what: format!("segment {uri}: {what}"),
    };
    let resampler = match lane.resampler.take() {
        Some(r) if r.accepts(frame) => r,
        Some(_) => return Err(unsupported("the decoded audio format changes".into())),
        None => Resampler::new(frame, encoder.rate(), encoder.channels())
            .map_err(|e| unsupported(format!("audio cannot be converted: {e}")))?,
    };
    let resampler = lane.resampler.insert(resampler);
    let start = match frame.pts() {
        Some(pts) => ticks_to_samples(lane.base + pts, encoder.rate()) - resampler.delay(),
        None => lane.cursor.expected().unwrap_or(lane.end),
    };
    resampler
        .convert(Some(frame), &mut lane.chunk)
        .map_err(|e| MediaError::Internal(format!("clip {clip}: resampling audio: {e}")))?;
    let step = lane.cursor.place(start, lane.chunk.len());
    emit(step, &lane.chunk, encoder, sink)
}

/// Drains the resampler and fills the span up to its end.
fn finish_audio(
    lane: &mut Lane,
    encoder: &mut AudioEncoder,
    sink: &mut Mp4Sink,
) -> Result<(), MediaError> {
    if let (Some(resampler), Some(start)) = (lane.resampler.as_mut(), lane.cursor.expected()) {
        resampler
            .convert(None, &mut lane.chunk)
            .map_err(|e| MediaError::Internal(format!("flushing the resampler: {e}")))?;
        if !lane.chunk.is_empty() {
            let step = lane.cursor.place(start, lane.chunk.len());
            emit(step, &lane.chunk, encoder, sink)?;
        }
    }
    let silence = lane.cursor.finish();
    encoder.silence(silence, sink)?;
    encoder.align_to(lane.end, sink)
}

/// Transcodes one clip; returns the number of frames encoded. `progress`
/// receives the output tick reached.
pub fn transcode(
    work: &ClipWork<'_>,
    pipe: &mut Pipeline,
    progress: &mut dyn FnMut(i64),
) -> Result<u64, MediaError> {
    let clip = work.clip;
    let mut reader = ClipReader::new(clip);
    let mut run_index: Option<usize> = None;
    let mut run: Option<Run<'_>> = None;
    let mut gop: Option<usize> = None;
    let mut next_gop = 0usize;
    let mut encoded = 0u64;
    while let Some(p) = reader.next()? {
        if run_index != Some(p.run) {
            if let Some(done) = run.take() {
                encoded += done.finish(pipe, progress)?;
            }
            // A GOP never continues across a discontinuity (see `index`).
            gop = None;
            run_index = Some(p.run);
            run = match work.plan.runs.get(p.run).copied().flatten() {
                Some(mapping) => Some(Run::start(work, p.run, mapping, pipe)?),
                None => None,
            };
        }
        let data = p.packet.data().unwrap_or(&[]);
        if p.track == Track::Video && has_idr(data) {
            gop = Some(next_gop);
            next_gop += 1;
        }
        let Some(active) = run.as_mut() else {
            continue;
        };
        active.uri.clone_from(&clip.segments[p.segment].uri);
        match p.track {
            Track::Video => {
                // Only GOPs holding selected frames are decoded; packets
                // before a run's first IDR cannot be.
                let wanted = gop
                    .and_then(|g| work.plan.actions.get(g))
                    .is_some_and(|a| *a != GopAction::Skip);
                if wanted {
                    active.video(&p.packet, p.pts, pipe, progress)?;
                }
            }
            Track::Audio => active.audio(&p, pipe)?,
        }
    }
    if let Some(done) = run.take() {
        encoded += done.finish(pipe, progress)?;
    }
    if next_gop != work.index.gops.len() {
        return Err(MediaError::Internal(format!(
            "clip {}: the segments changed between the two passes ({} GOPs, then {next_gop})",
            clip.index,
            work.index.gops.len()
        )));
    }
    Ok(encoded)
}
