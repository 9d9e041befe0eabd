//! One clip through the pipeline. Its segments are read once; per run (a
//! stretch without discontinuity) the GOPs holding selected frames are
//! decoded (with the GOP before, when selected HEVC RASL pictures need
//! it), the selected frames scaled and encoded at their planned output
//! time, and the run's audio decoded, converted and laid on exactly the
//! run's video span. Decoders are opened by the codec of the packets that
//! reach them, so H.264 and HEVC video, AAC and MP3 audio of any format
//! all end up in the job's one video and one audio encoder. Nothing is
//! buffered beyond what the codecs hold, so memory does not grow with the
//! clip's length.

use ffmpeg_next::codec::decoder;
use ffmpeg_next::{Error, Packet, frame};

use super::access::{self, AccessUnit, ParameterSetCache};
use super::audio::AudioEncoder;
use super::decode;
use super::index::SourceIndex;
use super::mux::Mp4Sink;
use super::plan::{ClipPlan, RunMapping};
use super::resample::{Planar, Resampler};
use super::scale::{OutputPicture, Scaler};
use super::source::{Codec, SourcePacket, SourceReader, Track};
use super::span::{SpanCursor, Step, ticks_to_samples};
use super::video::VideoEncoder;
use crate::av::video_encoder::is_again;
use crate::codec::{AudioCodec, VideoCodec};
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
    pub index: &'a SourceIndex,
    pub plan: &'a ClipPlan,
    pub frame_duration: i64,
}

/// The audio side of a run; exists when the output has an audio track.
struct RunAudio {
    /// Opened at the run's first audio packet; without one, the span
    /// becomes silence.
    decoder: Option<(AudioCodec, decoder::Audio)>,
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

/// The run's video decoder and what it was last fed.
struct RunVideo {
    codec: VideoCodec,
    decoder: decoder::Video,
    /// The GOP of the latest packet fed.
    gop: usize,
}

struct Run<'a> {
    work: &'a ClipWork<'a>,
    run: usize,
    mapping: RunMapping,
    keep: (i64, i64),
    expected: u64,
    video: Option<RunVideo>,
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
        let audio = match pipe.audio.as_mut() {
            None => None,
            Some(encoder) => {
                let rate = encoder.rate();
                let (start, end) = (
                    ticks_to_samples(mapping.span_start, rate),
                    ticks_to_samples(mapping.span_end, rate),
                );
                encoder.align_to(start, &mut pipe.sink)?;
                Some(RunAudio {
                    decoder: None,
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
            video: None,
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

    /// Feeds the access unit `p` (classified as `unit`) of GOP `gop`.
    /// The decoder starts afresh, primed with the parameter sets known so
    /// far, at the run's first decoded GOP, after GOPs that were not
    /// decoded, and when the codec changes.
    fn video(
        &mut self,
        p: &SourcePacket,
        unit: AccessUnit,
        gop: usize,
        sets: &ParameterSetCache,
        pipe: &mut Pipeline,
        progress: &mut dyn FnMut(i64),
    ) -> Result<(), MediaError> {
        let Some(codec) = p.video_codec() else {
            return Ok(());
        };
        let pts = p.pts.unwrap_or(-1);
        let continues = self
            .video
            .as_ref()
            .is_some_and(|v| v.codec == codec && (v.gop == gop || v.gop + 1 == gop));
        if !continues {
            // Whatever the old decoder still holds belongs to GOPs that
            // were decoded completely.
            if self.video.is_some() {
                self.flush_video(pipe, progress)?;
            }
            let decoder = decode::video(codec).map_err(|e| {
                MediaError::Internal(format!(
                    "opening the {} decoder: {e}",
                    decode::video_name(codec)
                ))
            })?;
            self.video = Some(RunVideo {
                codec,
                decoder,
                gop,
            });
            if !unit.has_sps {
                let mut primed = Packet::copy(&sets.primed(p.data()));
                primed.set_pts(p.packet.pts());
                primed.set_dts(p.packet.dts());
                primed.set_flags(p.packet.flags());
                return self.send_video(&primed, pts, pipe, progress);
            }
        }
        if let Some(v) = self.video.as_mut() {
            v.gop = gop;
        }
        self.send_video(&p.packet, pts, pipe, progress)
    }

    fn send_video(
        &mut self,
        packet: &Packet,
        pts: i64,
        pipe: &mut Pipeline,
        progress: &mut dyn FnMut(i64),
    ) -> Result<(), MediaError> {
        let Some(v) = self.video.as_mut() else {
            return Ok(());
        };
        let sent = v.decoder.send_packet(packet);
        sent.map_err(|e| self.corrupt(pts, crate::av::decode::send_failure(e)))?;
        self.drain_video(pipe, progress)
    }

    fn drain_video(
        &mut self,
        pipe: &mut Pipeline,
        progress: &mut dyn FnMut(i64),
    ) -> Result<(), MediaError> {
        loop {
            let Some(v) = self.video.as_mut() else {
                return Ok(());
            };
            let got = crate::av::decode::receive(&mut v.decoder, &mut self.frame);
            if !got.map_err(|d| self.corrupt(-1, d))? {
                return Ok(());
            }
            self.encode_frame(pipe, progress)?;
        }
    }

    /// Drains and closes the video decoder.
    fn flush_video(
        &mut self,
        pipe: &mut Pipeline,
        progress: &mut dyn FnMut(i64),
    ) -> Result<(), MediaError> {
        if let Some(v) = self.video.as_mut() {
            let flushed = v.decoder.send_eof();
            flushed.map_err(|e| self.corrupt(-1, format!("flushing the decoder: {e}")))?;
            self.drain_video(pipe, progress)?;
        }
        self.video = None;
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
        let (Some(audio), Some(encoder)) = (self.audio.as_mut(), pipe.audio.as_mut()) else {
            return Ok(());
        };
        let Codec::Audio(codec) = p.codec else {
            return Ok(());
        };
        if audio.decoder.as_ref().is_none_or(|(c, _)| *c != codec) {
            let decoder = decode::audio(codec).map_err(|e| {
                MediaError::Internal(format!(
                    "opening the {} decoder: {e}",
                    decode::audio_name(codec)
                ))
            })?;
            audio.decoder = Some((codec, decoder));
        }
        let Some((_, decoder)) = audio.decoder.as_mut() else {
            return Ok(());
        };
        if let Err(e) = decoder.send_packet(&p.packet) {
            // One damaged audio frame in a live recording is a click, not
            // a failed job: its span becomes silence.
            tracing::warn!(clip, uri = %self.uri, pts = ?p.pts, "skipping an undecodable audio frame: {e}");
            return Ok(());
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
                    tracing::warn!(clip, uri = %self.uri, pts = ?p.pts, "audio decoding failed: {e}");
                    break;
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
        self.flush_video(pipe, progress)?;
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

/// Converts a decoded frame and lays it on the span. A change of the
/// decoded format (another AAC configuration after a recorder restart,
/// say) drains the old resampler and continues with a new one.
fn place_audio(
    lane: &mut Lane,
    frame: &frame::Audio,
    encoder: &mut AudioEncoder,
    sink: &mut Mp4Sink,
    clip: usize,
    uri: &str,
) -> Result<(), MediaError> {
    let resampler = match lane.resampler.take() {
        Some(r) if r.accepts(frame) => r,
        old => {
            if let Some(old) = old {
                lane.resampler = Some(old);
                drain_resampler(lane, encoder, sink)?;
                lane.resampler = None;
            }
            Resampler::new(frame, encoder.rate(), encoder.channels()).map_err(|e| {
                MediaError::Unsupported {
                    clip: Some(clip),
                    what: format!("segment {uri}: audio cannot be converted: {e}"),
                }
            })?
        }
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

/// Lays what the resampler still holds right after the previous chunk.
fn drain_resampler(
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
    Ok(())
}

/// Drains the resampler and fills the span up to its end.
fn finish_audio(
    lane: &mut Lane,
    encoder: &mut AudioEncoder,
    sink: &mut Mp4Sink,
) -> Result<(), MediaError> {
    drain_resampler(lane, encoder, sink)?;
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
    let decoded = &work.plan.decoded;
    let mut reader = SourceReader::new(clip);
    let mut sets = ParameterSetCache::default();
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
        let unit = match (p.track, p.video_codec()) {
            (Track::Video, Some(codec)) => {
                let unit = access::classify(codec, p.data());
                if unit.has_parameter_sets {
                    sets.note(codec, p.data());
                }
                if unit.is_key() {
                    gop = Some(next_gop);
                    next_gop += 1;
                }
                Some(unit)
            }
            _ => None,
        };
        let Some(active) = run.as_mut() else {
            continue;
        };
        active.uri.clone_from(&clip.segments[p.segment].uri);
        match (p.track, unit) {
            (Track::Video, Some(unit)) => {
                // Only the GOPs `decoded` names are; packets before a
                // run's first keyframe cannot be.
                if let Some(g) = gop.filter(|g| decoded.get(*g).copied().unwrap_or(false)) {
                    active.video(&p, unit, g, &sets, pipe, progress)?;
                }
            }
            (Track::Audio, _) => active.audio(&p, pipe)?,
            _ => {}
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
