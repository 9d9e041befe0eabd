//! The output's video encoder. H.264 sources are re-encoded with libx264;
//! the codec is chosen in one place (`OutputCodec`) so that libx265 slots
//! in beside it for HEVC sources (its MP4 tag would then be set to `hvc1`).
//!
//! One encoder serves the whole job: every clip is scaled to the same
//! picture and the output timeline is continuous, so the clips form one
//! stream with one SPS/PPS and encoder-made DTS.

use std::collections::BTreeMap;

use ffmpeg_next::codec::{self, Id, encoder};
use ffmpeg_next::format::Pixel;
use ffmpeg_next::{Error, Packet, Rational, frame};

use super::mux::Mp4Sink;
use super::scale::OutputPicture;
use crate::MediaError;
use crate::av::ts_time_base;
use crate::av::video_encoder::{self, Rate, VideoEncoderSettings, is_again};
use crate::timeline::TICKS_PER_SECOND;

/// Quality target without a requested bit rate (x264's own default).
const CRF: f32 = 23.0;
const PRESET: &str = "veryfast";
/// Keyframe interval: 2 s, the usual live-stream GOP, so the output seeks
/// as finely as the recordings did.
const GOP_SECONDS: i64 = 2;
/// VBV around a requested bit rate: peaks up to 1.5x, a 2 s buffer. Keeps
/// the average on target without starving hard scenes.
const VBV_MAX_PERCENT: u64 = 150;
const VBV_BUFFER_PERCENT: u64 = 200;
/// Largest accepted bit rate (1 Gbit/s).
pub const MAX_BITRATE_KBPS: u32 = 1_000_000;

/// The output video codec, decided by the source's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputCodec {
    H264,
}

impl OutputCodec {
    pub fn for_source(source: Id) -> Result<Self, MediaError> {
        match source {
            Id::H264 => Ok(OutputCodec::H264),
            other => Err(MediaError::Unsupported {
                clip: None,
                what: format!("re-encoding {other:?} video"),
            }),
        }
    }
}

pub struct VideoSettings {
    pub codec: OutputCodec,
    pub picture: OutputPicture,
    /// Nominal frame rate (the first clip's).
    pub frame_rate: Rational,
    pub bitrate_kbps: Option<u32>,
}

/// Checks a requested bit rate before anything is opened.
pub fn check_bitrate(kbps: Option<u32>) -> Result<(), MediaError> {
    match kbps {
        Some(k) if k == 0 || k > MAX_BITRATE_KBPS => Err(MediaError::InvalidJob(format!(
            "video bit rate {k} kbit/s is outside 1..={MAX_BITRATE_KBPS}"
        ))),
        _ => Ok(()),
    }
}

fn x264_settings(settings: &VideoSettings) -> VideoEncoderSettings {
    let (rate, params) = match settings.bitrate_kbps {
        None => (Rate::Crf(CRF), String::new()),
        Some(kbps) => {
            let kbps = u64::from(kbps);
            (
                Rate::Bitrate(kbps * 1000),
                format!(
                    "vbv-maxrate={}:vbv-bufsize={}",
                    kbps * VBV_MAX_PERCENT / 100,
                    kbps * VBV_BUFFER_PERCENT / 100
                ),
            )
        }
    };
    let fps = settings.frame_rate;
    let gop = (GOP_SECONDS * i64::from(fps.numerator()) / i64::from(fps.denominator().max(1)))
        .clamp(1, 1000) as u32;
    VideoEncoderSettings {
        codec: crate::codec::VideoCodec::H264,
        width: settings.picture.size.width,
        height: settings.picture.size.height,
        pixel: Pixel::YUV420P,
        time_base: ts_time_base(),
        frame_rate: fps,
        sample_aspect_ratio: Rational::new(1, 1),
        color_range: settings.picture.range,
        color_primaries: settings.picture.primaries,
        color_trc: settings.picture.transfer,
        color_space: settings.picture.space,
        preset: PRESET.into(),
        rate,
        profile: None,
        level: None,
        bframes: None,
        gop,
        params,
        global_header: true,
        threads: 0,
    }
}

pub struct VideoEncoder {
    encoder: encoder::Video,
    /// Duration of each frame inside the encoder, by PTS: libx264 does not
    /// carry durations to its packets, and the last one decides the
    /// track's length.
    durations: BTreeMap<i64, i64>,
    /// Duration for a packet whose frame was not seen (never expected).
    nominal_duration: i64,
    frames: u64,
}

fn encoder_error(detail: String) -> MediaError {
    MediaError::Encoder { clip: None, detail }
}

impl VideoEncoder {
    pub fn open(settings: &VideoSettings) -> Result<Self, MediaError> {
        let encoder = match settings.codec {
            OutputCodec::H264 => video_encoder::open(&x264_settings(settings))
                .map_err(|e| encoder_error(format!("opening libx264: {e}")))?,
        };
        let fps = settings.frame_rate;
        Ok(VideoEncoder {
            encoder,
            durations: BTreeMap::new(),
            nominal_duration: (TICKS_PER_SECOND * i64::from(fps.denominator())
                / i64::from(fps.numerator()).max(1))
            .max(1),
            frames: 0,
        })
    }

    pub fn time_base(&self) -> Rational {
        ts_time_base()
    }

    pub fn parameters(&self) -> codec::Parameters {
        codec::Parameters::from(&*self.encoder)
    }

    /// Frames encoded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Encodes `picture`, whose PTS (90 kHz, output timeline) is set.
    pub fn encode(
        &mut self,
        picture: &frame::Video,
        duration: i64,
        sink: &mut Mp4Sink,
    ) -> Result<(), MediaError> {
        let Some(pts) = picture.pts() else {
            return Err(MediaError::Internal("a picture without a timestamp".into()));
        };
        self.durations.insert(pts, duration);
        self.encoder
            .send_frame(picture)
            .map_err(|e| encoder_error(format!("the video encoder rejected a frame: {e}")))?;
        self.frames += 1;
        self.receive(sink)
    }

    fn receive(&mut self, sink: &mut Mp4Sink) -> Result<(), MediaError> {
        loop {
            let mut packet = Packet::empty();
            match self.encoder.receive_packet(&mut packet) {
                Ok(()) => {
                    let duration = packet
                        .pts()
                        .and_then(|pts| self.durations.remove(&pts))
                        .unwrap_or(self.nominal_duration);
                    packet.set_duration(duration);
                    sink.write_video(packet, self.time_base())?;
                }
                Err(Error::Eof) => return Ok(()),
                Err(e) if is_again(&e) => return Ok(()),
                Err(e) => return Err(encoder_error(format!("the video encoder failed: {e}"))),
            }
        }
    }

    /// Flushes the encoder.
    pub fn finish(&mut self, sink: &mut Mp4Sink) -> Result<(), MediaError> {
        self.encoder
            .send_eof()
            .map_err(|e| encoder_error(format!("flushing the video encoder: {e}")))?;
        self.receive(sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Size;
    use ffmpeg_next::util::color;

    fn settings(bitrate_kbps: Option<u32>) -> VideoSettings {
        VideoSettings {
            codec: OutputCodec::H264,
            picture: OutputPicture {
                size: Size {
                    width: 320,
                    height: 180,
                },
                range: color::Range::MPEG,
                primaries: color::Primaries::BT709,
                transfer: color::TransferCharacteristic::BT709,
                space: color::Space::BT709,
            },
            frame_rate: Rational::new(30_000, 1001),
            bitrate_kbps,
        }
    }

    #[test]
    fn quality_mode_without_a_bit_rate() {
        let s = x264_settings(&settings(None));
        assert_eq!(s.rate, Rate::Crf(23.0));
        assert!(s.params.is_empty());
        assert_eq!(s.preset, "veryfast");
        // 2 s at 29.97 fps.
        assert_eq!(s.gop, 59);
        assert!(s.global_header);
    }

    #[test]
    fn a_bit_rate_gets_a_vbv() {
        let s = x264_settings(&settings(Some(1000)));
        assert_eq!(s.rate, Rate::Bitrate(1_000_000));
        assert_eq!(s.params, "vbv-maxrate=1500:vbv-bufsize=2000");
    }

    #[test]
    fn bit_rates_are_checked() {
        assert!(check_bitrate(None).is_ok());
        assert!(check_bitrate(Some(800)).is_ok());
        for bad in [0, MAX_BITRATE_KBPS + 1] {
            let err = check_bitrate(Some(bad)).expect_err("refused");
            assert_eq!(err.code(), "InvalidParameter", "{err}");
        }
    }

    #[test]
    fn only_h264_sources_have_an_encoder_yet() {
        assert_eq!(
            OutputCodec::for_source(Id::H264).ok(),
            Some(OutputCodec::H264)
        );
        let err = OutputCodec::for_source(Id::HEVC).expect_err("not yet");
        assert_eq!(err.code(), "InvalidParameter.NotSupported");
    }
}
