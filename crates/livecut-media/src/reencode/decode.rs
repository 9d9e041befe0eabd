//! Decoders for one run of a clip. A fresh pair per run, because after a
//! discontinuity the stream behind it may be a different encoder's.
//!
//! * H.264: primed with every SPS/PPS of the clip as extradata, so a GOP
//!   whose IDR does not repeat them in-band still decodes.
//! * AAC: fed raw frames (the ADTS headers stripped, as in MP4) with the
//!   AudioSpecificConfig as extradata, one frame per packet so that every
//!   decoded frame carries its own exact timestamp.

use ffmpeg_next::codec::{self, Id, decoder};
use ffmpeg_next::{Error, ffi};

use crate::av::{self, params, ts_time_base};
use crate::bitstream::adts::AdtsConfig;

fn with_extradata(
    medium: ffi::AVMediaType,
    id: ffi::AVCodecID,
    extradata: &[u8],
) -> Result<codec::Parameters, Error> {
    let mut par = codec::Parameters::new();
    // SAFETY: a fresh parameter set is filled in field by field.
    unsafe {
        let raw = par.as_mut_ptr();
        (*raw).codec_type = medium;
        (*raw).codec_id = id;
    }
    av::decode::set_extradata(&mut par, extradata)?;
    Ok(par)
}

/// An H.264 decoder; `header` holds the clip's SPS/PPS in Annex B.
pub fn video(header: &[u8]) -> Result<decoder::Video, Error> {
    av::decode::h264(with_extradata(
        ffi::AVMediaType::AVMEDIA_TYPE_VIDEO,
        ffi::AVCodecID::AV_CODEC_ID_H264,
        header,
    )?)
}

/// An AAC decoder for frames of `config`.
pub fn audio(config: &AdtsConfig) -> Result<decoder::Audio, Error> {
    let codec = decoder::find(Id::AAC).ok_or(Error::DecoderNotFound)?;
    let mut par = with_extradata(
        ffi::AVMediaType::AVMEDIA_TYPE_AUDIO,
        ffi::AVCodecID::AV_CODEC_ID_AAC,
        &config.audio_specific_config(),
    )?;
    let channels = match config.channel_config {
        7 => 8,
        c => i32::from(c),
    };
    // SAFETY: plain field writes on our own parameter copy.
    unsafe {
        let raw = par.as_mut_ptr();
        (*raw).sample_rate = config.sample_rate().map_or(0, |r| r as i32);
        params::set_default_layout(raw, channels);
    }
    let mut ctx = codec::context::Context::new_with_codec(codec);
    ctx.set_parameters(par)?;
    let mut decoder = ctx.decoder().audio()?;
    decoder.set_packet_time_base(ts_time_base());
    Ok(decoder)
}
