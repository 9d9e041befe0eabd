//! One clip through the pipeline. Its segments are read once (by the copy
//! modes' `ClipReader`, through libav's parsers); per run (a stretch
//! without discontinuity) the run's one part of the shared plan
//! (`select::plan` with nothing copyable) is decoded: from the keyframe of its
//! `first_gop` (one GOP before the first selected frame when that frame is
//! a leading picture of an open GOP) to its `last_gop`, and the frames in
//! `keep_min..=keep_max` scaled and encoded at their planned output time.
//! The run's audio is decoded, converted and laid on exactly the run's
//! video span. Audio decoders are opened by the codec of the packets that
//! reach them, so AAC and MP3 of any format, and H.264 or HEVC clips, all
//! end up in the job's one video and one audio encoder. Nothing is
//! buffered beyond what the codecs hold, so memory does not grow with the
//! clip's length.

use ffmpeg_next::codec::decoder;
use ffmpeg_next::frame;

use super::mux::Mp4Sink;
use super::video::VideoEncoder;
use crate::av::decode;
use crate::bitstream::access_unit;
use crate::error::Cause;
use crate::select::index::{self, ClipIndex};
use crate::select::plan::{ClipPlan, PartPlan, RunMapping};
use crate::select::source::{ClipReader, SourcePacket, Track};
use crate::transcode::audio_encoder::AudioEncoder;
use crate::transcode::audio_lane::{AudioDecoding, Lane, finish_audio, place_audio};
use crate::transcode::scale::{OutputPicture, Scaler};
use crate::transcode::span::ticks_to_samples;
use crate::{ClipInput, MediaError};

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
    pub frame_duration: i64,
}

/// The audio side of a run; exists when the output has an audio track.
struct RunAudio {
    decoding: AudioDecoding,
    lane: Lane,
}

struct Run<'a> {
    work: &'a ClipWork<'a>,
    run: usize,
    mapping: RunMapping,
    /// What the run decodes and keeps.
    part: PartPlan,
    /// Opened at the part's first keyframe.
    video: Option<decoder::Video>,
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
        // With nothing copyable the planner gives each run with selected
        // frames exactly one part and no copied block.
        let part = match work.plan.cuts.get(run) {
            Some(cut) if cut.blocks.is_empty() && cut.parts.len() == 1 => cut.parts[0],
            _ => {
                return Err(MediaError::Internal(format!(
                    "clip {}: run {run} is not planned as one decoded part",
                    clip.index
                )));
            }
        };
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
                    decoding: AudioDecoding::new(),
                    lane: Lane::new(start, end, mapping.base, 0, rate),
                })
            }
        };
        Ok(Run {
            work,
            run,
            mapping,
            part,
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

    fn corrupt(&self, pts: i64, cause: Cause) -> MediaError {
        MediaError::CorruptFrame {
            clip: self.work.clip.index,
            uri: self.uri.clone(),
            pts,
            cause,
        }
    }

    /// Feeds the video packet `p` of GOP `gop`, if the run's part decodes
    /// it. The decoder opens at the part's first keyframe, with the
    /// parameter sets in force there as extradata (a keyframe need not
    /// repeat them in band).
    fn video(
        &mut self,
        p: &SourcePacket,
        gop: usize,
        pipe: &mut Pipeline,
        progress: &mut dyn FnMut(i64),
    ) -> Result<(), MediaError> {
        let index = self.work.index;
        if !(self.part.first_gop..=self.part.last_gop).contains(&gop) {
            return Ok(());
        }
        let Some(info) = index.gops.get(gop) else {
            return Err(MediaError::Internal(format!(
                "clip {}: more GOPs on the second read than on the first",
                self.work.clip.index
            )));
        };
        let data = p.packet.data().unwrap_or(&[]);
        // The leading pictures of a run's first open keyframe that the
        // index does not count as frames are not fed (see `select::index`).
        let leading = p.pts < info.key_pts;
        let codec = index.run_codec(self.run);
        if leading && info.leading_undecodable && index::leading_undecodable(codec, data) {
            return Ok(());
        }
        if self.video.is_none() {
            let header = index.generations.get(info.generation).map_or_else(
                Vec::new,
                crate::bitstream::parameter_sets::ParameterSets::annexb,
            );
            let decoder = decode::video_for(codec, &header).map_err(|e| {
                MediaError::Internal(format!(
                    "opening the {} decoder: {e}",
                    decode::video_name(codec)
                ))
            })?;
            self.video = Some(decoder);
        }
        self.send_video(p, pipe, progress)
    }

    fn send_video(
        &mut self,
        p: &SourcePacket,
        pipe: &mut Pipeline,
        progress: &mut dyn FnMut(i64),
    ) -> Result<(), MediaError> {
        let Some(v) = self.video.as_mut() else {
            return Ok(());
        };
        let sent = v.send_packet(&p.packet);
        sent.map_err(|e| self.corrupt(p.pts, decode::send_failure(e)))?;
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
            let got = decode::receive(v, &mut self.frame);
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
            let flushed = v.send_eof();
            flushed.map_err(|e| self.corrupt(-1, Cause::libav("flushing the decoder", e)))?;
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
        if pts < self.part.keep_min || pts > self.part.keep_max {
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
        let (lane, sink, uri) = (&mut audio.lane, &mut pipe.sink, &self.uri);
        audio.decoding.feed(p, clip, uri, &mut |frame| {
            place_audio(lane, frame, encoder, sink, clip, uri)
        })
    }

    /// Flushes the run's decoders and closes its audio span; returns the
    /// number of frames encoded. Where its audio span was filled with
    /// silence is added to `silence` (output µs: start, length).
    fn finish(
        mut self,
        pipe: &mut Pipeline,
        progress: &mut dyn FnMut(i64),
        silence: &mut Vec<(i64, i64)>,
    ) -> Result<u64, MediaError> {
        self.flush_video(pipe, progress)?;
        if let (Some(audio), Some(encoder)) = (self.audio.as_mut(), pipe.audio.as_mut()) {
            finish_audio(&mut audio.lane, encoder, &mut pipe.sink)?;
            let rate = i64::from(encoder.rate().max(1));
            silence.extend(
                audio
                    .lane
                    .silence()
                    .iter()
                    .map(|&(from, len)| (from * 1_000_000 / rate, len * 1_000_000 / rate)),
            );
        }
        let expected = u64::from(self.part.frames);
        if self.encoded != expected {
            return Err(self.corrupt(
                self.part.keep_min,
                format!(
                    "only {} of the {} selected frames of run {} could be decoded",
                    self.encoded, expected, self.run
                )
                .into(),
            ));
        }
        Ok(self.encoded)
    }
}

/// Transcodes one clip; returns the number of frames encoded. `progress`
/// receives the output tick reached.
pub fn transcode(
    work: &ClipWork<'_>,
    pipe: &mut Pipeline,
    progress: &mut dyn FnMut(i64),
    silence: &mut Vec<(i64, i64)>,
) -> Result<u64, MediaError> {
    let clip = work.clip;
    let mut reader = ClipReader::with_parsing(clip, work.index.parsed).keep_untimed_audio();
    let mut run_index: Option<usize> = None;
    let mut run: Option<Run<'_>> = None;
    let mut gop: Option<usize> = None;
    let mut next_gop = 0usize;
    let mut encoded = 0u64;
    while let Some(p) = reader.next()? {
        if run_index != Some(p.run) {
            if let Some(done) = run.take() {
                encoded += done.finish(pipe, progress, silence)?;
            }
            // A GOP never continues across a discontinuity (see `index`).
            gop = None;
            run_index = Some(p.run);
            run = match work.plan.runs.get(p.run).copied().flatten() {
                Some(mapping) => Some(Run::start(work, p.run, mapping, pipe)?),
                None => None,
            };
        }
        let codec = work.index.run_codec(p.run);
        if p.track == Track::Video
            && access_unit::is_keyframe(codec, p.packet.data().unwrap_or(&[]))
        {
            gop = Some(next_gop);
            next_gop += 1;
        }
        let Some(active) = run.as_mut() else {
            continue;
        };
        active.uri.clone_from(&clip.segments[p.segment].uri);
        match p.track {
            // Packets before a run's first keyframe cannot be decoded.
            Track::Video => {
                if let Some(g) = gop {
                    active.video(&p, g, pipe, progress)?;
                }
            }
            Track::Audio => active.audio(&p, pipe)?,
        }
    }
    if let Some(done) = run.take() {
        encoded += done.finish(pipe, progress, silence)?;
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
