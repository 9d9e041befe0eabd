//! Decoded audio onto a stretch of output samples, shared by every mode
//! that decodes audio: the re-encode modes (each run's audio) and the copy
//! modes (a clip whose audio has another format than the copied track).
//! A run's decoder is opened by the codec of the packets that reach it; a
//! lane converts what it decodes to the encoder's format and lays it on
//! exactly the run's span, cutting to the sample and filling holes with
//! silence, so audio stays in sync across every join.

use ffmpeg_next::codec::decoder;
use ffmpeg_next::{Error, frame};

use super::audio_encoder::{AudioEncoder, PacketSink};
use super::resample::{Planar, Resampler};
use super::span::{SpanCursor, Step, ticks_to_samples};
use crate::MediaError;
use crate::av::decode;
use crate::av::video_encoder::is_again;
use crate::codec::AudioCodec;
use crate::select::source::SourcePacket;

/// Decoded audio this close (4 ms) to where the previous chunk ended
/// counts as contiguous (see `span`).
const AUDIO_TOLERANCE_MS: i64 = 4;

/// A run's audio decoder: opened by the codec of the packets that reach
/// it (again when the codec changes); without a packet, the run's span
/// becomes silence.
pub(crate) struct AudioDecoding {
    decoder: Option<(AudioCodec, decoder::Audio)>,
    frame: frame::Audio,
}

impl AudioDecoding {
    pub fn new() -> Self {
        AudioDecoding {
            decoder: None,
            frame: frame::Audio::empty(),
        }
    }

    /// Decodes the audio packet `p` of clip `clip` (segment `uri`) and
    /// hands every frame it yields to `on_frame`. A packet that does not
    /// decode is skipped with a warning: one damaged audio frame in a live
    /// recording is a click, not a failed job (its span becomes silence).
    pub fn feed(
        &mut self,
        p: &SourcePacket,
        clip: usize,
        uri: &str,
        on_frame: &mut dyn FnMut(&frame::Audio) -> Result<(), MediaError>,
    ) -> Result<(), MediaError> {
        let Some(codec) = p.audio_codec else {
            return Ok(());
        };
        if self.decoder.as_ref().is_none_or(|(c, _)| *c != codec) {
            let decoder = decode::audio(codec).map_err(|e| {
                MediaError::Internal(format!(
                    "opening the {} decoder: {e}",
                    decode::audio_name(codec)
                ))
            })?;
            self.decoder = Some((codec, decoder));
        }
        let Some((_, decoder)) = self.decoder.as_mut() else {
            return Ok(());
        };
        if let Err(e) = decoder.send_packet(&p.packet) {
            tracing::warn!(clip, uri, pts = ?p.pts, "skipping an undecodable audio frame: {e}");
            return Ok(());
        }
        loop {
            match decoder.receive_frame(&mut self.frame) {
                Ok(()) => on_frame(&self.frame)?,
                Err(Error::Eof) => return Ok(()),
                Err(e) if is_again(&e) => return Ok(()),
                Err(e) => {
                    tracing::warn!(clip, uri, pts = ?p.pts, "audio decoding failed: {e}");
                    return Ok(());
                }
            }
        }
    }
}

/// Decoded audio on its way to the run's span.
pub(crate) struct Lane {
    resampler: Option<Resampler>,
    cursor: SpanCursor,
    chunk: Planar,
    /// `out = base + source pts` (90 kHz), as for the run's video ...
    base: i64,
    /// ... plus `offset` output samples.
    offset: i64,
    /// Output sample where the run's span ends.
    end: i64,
    /// Output samples (first, count) where silence filled the span.
    silence: Vec<(i64, i64)>,
}

impl Lane {
    /// A lane onto the output samples `start..end` at `rate`, where a
    /// source `pts` lies at output sample `ticks_to_samples(base + pts) +
    /// offset`.
    pub fn new(start: i64, end: i64, base: i64, offset: i64, rate: u32) -> Self {
        Lane {
            resampler: None,
            cursor: SpanCursor::new(start, end, i64::from(rate) * AUDIO_TOLERANCE_MS / 1000),
            chunk: Planar::default(),
            base,
            offset,
            end,
            silence: Vec::new(),
        }
    }

    /// Where silence filled the span (output samples: first, count), adjacent stretches merged.
    pub fn silence(&self) -> &[(i64, i64)] {
        &self.silence
    }

    fn note_silence(&mut self, from: i64, samples: u64) {
        let samples = i64::try_from(samples).unwrap_or(i64::MAX / 4);
        if samples <= 0 {
            return;
        }
        match self.silence.last_mut() {
            Some((start, len)) if *start + *len == from => *len += samples,
            _ => self.silence.push((from, samples)),
        }
    }
}

fn emit(
    step: Step,
    chunk: &Planar,
    encoder: &mut AudioEncoder,
    sink: &mut dyn PacketSink,
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
pub(crate) fn place_audio(
    lane: &mut Lane,
    frame: &frame::Audio,
    encoder: &mut AudioEncoder,
    sink: &mut dyn PacketSink,
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
        Some(pts) => {
            ticks_to_samples(lane.base + pts, encoder.rate()) + lane.offset - resampler.delay()
        }
        None => lane.cursor.expected().unwrap_or(lane.end),
    };
    resampler
        .convert(Some(frame), &mut lane.chunk)
        .map_err(|e| MediaError::Internal(format!("clip {clip}: resampling audio: {e}")))?;
    let before = lane.cursor.written_to();
    let step = lane.cursor.place(start, lane.chunk.len());
    lane.note_silence(before, step.silence);
    emit(step, &lane.chunk, encoder, sink)
}

/// Lays what the resampler still holds right after the previous chunk.
pub(crate) fn drain_resampler(
    lane: &mut Lane,
    encoder: &mut AudioEncoder,
    sink: &mut dyn PacketSink,
) -> Result<(), MediaError> {
    if let (Some(resampler), Some(start)) = (lane.resampler.as_mut(), lane.cursor.expected()) {
        resampler
            .convert(None, &mut lane.chunk)
            .map_err(|e| MediaError::Internal(format!("flushing the resampler: {e}")))?;
        if !lane.chunk.is_empty() {
            let before = lane.cursor.written_to();
            let step = lane.cursor.place(start, lane.chunk.len());
            lane.note_silence(before, step.silence);
            emit(step, &lane.chunk, encoder, sink)?;
        }
    }
    Ok(())
}

/// Drains the resampler and fills the span up to its end.
pub(crate) fn finish_audio(
    lane: &mut Lane,
    encoder: &mut AudioEncoder,
    sink: &mut dyn PacketSink,
) -> Result<(), MediaError> {
    drain_resampler(lane, encoder, sink)?;
    let before = lane.cursor.written_to();
    let silence = lane.cursor.finish();
    lane.note_silence(before, silence);
    encoder.silence(silence, sink)?;
    encoder.align_to(lane.end, sink)
}
