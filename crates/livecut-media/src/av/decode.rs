//! The decoders every pipeline of the crate uses: video (H.264 or HEVC;
//! covers, the smart cut's boundary GOPs, the re-encoding modes) and audio
//! (AAC in ADTS, MP3; the re-encoding modes and the index's audio probe):
//! opening them, and wording what goes wrong while they decode.

use ffmpeg_next::codec::{self, Id, decoder};
use ffmpeg_next::{Error, frame, media};

use super::video_encoder::is_again;
use super::{params, ts_time_base};
use crate::codec::{AudioCodec, VideoCodec};
use crate::error::Cause;

/// Replaces the extradata of `par`, our own parameter set.
pub fn set_extradata(par: &mut codec::Parameters, data: &[u8]) -> Result<(), Error> {
    params::set_extradata(par, data)
}

/// A decoder for the codec `par` names (H.264 or HEVC; H.264 if none),
/// with the parameter sets as Annex B extradata (so a GOP whose keyframe
/// does not repeat them in-band still decodes), taking packets in 90 kHz
/// ticks. Frame threading only delays output, and every pipeline flushes
/// after its last packet anyway.
pub fn video(par: codec::Parameters) -> Result<decoder::Video, Error> {
    let id = match par.id() {
        Id::None => Id::H264,
        id => id,
    };
    let codec = decoder::find(id).ok_or(Error::DecoderNotFound)?;
    let mut ctx = codec::context::Context::new_with_codec(codec);
    ctx.set_parameters(par)?;
    ctx.set_threading(codec::threading::Config {
        kind: codec::threading::Type::Frame,
        count: 0,
        ..Default::default()
    });
    let mut decoder = ctx.decoder().video()?;
    decoder.set_packet_time_base(ts_time_base());
    Ok(decoder)
}

/// Parameters naming only `id` and its medium: enough for a decoder of a
/// stream that describes itself in band (Annex B video with its parameter
/// sets in extradata or in the packets, ADTS or MP3 frame headers).
pub fn bare_parameters(medium: media::Type, id: Id) -> codec::Parameters {
    params::bare(medium, id)
}

/// A `video` decoder for `codec` whose parameter sets are `header` (Annex
/// B; empty when every keyframe carries them in band).
pub fn video_for(codec: VideoCodec, header: &[u8]) -> Result<decoder::Video, Error> {
    let mut par = bare_parameters(media::Type::Video, codec.id());
    if !header.is_empty() {
        set_extradata(&mut par, header)?;
    }
    video(par)
}

/// An audio decoder for `codec` (each ADTS or MP3 frame header describes
/// the stream), taking packets in 90 kHz ticks.
pub fn audio(codec: AudioCodec) -> Result<decoder::Audio, Error> {
    let found = decoder::find(codec.id()).ok_or(Error::DecoderNotFound)?;
    let mut ctx = codec::context::Context::new_with_codec(found);
    ctx.set_parameters(bare_parameters(media::Type::Audio, codec.id()))?;
    let mut decoder = ctx.decoder().audio()?;
    decoder.set_packet_time_base(ts_time_base());
    Ok(decoder)
}

/// The name of a video codec in messages.
pub fn video_name(codec: VideoCodec) -> &'static str {
    match codec {
        VideoCodec::H264 => "H.264",
        VideoCodec::Hevc => "HEVC",
    }
}

/// The name of an audio codec in messages.
pub fn audio_name(codec: AudioCodec) -> &'static str {
    match codec {
        AudioCodec::Aac => "AAC",
        AudioCodec::Mp3 => "MP3",
    }
}

/// Why the video decoder refused a packet, as the cause of a
/// `CorruptFrame`.
pub fn send_failure(e: Error) -> Cause {
    match e {
        // libav's text for this one says nothing more than the message.
        Error::InvalidData => "the video decoder rejected the packet".into(),
        e => Cause::libav("decoding failed", e),
    }
}

/// Takes the next decoded picture into `frame`: `Ok(true)` if there was
/// one, `Ok(false)` once the decoder wants more input or is drained, `Err`
/// with the cause of a `CorruptFrame` otherwise.
pub fn receive(decoder: &mut decoder::Video, frame: &mut frame::Video) -> Result<bool, Cause> {
    match decoder.receive_frame(frame) {
        Ok(()) => Ok(true),
        Err(Error::Eof) => Ok(false),
        Err(e) if is_again(&e) => Ok(false),
        Err(e) => Err(Cause::libav("decoding failed", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h264_parameters() -> codec::Parameters {
        bare_parameters(media::Type::Video, Id::H264)
    }

    #[test]
    fn every_source_codec_has_a_decoder() {
        crate::av::init().expect("libav");
        for codec in [VideoCodec::H264, VideoCodec::Hevc] {
            let d = video_for(codec, &[]).expect("video decoder");
            assert_eq!(d.id(), codec.id());
        }
        for codec in [AudioCodec::Aac, AudioCodec::Mp3] {
            let d = audio(codec).expect("audio decoder");
            assert_eq!(d.id(), codec.id());
        }
    }

    #[test]
    fn refusals_are_worded_for_corrupt_frames() {
        assert_eq!(
            send_failure(Error::InvalidData).to_string(),
            "the video decoder rejected the packet"
        );
        assert!(
            send_failure(Error::Bug)
                .to_string()
                .starts_with("decoding failed: ")
        );
    }

    #[test]
    fn an_empty_flushed_decoder_has_nothing_to_give() {
        crate::av::init().expect("libav");
        let mut decoder = video(h264_parameters()).expect("opened");
        let mut frame = frame::Video::empty();
        // Before any input the decoder asks for more; after the flush it
        // is drained. Both end a drain loop without an error.
        assert!(matches!(receive(&mut decoder, &mut frame), Ok(false)));
        decoder.send_eof().expect("flushed");
        assert!(matches!(receive(&mut decoder, &mut frame), Ok(false)));
    }

    #[test]
    fn extradata_is_replaced_not_appended() {
        let mut par = h264_parameters();
        set_extradata(&mut par, &[0, 0, 0, 1, 0x67]).expect("set");
        set_extradata(&mut par, &[0, 0, 1]).expect("set again");
        let stored = params::extradata(&par);
        assert_eq!(stored, [0, 0, 1]);
    }

    #[test]
    fn the_decoder_opens_and_counts_in_90khz_ticks() {
        crate::av::init().expect("libav");
        let decoder = video(h264_parameters()).expect("opened");
        assert_eq!(decoder.id(), Id::H264);
        // SAFETY: reading a plain field of an opened codec context.
        let tb = unsafe { (*decoder.as_ptr()).pkt_timebase };
        assert_eq!((tb.num, tb.den), (1, 90_000));
    }
}
