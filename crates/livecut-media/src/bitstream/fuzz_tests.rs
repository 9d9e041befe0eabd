//! Property tests: every reader of outside bytes, on arbitrary bytes and on real-shaped ones
//! with damage, returns (None, an error, a partial answer) and never panics or loops. The case
//! count is proptest's (`PROPTEST_CASES`, 256 by default); BENCHMARKS.md has a long run.

use proptest::prelude::*;

use super::{access_unit, adts, bits, h264, hevc, mp4_sample, mpeg_audio, parameter_sets};
use crate::codec::VideoCodec;

/// Bytes that look like Annex B video: start codes between random NAL bodies, whose first
/// byte is a plausible NAL header.
fn annexb() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        (any::<u8>(), prop::collection::vec(any::<u8>(), 0..64)),
        0..12,
    )
    .prop_map(|nals| {
        let mut out = Vec::new();
        for (header, body) in nals {
            out.extend_from_slice(&[0, 0, 0, 1, header]);
            out.extend_from_slice(&body);
        }
        out
    })
}

/// Bytes that start like ADTS or MP3 frames, then go wrong.
fn audio_frames() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![
            [0xffu8, 0xf1],
            [0xff, 0xf9],
            [0xff, 0xfb],
            [0xff, 0xf3],
        ]),
        prop::collection::vec(any::<u8>(), 0..2048),
    )
        .prop_map(|(sync, rest)| [&sync[..], &rest].concat())
}

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..512)
}

fn read_video(data: &[u8]) {
    for codec in [VideoCodec::H264, VideoCodec::Hevc] {
        let info = access_unit::inspect(codec, data);
        let _ = access_unit::is_keyframe(codec, data);
        let _ = access_unit::to_sample(codec, data, true, &[0, 0, 0, 1]);
        let mut sets = parameter_sets::ParameterSets::new(codec);
        for nal in h264::nals(data) {
            let _ = parameter_sets::classify(codec, nal);
            let _ = sets.add(nal);
        }
        let _ = sets.annexb();
        let _ = info.keyframe;
        if let Some(framing) = mp4_sample::NalFraming::from_record(codec, data) {
            let _ = framing.annexb(data, true);
        }
    }
    for nal in h264::nal_units(data) {
        let _ = h264::nal_type(nal);
        let _ = h264::parse_sps(nal);
        let _ = h264::parse_pps(nal);
        let _ = h264::has_recovery_point(nal);
        let _ = h264::is_intra_slice(nal);
        let _ = hevc::nal_type(nal);
        let _ = hevc::starts_picture(nal);
        let _ = hevc::parameter_set_id(nal);
        let _ = hevc::parse_sps(nal);
        let _ = bits::rbsp(nal);
    }
    let mut sample = data.to_vec();
    access_unit::splice_cra(&mut sample);
}

fn read_audio(data: &[u8]) {
    let _ = adts::parse_frame(data);
    let _ = adts::split_frames(data);
    if let Some(frame) = mpeg_audio::parse_frame(data) {
        let _ = mpeg_audio::reservoir_reach(&frame, data);
        let mut copy = data.to_vec();
        let _ = mpeg_audio::set_reservoir_reach(&frame, &mut copy, 0);
        let _ = mpeg_audio::mute(&frame, &mut copy);
    }
    let _ = mpeg_audio::split_frames(data);
}

proptest! {
    #[test]
    fn video_readers_survive_annexb_shaped_garbage(data in annexb()) {
        read_video(&data);
    }

    #[test]
    fn video_readers_survive_any_bytes(data in any_bytes()) {
        read_video(&data);
    }

    #[test]
    fn audio_readers_survive_frames_gone_wrong(data in audio_frames()) {
        read_audio(&data);
    }

    #[test]
    fn audio_readers_survive_any_bytes(data in any_bytes()) {
        read_audio(&data);
    }
}
