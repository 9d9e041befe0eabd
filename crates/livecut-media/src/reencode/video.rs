//! The output's video encoder, chosen by the first clip's source
//! (`OutputCodec`):
//!
//! * H.264 source: libx264, 8-bit 4:2:0 (High profile), CRF 23 or ABR;
//! * HEVC source: libx265, Main (8-bit 4:2:0) or, when the source has more
//!   than 8 bits per sample, Main 10 (`yuv420p10le`), CRF 28 (x265's
//!   default, about x264's 23) or ABR; closed GOPs, so every keyframe of the
//!   output is a clean random-access point. The MP4 track is tagged `hvc1`
//!   with the parameter sets only in `hvcC` (see `mux`), as Apple players
//!   require.
//!
//! Both: preset veryfast, a keyframe every 2 s, and with a bit rate a VBV
//! of 1.5x the rate and a 2 s buffer.
//!
//! One encoder serves the whole job: every clip is scaled to the same
//! picture and the output timeline is continuous, so the clips form one
//! stream with one set of parameter sets and encoder-made DTS.

use std::collections::BTreeMap;

use ffmpeg_next::codec::{self, Id, encoder};
use ffmpeg_next::format::Pixel;
use ffmpeg_next::{Error, Packet, Rational, frame};

use super::mux::Mp4Sink;
use crate::MediaError;
use crate::av::ts_time_base;
use crate::av::video_encoder::{self, Rate, VideoEncoderSettings, is_again};
use crate::codec::VideoCodec;
use crate::error::Cause;
use crate::timeline::TICKS_PER_SECOND;
use crate::transcode::scale::OutputPicture;

/// Quality target without a requested bit rate (x264's own default).
const CRF: f32 = 23.0;
/// x265's default, which looks about like x264's 23.
const CRF_HEVC: f32 = 28.0;
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

/// The output video codec, decided by the first clip's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputCodec {
    /// libx264, 8-bit 4:2:0.
    H264,
    /// libx265 Main, 8-bit 4:2:0.
    Hevc,
    /// libx265 Main 10, 10-bit 4:2:0.
    HevcMain10,
}

impl OutputCodec {
    /// The output codec for a first clip of codec `source` whose samples
    /// have `bit_depth` bits.
    pub fn for_source(source: Id, bit_depth: u32) -> Result<Self, MediaError> {
        match VideoCodec::from_id(source) {
            Some(VideoCodec::H264) => Ok(OutputCodec::H264),
            Some(VideoCodec::Hevc) if bit_depth > 8 => Ok(OutputCodec::HevcMain10),
            Some(VideoCodec::Hevc) => Ok(OutputCodec::Hevc),
            None => Err(MediaError::Unsupported {
                clip: None,
                what: format!("re-encoding {source:?} video"),
            }),
        }
    }

    pub fn codec(self) -> VideoCodec {
        match self {
            OutputCodec::H264 => VideoCodec::H264,
            OutputCodec::Hevc | OutputCodec::HevcMain10 => VideoCodec::Hevc,
        }
    }

    /// The pixel format the encoder takes (and the scaler makes).
    pub fn pixel(self) -> Pixel {
        match self {
            OutputCodec::H264 | OutputCodec::Hevc => Pixel::YUV420P,
            OutputCodec::HevcMain10 => Pixel::YUV420P10LE,
        }
    }

    fn encoder_name(self) -> &'static str {
        match self {
            OutputCodec::H264 => "libx264",
            OutputCodec::Hevc | OutputCodec::HevcMain10 => "libx265",
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

/// The encoder settings for `settings` (libx264 or libx265 by its codec).
fn encoder_settings(settings: &VideoSettings) -> VideoEncoderSettings {
    let fps = settings.frame_rate;
    let gop = (GOP_SECONDS * i64::from(fps.numerator()) / i64::from(fps.denominator().max(1)))
        .clamp(1, 1000) as u32;
    let codec = settings.codec;
    let mut params: Vec<String> = Vec::new();
    let (rate, profile) = match codec {
        OutputCodec::H264 => (Rate::Crf(CRF), None),
        OutputCodec::Hevc => (Rate::Crf(CRF_HEVC), Some("main")),
        OutputCodec::HevcMain10 => (Rate::Crf(CRF_HEVC), Some("main10")),
    };
    if codec.codec() == VideoCodec::Hevc {
        // x265 prints its own banner and statistics unless told not to;
        // libx265 takes the GOP length only from its own parameters.
        params.extend([
            "log-level=error".to_string(),
            format!("keyint={gop}"),
            "open-gop=0".to_string(),
        ]);
    }
    let rate = match settings.bitrate_kbps {
        None => rate,
        Some(kbps) => {
            let kbps = u64::from(kbps);
            params.push(format!(
                "vbv-maxrate={}:vbv-bufsize={}",
                kbps * VBV_MAX_PERCENT / 100,
                kbps * VBV_BUFFER_PERCENT / 100
            ));
            Rate::Bitrate(kbps * 1000)
        }
    };
    VideoEncoderSettings {
        codec: codec.codec(),
        width: settings.picture.size.width,
        height: settings.picture.size.height,
        pixel: codec.pixel(),
        time_base: ts_time_base(),
        frame_rate: fps,
        sample_aspect_ratio: Rational::new(1, 1),
        color_range: settings.picture.range,
        color_primaries: settings.picture.primaries,
        color_trc: settings.picture.transfer,
        color_space: settings.picture.space,
        preset: PRESET.into(),
        rate,
        profile: profile.map(str::to_string),
        level: None,
        bframes: None,
        gop,
        params: params.join(":"),
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

fn encoder_error(cause: Cause) -> MediaError {
    MediaError::Encoder { clip: None, cause }
}

impl VideoEncoder {
    pub fn open(settings: &VideoSettings) -> Result<Self, MediaError> {
        let encoder = video_encoder::open(&encoder_settings(settings)).map_err(|e| {
            encoder_error(Cause::libav(
                format!("opening {}", settings.codec.encoder_name()),
                e,
            ))
        })?;
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
            .map_err(|e| encoder_error(Cause::libav("the video encoder rejected a frame", e)))?;
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
                Err(e) => return Err(encoder_error(Cause::libav("the video encoder failed", e))),
            }
        }
    }

    /// Flushes the encoder.
    pub fn finish(&mut self, sink: &mut Mp4Sink) -> Result<(), MediaError> {
        self.encoder
            .send_eof()
            .map_err(|e| encoder_error(Cause::libav("flushing the video encoder", e)))?;
        self.receive(sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Size;
    use ffmpeg_next::util::color;

    fn settings(codec: OutputCodec, bitrate_kbps: Option<u32>) -> VideoSettings {
        VideoSettings {
            codec,
            picture: OutputPicture {
                size: Size {
                    width: 320,
                    height: 180,
                },
                pixel: codec.pixel(),
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
        let s = encoder_settings(&settings(OutputCodec::H264, None));
        assert_eq!(s.codec, VideoCodec::H264);
        assert_eq!(s.rate, Rate::Crf(23.0));
        assert!(s.params.is_empty());
        assert_eq!(s.preset, "veryfast");
        assert_eq!(s.profile, None);
        assert_eq!(s.pixel, Pixel::YUV420P);
        // 2 s at 29.97 fps.
        assert_eq!(s.gop, 59);
        assert!(s.global_header);
    }

    #[test]
    fn a_bit_rate_gets_a_vbv() {
        let s = encoder_settings(&settings(OutputCodec::H264, Some(1000)));
        assert_eq!(s.rate, Rate::Bitrate(1_000_000));
        assert_eq!(s.params, "vbv-maxrate=1500:vbv-bufsize=2000");
    }

    #[test]
    fn hevc_gets_libx265_with_its_own_gop_and_profile() {
        let s = encoder_settings(&settings(OutputCodec::Hevc, None));
        assert_eq!(s.codec, VideoCodec::Hevc);
        assert_eq!(s.rate, Rate::Crf(28.0));
        assert_eq!(s.profile.as_deref(), Some("main"));
        assert_eq!(s.pixel, Pixel::YUV420P);
        assert_eq!(s.params, "log-level=error:keyint=59:open-gop=0");
        assert!(s.global_header);
        let s = encoder_settings(&settings(OutputCodec::HevcMain10, Some(800)));
        assert_eq!(s.profile.as_deref(), Some("main10"));
        assert_eq!(s.pixel, Pixel::YUV420P10LE);
        assert_eq!(s.rate, Rate::Bitrate(800_000));
        assert_eq!(
            s.params,
            "log-level=error:keyint=59:open-gop=0:vbv-maxrate=1200:vbv-bufsize=1600"
        );
    }

    #[test]
    fn bit_rates_are_checked() {
        assert!(check_bitrate(None).is_ok());
        assert!(check_bitrate(Some(800)).is_ok());
        for bad in [0, MAX_BITRATE_KBPS + 1] {
            let err = check_bitrate(Some(bad)).expect_err("refused");
            assert!(matches!(err, MediaError::InvalidJob(_)), "{err}");
        }
    }

    #[test]
    fn the_source_codec_and_depth_choose_the_encoder() {
        assert_eq!(
            OutputCodec::for_source(Id::H264, 8).ok(),
            Some(OutputCodec::H264)
        );
        // libx264 output stays 8-bit whatever the source.
        assert_eq!(
            OutputCodec::for_source(Id::H264, 10).ok(),
            Some(OutputCodec::H264)
        );
        assert_eq!(
            OutputCodec::for_source(Id::HEVC, 8).ok(),
            Some(OutputCodec::Hevc)
        );
        assert_eq!(
            OutputCodec::for_source(Id::HEVC, 10).ok(),
            Some(OutputCodec::HevcMain10)
        );
        let err = OutputCodec::for_source(Id::MPEG2VIDEO, 8).expect_err("not implemented");
        assert!(matches!(err, MediaError::Unsupported { .. }), "{err}");
    }
}
