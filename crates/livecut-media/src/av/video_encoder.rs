//! Opening libx264 or libx265 through libavcodec, shared by the
//! test-recording generator, the boundary re-encoder of the smart cut and
//! the full re-encode.

use ffmpeg_next::codec::{self, encoder};
use ffmpeg_next::format::Pixel;
use ffmpeg_next::util::color;
use ffmpeg_next::{Dictionary, Error, Rational};

use crate::codec::VideoCodec;

/// How the encoder spends bits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    Crf(f32),
    Bitrate(u64),
}

/// Everything a libx264/libx265 encoder is opened with.
#[derive(Debug, Clone)]
pub struct VideoEncoderSettings {
    /// H.264 opens libx264, HEVC libx265.
    pub codec: VideoCodec,
    pub width: u32,
    pub height: u32,
    pub pixel: Pixel,
    pub time_base: Rational,
    pub frame_rate: Rational,
    pub sample_aspect_ratio: Rational,
    pub color_range: color::Range,
    pub color_primaries: color::Primaries,
    pub color_trc: color::TransferCharacteristic,
    pub color_space: color::Space,
    pub preset: String,
    pub rate: Rate,
    /// Profile name (x264: "baseline", "main", "high"; x265: "main",
    /// "main10"); `None` lets the encoder pick.
    pub profile: Option<String>,
    /// H.264 level_idc (e.g. 31 for 3.1); `None` lets the encoder pick.
    /// libx265 ignores it (give `level-idc` in `params`).
    pub level: Option<i32>,
    /// `None` keeps the preset's B-frame setting.
    pub bframes: Option<u32>,
    pub gop: u32,
    /// Extra `x264-params` / `x265-params` (`key=value:key=value`).
    pub params: String,
    /// Put the parameter sets into extradata instead of in-band at each
    /// keyframe (libx265: `repeat-headers` is its opposite).
    pub global_header: bool,
    /// 0 lets libav choose.
    pub threads: usize,
}

pub fn open(settings: &VideoEncoderSettings) -> Result<encoder::Video, Error> {
    let (name, params_key) = match settings.codec {
        VideoCodec::H264 => ("libx264", "x264-params"),
        VideoCodec::Hevc => ("libx265", "x265-params"),
    };
    let codec = encoder::find_by_name(name).ok_or(Error::EncoderNotFound)?;
    let mut ctx = codec::context::Context::new_with_codec(codec)
        .encoder()
        .video()?;
    ctx.set_width(settings.width);
    ctx.set_height(settings.height);
    ctx.set_format(settings.pixel);
    ctx.set_time_base(settings.time_base);
    ctx.set_frame_rate(Some(settings.frame_rate));
    ctx.set_aspect_ratio(settings.sample_aspect_ratio);
    ctx.set_color_range(settings.color_range);
    ctx.set_color_primaries(settings.color_primaries);
    ctx.set_color_transfer_characteristic(settings.color_trc);
    ctx.set_colorspace(settings.color_space);
    ctx.set_gop(settings.gop);
    if let Some(bframes) = settings.bframes {
        ctx.set_max_b_frames(bframes as usize);
    }
    if settings.global_header {
        ctx.set_flags(codec::Flags::GLOBAL_HEADER);
    }
    ctx.set_threading(codec::threading::Config {
        kind: codec::threading::Type::Frame,
        count: settings.threads,
        ..Default::default()
    });
    if let (Some(level), VideoCodec::H264) = (settings.level, settings.codec) {
        super::codec_context::set_level(&mut ctx, level);
    }
    let mut options = Dictionary::new();
    options.set("preset", &settings.preset);
    match settings.rate {
        Rate::Crf(crf) => options.set("crf", &format!("{crf}")),
        Rate::Bitrate(bps) => {
            ctx.set_bit_rate(bps as usize);
        }
    }
    if let Some(profile) = &settings.profile {
        options.set("profile", profile);
    }
    if !settings.params.is_empty() {
        options.set(params_key, &settings.params);
    }
    ctx.open_with(options)
}

/// Whether an encode/decode call merely needs more input or output first.
pub fn is_again(error: &Error) -> bool {
    matches!(error, Error::Other { errno } if *errno == libc::EAGAIN)
}
