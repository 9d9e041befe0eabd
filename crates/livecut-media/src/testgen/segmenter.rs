//! Splits the encoded streams into MPEG-TS segment files at IDR frames and
//! maintains the playlist.
//!
//! Video decides the cut: a segment starts with the keyframe packet of
//! frame `k * segment_frames`. The audio encoder runs ahead of the video
//! encoder's lookahead, so audio packets wait in a queue and are written
//! into the segment whose time span they start in. Without video, segment
//! `k` starts with the first audio packet that starts at or after the
//! instant of frame `k * segment_frames`.

use std::collections::VecDeque;
use std::path::PathBuf;

use ffmpeg_next::format::context::Output;
use ffmpeg_next::{Packet, Rational, codec, format};

use super::playlist::{self, PlaylistEntry};
use super::{GeneratedSegment, RecordingSpec, RecordingSummary};
use crate::MediaError;
use crate::av::{params, ts_time_base};
use crate::error::Cause;

struct OpenSegment {
    output: Output,
    number: u64,
    path: PathBuf,
    uri: String,
    /// Audio-only recordings: the sample span of the segment's packets.
    samples: Option<(i64, i64)>,
}

pub(super) struct Segmenter<'a> {
    spec: &'a RecordingSpec,
    video: Option<(codec::Parameters, Rational)>,
    audio: Option<(codec::Parameters, Rational)>,
    current: Option<OpenSegment>,
    pending_audio: VecDeque<Packet>,
    entries: Vec<PlaylistEntry>,
    segments: Vec<GeneratedSegment>,
    on_segment: &'a mut dyn FnMut(&GeneratedSegment),
}

fn out_error(path: &std::path::Path, cause: Cause) -> MediaError {
    MediaError::Output {
        path: path.to_path_buf(),
        cause,
    }
}

impl<'a> Segmenter<'a> {
    pub fn new(
        spec: &'a RecordingSpec,
        video: Option<(codec::Parameters, Rational)>,
        audio: Option<(codec::Parameters, Rational)>,
        on_segment: &'a mut dyn FnMut(&GeneratedSegment),
    ) -> Self {
        Segmenter {
            spec,
            video,
            audio,
            current: None,
            pending_audio: VecDeque::new(),
            entries: Vec::new(),
            segments: Vec::new(),
            on_segment,
        }
    }

    /// The video stream parameters of the segments started from now on
    /// (after the encoder was reopened at a new size).
    pub fn set_video_parameters(&mut self, parameters: codec::Parameters) {
        if let Some(video) = self.video.as_mut() {
            video.0 = parameters;
        }
    }

    fn sample_rate(&self) -> u32 {
        self.spec.audio.map_or(1, |a| a.sample_rate.max(1))
    }

    /// Samples -> microseconds (floored) on the recording's UTC line.
    fn samples_us(&self, samples: i64) -> i64 {
        let us = i128::from(samples) * 1_000_000;
        i64::try_from(us.div_euclid(i128::from(self.sample_rate()))).unwrap_or(i64::MAX / 2)
    }

    /// Encoder timestamps -> 90 kHz ticks on the recording's PTS line.
    fn to_ticks(&self, packet: &mut Packet, from: Rational) {
        packet.rescale_ts(from, ts_time_base());
        let shift = |t: Option<i64>| t.map(|v| v + self.spec.start_pts);
        packet.set_pts(shift(packet.pts()));
        packet.set_dts(shift(packet.dts()));
    }

    pub fn video(&mut self, mut packet: Packet) -> Result<(), MediaError> {
        let frame_index = packet.pts().unwrap_or(0);
        let starts_segment = packet.is_key()
            && frame_index >= 0
            && (frame_index as u64).is_multiple_of(u64::from(self.spec.segment_frames));
        let Some((_, tb)) = self.video.as_ref() else {
            return Ok(());
        };
        let tb = *tb;
        self.to_ticks(&mut packet, tb);
        if starts_segment {
            let number = frame_index as u64 / u64::from(self.spec.segment_frames);
            let start = packet.pts().unwrap_or(0);
            self.start_segment(number, start)?;
        }
        let dts = packet.dts().or(packet.pts()).unwrap_or(0);
        self.write_pending_audio(|pts| pts <= dts)?;
        self.write(packet, 0)
    }

    pub fn audio(&mut self, mut packet: Packet) -> Result<(), MediaError> {
        let Some((_, tb)) = self.audio.as_ref() else {
            return Ok(());
        };
        let tb = *tb;
        if self.video.is_none() {
            return self.audio_only(packet, tb);
        }
        self.to_ticks(&mut packet, tb);
        self.pending_audio.push_back(packet);
        Ok(())
    }

    /// An audio packet of a recording without video (`tb` is 1/sample rate):
    /// it starts the next segment once it starts at or after that segment's
    /// first frame instant.
    fn audio_only(&mut self, mut packet: Packet, tb: Rational) -> Result<(), MediaError> {
        let first = packet.pts().unwrap_or(0);
        let end = first + packet.duration().max(0);
        let spec = self.spec;
        // floor(first / samples per segment), in integers; the packets the
        // encoder flushes after the last frame's instant stay in the last
        // segment.
        let samples_num = i128::from(spec.fps_den)
            * i128::from(self.sample_rate())
            * i128::from(spec.segment_frames);
        let samples_den = i128::from(spec.fps_num.max(1));
        let number = (i128::from(first.max(0)) * samples_den / samples_num.max(1)) as u64;
        let last = spec
            .total_frames
            .div_ceil(u64::from(spec.segment_frames))
            .saturating_sub(1);
        let number = number.min(last);
        if self.current.as_ref().is_none_or(|s| number > s.number) {
            self.start_segment(number, first)?;
        }
        if let Some(seg) = self.current.as_mut() {
            let (start, _) = seg.samples.unwrap_or((first, end));
            seg.samples = Some((start, end));
        }
        self.to_ticks(&mut packet, tb);
        self.write(packet, 0)
    }

    fn write_pending_audio(&mut self, accept: impl Fn(i64) -> bool) -> Result<(), MediaError> {
        if self.current.is_none() {
            return Ok(());
        }
        while let Some(front) = self.pending_audio.front() {
            if !accept(front.pts().unwrap_or(0)) {
                break;
            }
            if let Some(packet) = self.pending_audio.pop_front() {
                self.write(packet, 1)?;
            }
        }
        Ok(())
    }

    fn write(&mut self, mut packet: Packet, stream: usize) -> Result<(), MediaError> {
        let Some(seg) = self.current.as_mut() else {
            return Err(MediaError::Internal(
                "test recording: a packet arrived before the first IDR frame".into(),
            ));
        };
        packet.set_stream(stream);
        packet.set_position(-1);
        packet
            .write_interleaved(&mut seg.output)
            .map_err(|e| out_error(&seg.path, Cause::libav("writing a packet", e)))
    }

    fn start_segment(&mut self, number: u64, start_pts: i64) -> Result<(), MediaError> {
        if self.current.is_some() {
            self.write_pending_audio(|pts| pts < start_pts)?;
            self.close_current(false)?;
        }
        let uri = format!("{}{:05}.ts", self.spec.segment_prefix, number);
        let path = self.spec.dir.join(&uri);
        let mut output = format::output_as(&path, "mpegts")
            .map_err(|e| out_error(&path, Cause::libav("creating", e)))?;
        if let Some((par, _)) = &self.video {
            params::add_stream(&mut output, par, ts_time_base())
                .map_err(|e| out_error(&path, Cause::libav("adding the video stream", e)))?;
        }
        if let Some((par, _)) = &self.audio {
            params::add_stream(&mut output, par, ts_time_base())
                .map_err(|e| out_error(&path, Cause::libav("adding the audio stream", e)))?;
        }
        output
            .write_header()
            .map_err(|e| out_error(&path, Cause::libav("writing the header", e)))?;
        self.current = Some(OpenSegment {
            output,
            number,
            path,
            uri,
            samples: None,
        });
        Ok(())
    }

    fn close_current(&mut self, last: bool) -> Result<(), MediaError> {
        let Some(mut seg) = self.current.take() else {
            return Ok(());
        };
        seg.output
            .write_trailer()
            .map_err(|e| out_error(&seg.path, Cause::libav("finishing", e)))?;
        let spec = self.spec;
        let first = seg.number * u64::from(spec.segment_frames);
        let frames = u64::from(spec.segment_frames).min(spec.total_frames.saturating_sub(first));
        // With video the segment starts at its keyframe; audio alone starts
        // at its first packet's first sample.
        let (utc_start_us, duration_us) = match seg.samples {
            Some((start, end)) => (
                spec.start_utc_us + self.samples_us(start),
                self.samples_us(end) - self.samples_us(start),
            ),
            None => (spec.frame_utc_us(first), spec.frames_duration_us(frames)),
        };
        let generated = GeneratedSegment {
            path: seg.path,
            uri: seg.uri,
            sequence: spec.media_sequence + seg.number,
            first_frame_index: first,
            frames,
            utc_start_us,
            duration_us,
        };
        self.entries.push(PlaylistEntry {
            uri: generated.uri.clone(),
            utc_start_us: generated.utc_start_us,
            duration_us: generated.duration_us,
        });
        let longest = spec
            .frames_duration_us(u64::from(spec.segment_frames))
            .max(0) as u64;
        let mut target = longest.div_ceil(1_000_000).max(1);
        if self.video.is_none() {
            // Audio segments end on packet boundaries, up to one packet
            // (< 100 ms) late; EXTINF rounded must stay <= the target.
            target = target.max((longest + 600_000) / 1_000_000);
        }
        let text = playlist::render(&self.entries, target, spec.media_sequence, last);
        let playlist_path = spec.dir.join(&spec.playlist_name);
        playlist::write_atomically(&playlist_path, &text)
            .map_err(|e| out_error(&playlist_path, Cause::io("writing the playlist", e)))?;
        (self.on_segment)(&generated);
        self.segments.push(generated);
        Ok(())
    }

    pub fn finish(mut self) -> Result<RecordingSummary, MediaError> {
        self.write_pending_audio(|_| true)?;
        self.close_current(true)?;
        Ok(RecordingSummary {
            playlist: self.spec.dir.join(&self.spec.playlist_name),
            segments: self.segments,
            frames: self.spec.total_frames,
        })
    }
}
