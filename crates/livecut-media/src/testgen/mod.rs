//! Synthetic HLS recordings for tests and benchmarks, written with the
//! FFmpeg libraries (libx264 or libx265, FFmpeg's AAC encoder or
//! libmp3lame, the MPEG-TS muxer).
//!
//! Frame `i` (0-based) shows the number `first_frame_number + i` (see
//! `livecut_pattern`) and is presented at exactly
//! `start_utc_us + i * 1e6 * fps_den / fps_num`; its PTS is
//! `start_pts + i * 90000 * fps_den / fps_num`. Audio sample 0 plays with
//! frame 0 and carries the marker tone schedule of `livecut_pattern`.
//! A keyframe comes exactly every `gop_frames` frames, every segment starts
//! with one (an IDR frame unless `open_gop`), its parameter sets are
//! repeated in-band before every keyframe, and the playlist has a
//! PROGRAM-DATE-TIME (the instant of the segment's first keyframe,
//! millisecond precision) before every segment.
//!
//! Options beyond that plain recording (all off in [`RecordingSpec::new`]):
//! * `video_codec: Hevc` encodes with libx265 (same GOP rules, VPS/SPS/PPS
//!   in-band).
//! * `open_gop`: keyframes after the first are H.264 I frames with a
//!   recovery point SEI (NAL type 1) or HEVC CRA pictures, each followed in
//!   decode order by its leading B-frames (HEVC RASL), which are shown
//!   *before* it and reference the previous GOP. A segment's file therefore
//!   starts with its keyframe but also holds those leading frames, whose
//!   PTS/UTC lie before the segment's PDT; the frame -> PTS/UTC relation
//!   above holds for them as for every frame.
//! * `size_changes`: at each listed segment boundary the encoder restarts
//!   at a new picture size (IDR, new in-band parameter sets with the same
//!   ids); timestamps and PDTs continue, no EXT-X-DISCONTINUITY.
//! * `ten_bit` (HEVC only): Main 10, yuv420p10le; the same picture, every
//!   sample shifted to 10 bits, so frame numbers read as in 8 bits.
//! * `video: false`: audio only. Segments still span `segment_frames`
//!   frames' worth of time, but start on audio packet boundaries: segment
//!   `k` starts with the first packet starting at or after the instant of
//!   frame `k * segment_frames`, and its PDT is that packet's first sample's
//!   instant (for segment 0 the encoder's priming, before sample 0). Sample
//!   `s` (PTS `start_pts + s * 90000 / sample_rate`) is at
//!   `start_utc_us + s * 1e6 / sample_rate`.
//! * `audio_codec: Mp3` encodes the audio with libmp3lame (1152-sample
//!   frames) instead of FFmpeg's AAC encoder; its encoder delay is in the
//!   packet timestamps, so markers keep their schedule.

mod encode;
mod picture;
pub mod playlist;
mod segmenter;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use crate::codec::{AudioCodec, VideoCodec};
use crate::{MediaError, SegmentInput};

/// Audio track of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioSpec {
    pub sample_rate: u32,
    pub channels: u16,
    pub bit_rate: u64,
}

impl Default for AudioSpec {
    fn default() -> Self {
        AudioSpec {
            sample_rate: 48_000,
            channels: 2,
            bit_rate: 128_000,
        }
    }
}

/// A live encoder restarting at a new picture size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeChange {
    /// Index (not number) of the first frame at the new size; a segment
    /// boundary.
    pub at_frame: u64,
    pub width: u32,
    pub height: u32,
}

/// Video rate control of the generator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateControl {
    Crf(f32),
    Bitrate(u64),
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct RecordingSpec {
    pub dir: PathBuf,
    pub playlist_name: String,
    /// "seg" -> seg00000.ts, seg00001.ts, ...
    pub segment_prefix: String,
    pub width: u32,
    pub height: u32,
    pub fps_num: u32,
    pub fps_den: u32,
    /// IDR interval in frames.
    pub gop_frames: u32,
    /// Frames per segment; a multiple of `gop_frames`.
    pub segment_frames: u32,
    pub total_frames: u64,
    /// The number drawn on frame 0.
    pub first_frame_number: u32,
    /// UTC of frame 0, microseconds since the epoch.
    pub start_utc_us: i64,
    /// 90 kHz PTS of frame 0. Realistic recordings do not start at 0, and a
    /// value close to 2^33 makes the recording cross the PTS wrap.
    pub start_pts: i64,
    /// EXT-X-MEDIA-SEQUENCE of the first segment.
    pub media_sequence: u64,
    pub audio: Option<AudioSpec>,
    pub bframes: u32,
    /// Encoder preset, of libx264 or libx265 (both know the same names,
    /// "ultrafast" to "placebo").
    pub x264_preset: String,
    pub rate: RateControl,
    /// SPS/PPS id the encoder uses (x264 `sps-id`); H.264 only.
    pub sps_id: u32,
    /// H.264 (libx264) or HEVC (libx265).
    pub video_codec: VideoCodec,
    /// Open GOPs: every keyframe after the first is a non-IDR I frame with
    /// a recovery point SEI (H.264) or a CRA picture (HEVC), followed in
    /// decode order by leading B-frames (RASL) that precede it in
    /// presentation order and reference the previous GOP. Needs
    /// `bframes > 0`.
    pub open_gop: bool,
    /// Picture size changes, by increasing `at_frame`. From each one on a
    /// new encoder at the new size writes the recording: the segment starts
    /// with an IDR frame and new in-band parameter sets (with the same ids);
    /// PTS and PDT continue without an EXT-X-DISCONTINUITY.
    pub size_changes: Vec<SizeChange>,
    /// Codec of the audio track: AAC (FFmpeg's encoder, 1024-sample frames)
    /// or MP3 (libmp3lame, 1152-sample frames; 32, 44.1 or 48 kHz, mono or
    /// stereo). A field of the spec rather than of [`AudioSpec`] so that
    /// existing `AudioSpec { .. }` literals keep compiling.
    pub audio_codec: AudioCodec,
    /// HEVC Main 10 (yuv420p10le): the 8-bit picture with every sample
    /// scaled to 10 bits (`v << 2`). HEVC only.
    pub ten_bit: bool,
    /// `false`: an audio-only recording (needs `audio`, takes no video
    /// options). Segment `k` then starts with the first audio packet that
    /// starts at or after the instant of frame `k * segment_frames`, and its
    /// PDT is that packet's first sample's instant.
    pub video: bool,
}

/// 2026-11-24T10:00:00Z.
pub const DEFAULT_START_UTC_US: i64 = 1_795_514_400_000_000;

impl RecordingSpec {
    /// A small 320x180 30 fps recording: GOP 30, 2 s segments, 20 s,
    /// 2 B-frames, AAC 48 kHz stereo.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RecordingSpec {
            dir: dir.into(),
            playlist_name: "index.m3u8".into(),
            segment_prefix: "seg".into(),
            width: 320,
            height: 180,
            fps_num: 30,
            fps_den: 1,
            gop_frames: 30,
            segment_frames: 60,
            total_frames: 600,
            first_frame_number: 0,
            start_utc_us: DEFAULT_START_UTC_US,
            start_pts: 10 * 90_000,
            media_sequence: 0,
            audio: Some(AudioSpec::default()),
            bframes: 2,
            x264_preset: "veryfast".into(),
            rate: RateControl::Crf(23.0),
            sps_id: 0,
            video_codec: VideoCodec::H264,
            open_gop: false,
            size_changes: Vec::new(),
            audio_codec: AudioCodec::Aac,
            ten_bit: false,
            video: true,
        }
    }

    /// Exact presentation instant of frame `index`, floored to microseconds.
    pub fn frame_utc_us(&self, index: u64) -> i64 {
        let offset = i128::from(index) * 1_000_000 * i128::from(self.fps_den)
            / i128::from(self.fps_num.max(1));
        self.start_utc_us + i64::try_from(offset).unwrap_or(i64::MAX / 2)
    }

    /// 90 kHz PTS of frame `index`.
    pub fn frame_pts(&self, index: u64) -> i64 {
        let offset =
            i128::from(index) * 90_000 * i128::from(self.fps_den) / i128::from(self.fps_num.max(1));
        self.start_pts + i64::try_from(offset).unwrap_or(i64::MAX / 2)
    }

    /// Duration of `frames` frames in microseconds, rounded.
    pub fn frames_duration_us(&self, frames: u64) -> i64 {
        let num = i128::from(frames) * 1_000_000 * i128::from(self.fps_den);
        let den = i128::from(self.fps_num.max(1));
        i64::try_from((num + den / 2) / den).unwrap_or(i64::MAX / 2)
    }

    fn validate(&self) -> Result<(), MediaError> {
        let bad = |what: &str| Err(MediaError::InvalidJob(format!("recording spec: {what}")));
        let bad_size =
            |w: u32, h: u32| w < 16 || h < 16 || !w.is_multiple_of(2) || !h.is_multiple_of(2);
        if bad_size(self.width, self.height) {
            return bad("width and height must be even and >= 16");
        }
        if self.fps_num == 0 || self.fps_den == 0 {
            return bad("frame rate must be positive");
        }
        if self.gop_frames == 0
            || self.segment_frames == 0
            || !self.segment_frames.is_multiple_of(self.gop_frames)
        {
            return bad("segment_frames must be a positive multiple of gop_frames");
        }
        if self.total_frames == 0 {
            return bad("total_frames must be positive");
        }
        let last = u64::from(self.first_frame_number) + self.total_frames - 1;
        if last > u64::from(livecut_pattern::MAX_FRAME_NUMBER) {
            return bad("frame numbers exceed the pattern's 24 bits");
        }
        let mut previous = 0;
        for change in &self.size_changes {
            let at = change.at_frame;
            if bad_size(change.width, change.height) {
                return Err(MediaError::InvalidJob(format!(
                    "recording spec: size change at frame {at}: width and height must be even and >= 16"
                )));
            }
            if at <= previous
                || at >= self.total_frames
                || !at.is_multiple_of(u64::from(self.segment_frames))
            {
                return Err(MediaError::InvalidJob(format!(
                    "recording spec: size change at frame {at}: size changes need increasing frame indexes inside the recording that are multiples of segment_frames ({}), after frame 0",
                    self.segment_frames
                )));
            }
            previous = at;
        }
        if self.sps_id > 31 {
            return bad("sps_id must be 0..=31");
        }
        if self.sps_id != 0 && self.video_codec != VideoCodec::H264 {
            return bad("sps_id applies to H.264 only (libx265 always uses id 0)");
        }
        if !self.video {
            if self.audio.is_none() {
                return bad("a recording needs video or audio (video is false, audio None)");
            }
            if !self.size_changes.is_empty()
                || self.open_gop
                || self.ten_bit
                || self.sps_id != 0
                || self.video_codec != VideoCodec::H264
            {
                return bad(
                    "an audio-only recording (video false) takes no video options \
                     (size_changes, open_gop, ten_bit, sps_id, video_codec)",
                );
            }
        }
        if self.ten_bit && self.video_codec != VideoCodec::Hevc {
            return bad("ten_bit needs video_codec HEVC (Main 10); H.264 is 8-bit only here");
        }
        if self.open_gop && self.bframes == 0 {
            return bad("open_gop needs bframes > 0 (its leading pictures are B-frames)");
        }
        if let Some(audio) = self.audio
            && (audio.channels == 0 || audio.channels > 8 || audio.sample_rate == 0)
        {
            return bad("audio needs 1..=8 channels and a sample rate");
        }
        if let Some(audio) = self.audio
            && self.audio_codec == AudioCodec::Mp3
            && (audio.channels > 2 || ![32_000, 44_100, 48_000].contains(&audio.sample_rate))
        {
            return bad("MP3 audio needs 1 or 2 channels at 32000, 44100 or 48000 Hz");
        }
        Ok(())
    }
}

/// One written segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedSegment {
    pub path: PathBuf,
    pub uri: String,
    pub sequence: u64,
    /// Index (not number) of the segment's first frame.
    pub first_frame_index: u64,
    pub frames: u64,
    /// Exact instant of the first frame (the PDT is this rounded to ms).
    pub utc_start_us: i64,
    pub duration_us: i64,
}

impl GeneratedSegment {
    /// The segment as a cut input, with the millisecond PDT a playlist
    /// parser would read.
    pub fn to_input(&self) -> SegmentInput {
        SegmentInput {
            path: self.path.clone(),
            uri: self.uri.clone(),
            sequence: self.sequence,
            utc_start_us: (self.utc_start_us + 500).div_euclid(1000) * 1000,
            duration_us: self.duration_us,
            discontinuity: false,
            lookahead: false,
            init: None,
        }
    }
}

/// What `write_recording` produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingSummary {
    pub playlist: PathBuf,
    pub segments: Vec<GeneratedSegment>,
    pub frames: u64,
}

impl RecordingSummary {
    /// Every segment whose time span overlaps `[start, end)`, as cut inputs.
    pub fn inputs_overlapping(&self, start_utc_us: i64, end_utc_us: i64) -> Vec<SegmentInput> {
        self.segments
            .iter()
            .filter(|s| {
                s.utc_start_us < end_utc_us && s.utc_start_us + s.duration_us > start_utc_us
            })
            .map(GeneratedSegment::to_input)
            .collect()
    }
}

/// Writes the recording described by `spec`.
pub fn write_recording(spec: &RecordingSpec) -> Result<RecordingSummary, MediaError> {
    write_recording_with(spec, &mut |_| {})
}

/// Like [`write_recording`], calling `on_segment` after each segment is
/// complete and listed in the (then still open-ended) playlist; a caller
/// can sleep there to simulate a live recording.
pub fn write_recording_with(
    spec: &RecordingSpec,
    on_segment: &mut dyn FnMut(&GeneratedSegment),
) -> Result<RecordingSummary, MediaError> {
    crate::av::init()?;
    spec.validate()?;
    std::fs::create_dir_all(&spec.dir).map_err(|e| MediaError::Output {
        path: spec.dir.clone(),
        cause: e.into(),
    })?;
    encode::run(spec, on_segment)
}
