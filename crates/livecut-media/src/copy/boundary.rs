//! The boundary re-encoder of the smart cut.
//!
//! Every re-encoded part (the frames at a clip edge that whole GOPs cannot
//! cover) gets a fresh encoder of the source's codec opened with the same
//! settings, so each part starts with an IDR and all parts share one set of
//! parameter sets. libx264 gives its SPS/PPS an id the source does not use
//! (`sps-id`), which lets the single `avcC` carry the source's sets and the
//! encoder's side by side; libx265 has no such option, so HEVC outputs
//! usually carry their sets in-band (`hev1`, see `copy`). The settings copy
//! the source's size, pixel format (8 or 10 bit), sample aspect ratio,
//! colour description, profile and level.

use ffmpeg_next::codec::{self, decoder, encoder};
use ffmpeg_next::format::Pixel;
use ffmpeg_next::{Error, Packet, Rational, frame, picture};

use super::output::Mp4Writer;
use crate::MediaError;
use crate::av::video_encoder::{self, Rate, VideoEncoderSettings, is_again};
use crate::av::{self, ts_time_base};
use crate::av::{codec_context, params};
use crate::bitstream::access_unit::to_sample;
use crate::bitstream::h264::nal_units;
use crate::bitstream::parameter_sets::ParameterSets;
use crate::codec::VideoCodec;
use crate::error::Cause;
use crate::geometry::Size;
use crate::transcode::scale::{OutputPicture, Scaler};

/// How re-encoded boundary frames are encoded, per codec: (preset, CRF).
/// H.264: x264's fastest preset with CABAC and the deblocking filter put
/// back (what ultrafast drops that costs size and looks worst), at a CRF
/// whose frames measured as close to the source as veryfast CRF 16's did.
/// HEVC: veryfast CRF 16 (47-50 dB PSNR against the source).
const H264_ENCODING: (&str, f32) = ("ultrafast", 20.0);
const HEVC_ENCODING: (&str, f32) = ("veryfast", 16.0);

/// Opens identically configured encoders for the re-encoded parts.
pub struct BoundaryEncoder {
    settings: VideoEncoderSettings,
    /// The encoder's parameter sets, Annex B.
    header: Vec<u8>,
    /// The encoder's SPS/PPS (under the id it was given).
    pub parameter_sets: ParameterSets,
    /// Reorder depth of the encoder's output.
    pub reorder_depth: u32,
    /// The encoder opened by `new`, until the first part takes it.
    unused: std::sync::Mutex<Option<encoder::Video>>,
}

/// Encoder profile name and level for the source's first SPS.
fn profile_of(sets: &ParameterSets) -> Result<(&'static str, Option<i32>), String> {
    match sets.codec {
        VideoCodec::H264 => {
            let sps = sets.first_sps().ok_or("no parsable H.264 SPS")?;
            if sps.chroma_format_idc != 1 || sps.bit_depth_luma != 8 || sps.bit_depth_chroma != 8 {
                return Err(format!(
                    "H.264 with chroma format {} and {}-bit luma (only 8-bit 4:2:0 is implemented)",
                    sps.chroma_format_idc, sps.bit_depth_luma
                ));
            }
            let profile = match sps.profile_idc {
                66 => "baseline",
                77 => "main",
                100 => "high",
                other => return Err(format!("H.264 profile_idc {other} for re-encoding")),
            };
            Ok((profile, Some(i32::from(sps.level_idc))))
        }
        VideoCodec::Hevc => {
            let sps = sets.first_hevc_sps().ok_or("no parsable HEVC SPS")?;
            if sps.chroma_format_idc != 1 {
                return Err(format!(
                    "HEVC with chroma format {} (only 4:2:0 is implemented)",
                    sps.chroma_format_idc
                ));
            }
            match sps.bit_depth_luma {
                8 => Ok(("main", None)),
                10 => Ok(("main10", None)),
                d => Err(format!("{d}-bit HEVC (8 and 10 bit are implemented)")),
            }
        }
    }
}

impl BoundaryEncoder {
    /// `source` are the source video's codec parameters, `sets` its first
    /// parameter sets, `sps_id` a free H.264 id for the encoder's sets.
    pub fn new(
        source: &codec::Parameters,
        sets: &ParameterSets,
        frame_duration: i64,
        sps_id: u32,
        source_has_reordering: bool,
    ) -> Result<Self, MediaError> {
        let unsupported = |what: String| MediaError::Unsupported { clip: None, what };
        let codec = sets.codec;
        let (profile, level) = profile_of(sets).map_err(unsupported)?;
        let p = params::fields(source);
        let (width, height, format, sar, range, primaries, trc, space) = (
            p.width,
            p.height,
            p.format,
            p.sample_aspect_ratio,
            p.color_range,
            p.color_primaries,
            p.color_trc,
            p.color_space,
        );
        // `None` (an unknown raw value) is refused below like `Pixel::None`.
        let pixel = av::pixel::from_raw(format).unwrap_or(Pixel::None);
        if !matches!(pixel, Pixel::YUV420P | Pixel::YUVJ420P | Pixel::YUV420P10LE) {
            return Err(unsupported(format!("re-encoding pixel format {pixel:?}")));
        }
        if width <= 0 || height <= 0 {
            return Err(unsupported("a source without a known picture size".into()));
        }
        let encoding = match codec {
            VideoCodec::H264 => H264_ENCODING,
            VideoCodec::Hevc => HEVC_ENCODING,
        };
        let params = match codec {
            VideoCodec::H264 => {
                format!(
                    "sps-id={sps_id}:keyint=infinite:scenecut=0:open-gop=0:repeat-headers=0:\
                     cabac=1:deblock=1"
                )
            }
            VideoCodec::Hevc => format!(
                "keyint=100000:min-keyint=100000:scenecut=0:open-gop=0:repeat-headers=0:\
                 info=0:log-level=error{}",
                if source_has_reordering {
                    ""
                } else {
                    ":bframes=0"
                }
            ),
        };
        let settings = VideoEncoderSettings {
            codec,
            width: width as u32,
            height: height as u32,
            pixel,
            time_base: ts_time_base(),
            frame_rate: crate::select::frame_rate(frame_duration),
            sample_aspect_ratio: if sar.numerator() > 0 {
                sar
            } else {
                Rational::new(1, 1)
            },
            color_range: range,
            color_primaries: primaries,
            color_trc: trc,
            color_space: space,
            preset: encoding.0.into(),
            rate: Rate::Crf(encoding.1),
            profile: Some(profile.into()),
            level,
            bframes: if source_has_reordering { None } else { Some(0) },
            gop: 100_000,
            params,
            global_header: true,
            threads: 0,
        };
        let encoder = video_encoder::open(&settings).map_err(|e| MediaError::Encoder {
            clip: None,
            cause: Cause::libav(format!("opening the {} encoder", codec.name()), e),
        })?;
        // The encoder is open; extradata and has_b_frames are set.
        let (header, reorder) = (
            codec_context::extradata(&encoder),
            codec_context::reorder_delay(&encoder),
        );
        let mut parameter_sets = ParameterSets::new(codec);
        for nal in nal_units(&header) {
            parameter_sets.add(nal).map_err(|c| MediaError::Encoder {
                clip: None,
                cause: Cause::Found(format!(
                    "the encoder wrote two different {} with id {}",
                    c.kind, c.id
                )),
            })?;
        }
        if !parameter_sets.complete() {
            return Err(MediaError::Encoder {
                clip: None,
                cause: "the encoder wrote no complete parameter sets".into(),
            });
        }
        if codec == VideoCodec::H264
            && (!parameter_sets.sps.contains_key(&sps_id)
                || !parameter_sets.pps.contains_key(&sps_id))
        {
            return Err(MediaError::Encoder {
                clip: None,
                cause: Cause::Found(format!("libx264 did not use parameter-set id {sps_id}")),
            });
        }
        Ok(BoundaryEncoder {
            settings,
            header,
            parameter_sets,
            reorder_depth: reorder.max(0) as u32,
            unused: std::sync::Mutex::new(Some(encoder)),
        })
    }

    fn open(&self, clip: usize) -> Result<encoder::Video, MediaError> {
        // The encoder opened to learn the parameter sets serves the first part: an encoder's
        // opening (its lookahead and frame buffers) is a fixed cost of every part.
        if let Some(first) = self
            .unused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            return Ok(first);
        }
        let encoder = video_encoder::open(&self.settings).map_err(|e| MediaError::Encoder {
            clip: Some(clip),
            cause: Cause::libav(
                format!("opening the {} encoder", self.settings.codec.name()),
                e,
            ),
        })?;
        // The encoder is open.
        let header = codec_context::extradata(&encoder);
        if header != self.header {
            return Err(MediaError::Encoder {
                clip: Some(clip),
                cause: "the encoder produced different parameter sets for the same settings".into(),
            });
        }
        Ok(encoder)
    }
}

/// Where a part's frames come from and go to.
pub struct PartSpec {
    pub clip: usize,
    pub uri: String,
    /// Source PTS range of the frames to keep, inclusive.
    pub keep_min: i64,
    pub keep_max: i64,
    /// `out = base + source pts`.
    pub base: i64,
    pub frame_duration: i64,
    pub expected_frames: u32,
    /// Write the encoder's parameter sets in front of the part's keyframe
    /// (in-band route).
    pub inband: bool,
}

/// One partial GOP being decoded and re-encoded.
pub struct ReencodePart {
    /// Converts pictures of another size or format (a clip or a stretch of
    /// a recording that differs from the output) to the encoder's.
    scaler: Option<Scaler>,
    target: OutputPicture,
    spec: PartSpec,
    decoder: decoder::Video,
    encoder: encoder::Video,
    pixel: Pixel,
    frame: frame::Video,
    encoded: u32,
    codec: VideoCodec,
    /// Annex B sets put in front of keyframes (in-band route), else empty.
    prefix: Vec<u8>,
}

impl ReencodePart {
    pub fn start(
        boundary: &BoundaryEncoder,
        source: &codec::Parameters,
        header: &[u8],
        spec: PartSpec,
    ) -> Result<Self, MediaError> {
        let fail = |e: Error| MediaError::Internal(format!("opening the video decoder: {e}"));
        // Every source SPS/PPS goes in as extradata, so a GOP whose IDR
        // does not repeat them in-band still decodes.
        let mut par = source.clone();
        av::decode::set_extradata(&mut par, header).map_err(fail)?;
        let decoder = av::decode::video(par).map_err(fail)?;
        let encoder = boundary.open(spec.clip)?;
        let prefix = if spec.inband {
            boundary.header.clone()
        } else {
            Vec::new()
        };
        let settings = &boundary.settings;
        let target = OutputPicture {
            size: Size {
                width: settings.width,
                height: settings.height,
            },
            pixel: settings.pixel,
            range: settings.color_range,
            primaries: settings.color_primaries,
            transfer: settings.color_trc,
            space: settings.color_space,
        };
        Ok(ReencodePart {
            scaler: None,
            target,
            codec: boundary.settings.codec,
            prefix,
            spec,
            decoder,
            encoder,
            pixel: boundary.settings.pixel,
            frame: frame::Video::empty(),
            encoded: 0,
        })
    }

    fn corrupt(&self, pts: i64, cause: Cause) -> MediaError {
        MediaError::CorruptFrame {
            clip: self.spec.clip,
            uri: self.spec.uri.clone(),
            pts,
            cause,
        }
    }

    /// Decodes one source packet and re-encodes the frames it releases.
    pub fn feed(&mut self, packet: &Packet, out: &mut Mp4Writer) -> Result<(), MediaError> {
        let pts = packet.pts().unwrap_or(0);
        self.decoder
            .send_packet(packet)
            .map_err(|e| self.corrupt(pts, av::decode::send_failure(e)))?;
        self.drain_decoder(out)
    }

    fn drain_decoder(&mut self, out: &mut Mp4Writer) -> Result<(), MediaError> {
        while av::decode::receive(&mut self.decoder, &mut self.frame)
            .map_err(|d| self.corrupt(-1, d))?
        {
            self.encode_frame(out)?;
        }
        Ok(())
    }

    fn encode_frame(&mut self, out: &mut Mp4Writer) -> Result<(), MediaError> {
        let Some(pts) = self.frame.timestamp() else {
            return Err(self.corrupt(-1, "a decoded frame has no timestamp".into()));
        };
        if pts < self.spec.keep_min || pts > self.spec.keep_max {
            return Ok(());
        }
        let fits = self.frame.format() == self.pixel
            && self.frame.width() == self.target.size.width
            && self.frame.height() == self.target.size.height;
        let input = if fits {
            &mut self.frame
        } else {
            if !self.scaler.as_ref().is_some_and(|s| s.accepts(&self.frame)) {
                let scaler = Scaler::new(&self.frame, &self.target).map_err(|detail| {
                    MediaError::Unsupported {
                        clip: Some(self.spec.clip),
                        what: format!("segment {}: {detail}", self.spec.uri),
                    }
                })?;
                self.scaler = Some(scaler);
            }
            let Some(scaler) = self.scaler.as_mut() else {
                return Err(MediaError::Internal("no scaler".into()));
            };
            scaler
                .scale(&self.frame)
                .map_err(|detail| MediaError::CorruptFrame {
                    clip: self.spec.clip,
                    uri: self.spec.uri.clone(),
                    pts,
                    cause: detail.into(),
                })?
        };
        input.set_pts(Some(self.spec.base + pts));
        // Let the encoder choose frame types: the decoder's I/P/B labels
        // would otherwise be forced onto it.
        input.set_kind(picture::Type::None);
        self.encoder
            .send_frame(input)
            .map_err(|e| MediaError::Encoder {
                clip: Some(self.spec.clip),
                cause: Cause::libav("the encoder rejected a frame", e),
            })?;
        self.encoded += 1;
        self.drain_encoder(out)
    }

    fn drain_encoder(&mut self, out: &mut Mp4Writer) -> Result<(), MediaError> {
        loop {
            let mut packet = Packet::empty();
            match self.encoder.receive_packet(&mut packet) {
                Ok(()) => {
                    let key = packet.is_key();
                    let prefix: &[u8] = if key { &self.prefix } else { &[] };
                    let data = packet.data().unwrap_or(&[]);
                    let sample = to_sample(self.codec, data, self.spec.inband, prefix);
                    let pts = packet.pts().unwrap_or(0);
                    out.write_video(&sample, pts, self.spec.frame_duration, key)?;
                }
                Err(Error::Eof) => return Ok(()),
                Err(e) if is_again(&e) => return Ok(()),
                Err(e) => {
                    return Err(MediaError::Encoder {
                        clip: Some(self.spec.clip),
                        cause: Cause::libav("the encoder failed", e),
                    });
                }
            }
        }
    }

    /// Flushes decoder and encoder; checks every selected frame came out.
    /// Returns the number of re-encoded frames.
    pub fn finish(mut self, out: &mut Mp4Writer) -> Result<u32, MediaError> {
        self.decoder
            .send_eof()
            .map_err(|e| self.corrupt(-1, Cause::libav("flushing the decoder", e)))?;
        self.drain_decoder(out)?;
        self.encoder.send_eof().map_err(|e| MediaError::Encoder {
            clip: Some(self.spec.clip),
            cause: Cause::libav("flushing the encoder", e),
        })?;
        self.drain_encoder(out)?;
        if self.encoded != self.spec.expected_frames {
            return Err(self.corrupt(
                self.spec.keep_min,
                format!(
                    "only {} of the {} frames of this GOP in the range could be decoded",
                    self.encoded, self.spec.expected_frames
                )
                .into(),
            ));
        }
        Ok(self.encoded)
    }
}
