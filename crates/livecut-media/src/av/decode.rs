//! The video decoder (H.264 or HEVC) every pipeline of the crate uses (covers, the smart
//! cut's boundary GOPs, the re-encoding modes): opening it, and wording
//! what goes wrong while it decodes.

use ffmpeg_next::codec::{self, Id, decoder};
use ffmpeg_next::{Error, frame};

use super::video_encoder::is_again;
use super::{params, ts_time_base};

/// Replaces the extradata of `par`, our own parameter set.
pub fn set_extradata(par: &mut codec::Parameters, data: &[u8]) -> Result<(), Error> {
    // SAFETY: `par` is owned by the caller and not shared with a codec.
    if unsafe { params::set_extradata(par.as_mut_ptr(), data) } {
        Ok(())
    } else {
        Err(Error::Other {
            errno: libc::ENOMEM,
        })
    }
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

/// Why the H.264 decoder refused a packet, in the words of a
/// `CorruptFrame` detail.
pub fn send_failure(e: Error) -> String {
    match e {
        Error::InvalidData => "the video decoder rejected the packet".into(),
        e => format!("decoding failed: {e}"),
    }
}

/// Takes the next decoded picture into `frame`: `Ok(true)` if there was
/// one, `Ok(false)` once the decoder wants more input or is drained, `Err`
/// with a `CorruptFrame` detail otherwise.
pub fn receive(decoder: &mut decoder::Video, frame: &mut frame::Video) -> Result<bool, String> {
    match decoder.receive_frame(frame) {
        Ok(()) => Ok(true),
        Err(Error::Eof) => Ok(false),
        Err(e) if is_again(&e) => Ok(false),
        Err(e) => Err(format!("decoding failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use ffmpeg_next::ffi;

    use super::*;

    fn h264_parameters() -> codec::Parameters {
        let mut par = codec::Parameters::new();
        // SAFETY: a fresh parameter set is filled in field by field.
        unsafe {
            let raw = par.as_mut_ptr();
            (*raw).codec_type = ffi::AVMediaType::AVMEDIA_TYPE_VIDEO;
            (*raw).codec_id = ffi::AVCodecID::AV_CODEC_ID_H264;
        }
        par
    }

    #[test]
    fn refusals_are_worded_for_corrupt_frames() {
        assert_eq!(
            send_failure(Error::InvalidData),
            "the video decoder rejected the packet"
        );
        assert!(send_failure(Error::Bug).starts_with("decoding failed: "));
    }

    #[test]
    fn an_empty_flushed_decoder_has_nothing_to_give() {
        crate::init().expect("libav");
        let mut decoder = video(h264_parameters()).expect("opened");
        let mut frame = frame::Video::empty();
        // Before any input the decoder asks for more; after the flush it
        // is drained. Both end a drain loop without an error.
        assert_eq!(receive(&mut decoder, &mut frame), Ok(false));
        decoder.send_eof().expect("flushed");
        assert_eq!(receive(&mut decoder, &mut frame), Ok(false));
    }

    #[test]
    fn extradata_is_replaced_not_appended() {
        let mut par = h264_parameters();
        set_extradata(&mut par, &[0, 0, 0, 1, 0x67]).expect("set");
        set_extradata(&mut par, &[0, 0, 1]).expect("set again");
        // SAFETY: reading two plain fields of our own parameters.
        let stored = unsafe {
            let raw = par.as_ptr();
            std::slice::from_raw_parts((*raw).extradata, (*raw).extradata_size as usize).to_vec()
        };
        assert_eq!(stored, [0, 0, 1]);
    }

    #[test]
    fn the_decoder_opens_and_counts_in_90khz_ticks() {
        crate::init().expect("libav");
        let decoder = video(h264_parameters()).expect("opened");
        assert_eq!(decoder.id(), Id::H264);
        // SAFETY: reading a plain field of an opened codec context.
        let tb = unsafe { (*decoder.as_ptr()).pkt_timebase };
        assert_eq!((tb.num, tb.den), (1, 90_000));
    }
}
