//! Splits the encoded streams into MPEG-TS segment files at IDR frames and
//! maintains the playlist.
//!
//! Video decides the cut: a segment starts with the IDR packet of frame
//! `k * segment_frames`. The audio encoder runs ahead of x264's lookahead,
//! so audio packets wait in a queue and are written into the segment whose
//! time span they start in.

use std::collections::VecDeque;
use std::path::PathBuf;

use ffmpeg_next::format::context::Output;
use ffmpeg_next::{Packet, Rational, codec, format};

use super::playlist::{self, PlaylistEntry};
use super::{GeneratedSegment, RecordingSpec, RecordingSummary};
use crate::MediaError;
use crate::av::{params, ts_time_base};

struct OpenSegment {
    output: Output,
    number: u64,
    path: PathBuf,
    uri: String,
}

pub(super) struct Segmenter<'a> {
    spec: &'a RecordingSpec,
    video: (codec::Parameters, Rational),
    audio: Option<(codec::Parameters, Rational)>,
    current: Option<OpenSegment>,
    pending_audio: VecDeque<Packet>,
    entries: Vec<PlaylistEntry>,
    segments: Vec<GeneratedSegment>,
    on_segment: &'a mut dyn FnMut(&GeneratedSegment),
}

fn out_error(path: &std::path::Path, what: &str, e: impl std::fmt::Display) -> MediaError {
    MediaError::Output {
        path: path.to_path_buf(),
        detail: format!("{what}: {e}"),
    }
}

impl<'a> Segmenter<'a> {
    pub fn new(
        spec: &'a RecordingSpec,
        video: (codec::Parameters, Rational),
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
        self.video.0 = parameters;
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
        self.to_ticks(&mut packet, self.video.1);
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
        self.to_ticks(&mut packet, tb);
        self.pending_audio.push_back(packet);
        Ok(())
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
            .map_err(|e| out_error(&seg.path, "writing a packet", e))
    }

    fn start_segment(&mut self, number: u64, start_pts: i64) -> Result<(), MediaError> {
        if self.current.is_some() {
            self.write_pending_audio(|pts| pts < start_pts)?;
            self.close_current(false)?;
        }
        let uri = format!("{}{:05}.ts", self.spec.segment_prefix, number);
        let path = self.spec.dir.join(&uri);
        let mut output =
            format::output_as(&path, "mpegts").map_err(|e| out_error(&path, "creating", e))?;
        params::add_stream(&mut output, &self.video.0, ts_time_base())
            .map_err(|e| out_error(&path, "adding the video stream", e))?;
        if let Some((par, _)) = &self.audio {
            params::add_stream(&mut output, par, ts_time_base())
                .map_err(|e| out_error(&path, "adding the audio stream", e))?;
        }
        output
            .write_header()
            .map_err(|e| out_error(&path, "writing the header", e))?;
        self.current = Some(OpenSegment {
            output,
            number,
            path,
            uri,
        });
        Ok(())
    }

    fn close_current(&mut self, last: bool) -> Result<(), MediaError> {
        let Some(mut seg) = self.current.take() else {
            return Ok(());
        };
        seg.output
            .write_trailer()
            .map_err(|e| out_error(&seg.path, "finishing", e))?;
        let spec = self.spec;
        let first = seg.number * u64::from(spec.segment_frames);
        let frames = u64::from(spec.segment_frames).min(spec.total_frames.saturating_sub(first));
        let generated = GeneratedSegment {
            path: seg.path,
            uri: seg.uri,
            sequence: spec.media_sequence + seg.number,
            first_frame_index: first,
            frames,
            utc_start_us: spec.frame_utc_us(first),
            duration_us: spec.frames_duration_us(frames),
        };
        self.entries.push(PlaylistEntry {
            uri: generated.uri.clone(),
            utc_start_us: generated.utc_start_us,
            duration_us: generated.duration_us,
        });
        let longest = spec
            .frames_duration_us(u64::from(spec.segment_frames))
            .max(0) as u64;
        let target = longest.div_ceil(1_000_000).max(1);
        let text = playlist::render(&self.entries, target, spec.media_sequence, last);
        let playlist_path = spec.dir.join(&spec.playlist_name);
        playlist::write_atomically(&playlist_path, &text)
            .map_err(|e| out_error(&playlist_path, "writing the playlist", e))?;
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
