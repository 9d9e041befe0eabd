//! Decoders of the re-encoding modes, opened by the codec of the packets
//! that reach them (so clips, and runs after a discontinuity, may differ):
//!
//! * video (H.264, HEVC): no extradata; the parameter sets travel in band
//!   (`access::ParameterSetCache` primes the first packet);
//! * audio (AAC in ADTS, MP3): each frame header describes the stream, so
//!   nothing but the codec is needed either.
//!
//! Packets are timed in 90 kHz ticks, and so are the decoded frames.

use ffmpeg_next::codec::{self, decoder};
use ffmpeg_next::{Error, ffi};

use crate::av::ts_time_base;
use crate::codec::{AudioCodec, VideoCodec};

fn context(medium: ffi::AVMediaType, id: codec::Id) -> Result<codec::context::Context, Error> {
    let found = decoder::find(id).ok_or(Error::DecoderNotFound)?;
    let mut par = codec::Parameters::new();
    // SAFETY: a fresh parameter set is filled in field by field.
    unsafe {
        let raw = par.as_mut_ptr();
        (*raw).codec_type = medium;
        (*raw).codec_id = id.into();
    }
    let mut ctx = codec::context::Context::new_with_codec(found);
    ctx.set_parameters(par)?;
    Ok(ctx)
}

/// A video decoder for `codec`. Frame threading only delays output, and
/// every run flushes after its last packet anyway.
pub fn video(codec: VideoCodec) -> Result<decoder::Video, Error> {
    let mut ctx = context(ffi::AVMediaType::AVMEDIA_TYPE_VIDEO, codec.id())?;
    ctx.set_threading(codec::threading::Config {
        kind: codec::threading::Type::Frame,
        count: 0,
        ..Default::default()
    });
    let mut decoder = ctx.decoder().video()?;
    decoder.set_packet_time_base(ts_time_base());
    Ok(decoder)
}

/// An audio decoder for `codec`.
pub fn audio(codec: AudioCodec) -> Result<decoder::Audio, Error> {
    let ctx = context(ffi::AVMediaType::AVMEDIA_TYPE_AUDIO, codec.id())?;
    let mut decoder = ctx.decoder().audio()?;
    decoder.set_packet_time_base(ts_time_base());
    Ok(decoder)
}

/// The name of a codec in messages.
pub fn video_name(codec: VideoCodec) -> &'static str {
    match codec {
        VideoCodec::H264 => "H.264",
        VideoCodec::Hevc => "HEVC",
    }
}

pub fn audio_name(codec: AudioCodec) -> &'static str {
    match codec {
        AudioCodec::Aac => "AAC",
        AudioCodec::Mp3 => "MP3",
    }
}
