use super::*;
use crate::bitstream::access_unit::{Keyframe, inspect, to_sample};
use crate::bitstream::parameter_sets::ParameterSetConflict;
use crate::codec::VideoCodec;

/// SPS/PPS written by x264 (High, level 1.3, 320x180) with `sps-id=3`.
const SPS_HIGH_ID3: &[u8] = &[
    0x67, 0x64, 0x00, 0x0d, 0x22, 0xcd, 0x94, 0x14, 0x19, 0xf9, 0xf0, 0x11, 0x00, 0x00, 0x03, 0x00,
    0x01, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f, 0x14, 0x29, 0x96,
];
const PPS_ID3: &[u8] = &[0x68, 0x21, 0x2f, 0x8f, 0xcb];
/// Constrained baseline SPS with id 0.
const SPS_BASELINE_ID0: &[u8] = &[
    0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0x9f, 0x9f, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10,
    0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x42, 0xa4, 0x80,
];
const PPS_ID0: &[u8] = &[0x68, 0xcb, 0x83, 0xcb, 0x20];

fn annexb(nals: &[&[u8]], long_start_codes: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for nal in nals {
        if long_start_codes {
            out.push(0);
        }
        out.extend_from_slice(&[0, 0, 1]);
        out.extend_from_slice(nal);
    }
    out
}

#[test]
fn splits_three_and_four_byte_start_codes() {
    let idr: &[u8] = &[0x65, 0x88, 0x80, 0x10];
    for long in [false, true] {
        let data = annexb(&[&[0x09, 0xf0], SPS_HIGH_ID3, PPS_ID3, idr], long);
        let units = nal_units(&data);
        assert_eq!(units.len(), 4);
        assert_eq!(units[1], SPS_HIGH_ID3);
        assert_eq!(units[3], idr);
    }
    assert!(nal_units(&[0, 0, 0]).is_empty());
    assert!(nal_units(&[]).is_empty());
}

#[test]
fn parses_sps_fields() {
    let high = parse_sps(SPS_HIGH_ID3).expect("valid SPS");
    assert_eq!(high.id, 3);
    assert_eq!(high.profile_idc, 100);
    assert_eq!(high.level_idc, 13);
    assert_eq!(high.chroma_format_idc, 1);
    assert_eq!((high.bit_depth_luma, high.bit_depth_chroma), (8, 8));
    assert_eq!(high.picture, Some((320, 180)));
    let base = parse_sps(SPS_BASELINE_ID0).expect("valid SPS");
    assert_eq!(
        (base.id, base.profile_idc, base.constraint_flags),
        (0, 66, 0xc0)
    );
    assert_eq!(parse_sps(&[0x67, 0x64]), None);
    assert_eq!(parse_sps(PPS_ID3), None);
}

#[test]
fn parses_pps_ids() {
    assert_eq!(parse_pps(PPS_ID3), Some((3, 3)));
    assert_eq!(parse_pps(PPS_ID0), Some((0, 0)));
    assert_eq!(parse_pps(&[0x68]), None);
}

#[test]
fn collects_sets_and_detects_conflicts() {
    let mut sets = ParameterSets::default();
    assert_eq!(sets.add(SPS_BASELINE_ID0), Ok(true));
    assert_eq!(sets.add(SPS_BASELINE_ID0), Ok(false));
    assert_eq!(sets.add(PPS_ID0), Ok(true));
    assert_eq!(sets.add(&[0x65, 0x00]), Ok(false));
    assert_eq!(sets.free_id(), Some(1));
    let mut changed = SPS_BASELINE_ID0.to_vec();
    changed[3] = 0x1f; // another level under the same id
    assert_eq!(
        sets.add(&changed),
        Err(ParameterSetConflict { kind: "SPS", id: 0 })
    );

    let mut other = ParameterSets::default();
    other.add(SPS_HIGH_ID3).expect("new");
    other.add(PPS_ID3).expect("new");
    sets.merge(&other).expect("distinct ids merge");
    assert_eq!(sets.sps.keys().copied().collect::<Vec<_>>(), vec![0, 3]);
    assert_eq!(sets.free_id(), Some(1));
}

#[test]
fn avcc_lists_every_set_in_id_order() {
    let mut sets = ParameterSets::default();
    sets.add(SPS_HIGH_ID3).expect("new");
    sets.add(PPS_ID3).expect("new");
    sets.add(SPS_BASELINE_ID0).expect("new");
    sets.add(PPS_ID0).expect("new");
    let avcc = sets.avcc().expect("avcC");
    assert_eq!(avcc[0], 1);
    // Profile and compatibility come from the lowest-id SPS.
    assert_eq!((avcc[1], avcc[2], avcc[3]), (66, 0xc0, 13));
    assert_eq!(avcc[4], 0xFF);
    assert_eq!(avcc[5], 0xE2);
    let mut pos = 6;
    let read = |pos: &mut usize| {
        let len = usize::from(u16::from_be_bytes([avcc[*pos], avcc[*pos + 1]]));
        let nal = avcc[*pos + 2..*pos + 2 + len].to_vec();
        *pos += 2 + len;
        nal
    };
    assert_eq!(read(&mut pos), SPS_BASELINE_ID0);
    assert_eq!(read(&mut pos), SPS_HIGH_ID3);
    assert_eq!(avcc[pos], 2);
    pos += 1;
    assert_eq!(read(&mut pos), PPS_ID0);
    assert_eq!(read(&mut pos), PPS_ID3);
    // Baseline first: no High-profile extension bytes.
    assert_eq!(pos, avcc.len());
}

#[test]
fn avcc_of_high_profile_has_the_extension() {
    let mut sets = ParameterSets::default();
    sets.add(SPS_HIGH_ID3).expect("new");
    sets.add(PPS_ID3).expect("new");
    let avcc = sets.avcc().expect("avcC");
    assert_eq!(avcc[1], 100);
    assert_eq!(
        avcc.len(),
        6 + 2 + SPS_HIGH_ID3.len() + 1 + 2 + PPS_ID3.len() + 4
    );
    assert_eq!(&avcc[avcc.len() - 4..], &[0xFD, 0xF8, 0xF8, 0]);
    assert!(ParameterSets::default().avcc().is_none());
}

#[test]
fn decoder_extradata_lists_every_sps_before_every_pps() {
    let mut sets = ParameterSets::default();
    sets.add(PPS_ID3).expect("new");
    sets.add(SPS_HIGH_ID3).expect("new");
    sets.add(SPS_BASELINE_ID0).expect("new");
    assert_eq!(
        sets.annexb(),
        annexb(&[SPS_BASELINE_ID0, SPS_HIGH_ID3, PPS_ID3], true)
    );
    assert!(ParameterSets::default().annexb().is_empty());
}

#[test]
fn access_unit_inspection_and_length_prefixing() {
    let idr: &[u8] = &[0x65, 0x88, 0x80, 0x10];
    let sei: &[u8] = &[0x06, 0x05, 0x01, 0x80];
    let data = annexb(&[&[0x09, 0xf0], SPS_HIGH_ID3, PPS_ID3, sei, idr], true);
    let info = inspect(VideoCodec::H264, &data);
    assert_eq!((info.keyframe, info.pictures), (Some(Keyframe::Closed), 1));
    assert_eq!(info.parameter_sets.sps.len(), 1);
    assert!(info.conflict.is_none());

    let sample = to_sample(VideoCodec::H264, &data, false, &[]);
    let mut expected = Vec::new();
    for nal in [sei, idr] {
        expected.extend_from_slice(&(nal.len() as u32).to_be_bytes());
        expected.extend_from_slice(nal);
    }
    assert_eq!(sample, expected);

    let p_frame = annexb(&[&[0x41, 0x9a, 0x02]], false);
    let info = inspect(VideoCodec::H264, &p_frame);
    assert_eq!((info.keyframe, info.pictures), (None, 1));
}

#[test]
fn pictures_count_slices_that_start_a_picture() {
    // first_mb_in_slice == 0 is the single bit 1 right after the NAL header.
    let idr_first: &[u8] = &[0x65, 0x88, 0x80, 0x10];
    let idr_second_slice: &[u8] = &[0x65, 0x40, 0x80, 0x10];
    let p_first: &[u8] = &[0x41, 0x9a, 0x02];
    let one = annexb(&[&[0x09, 0xf0], idr_first, idr_second_slice], true);
    assert_eq!(
        inspect(VideoCodec::H264, &one).pictures,
        1,
        "two slices of one picture"
    );
    let two = annexb(&[idr_first, p_first], true);
    assert_eq!(
        inspect(VideoCodec::H264, &two).pictures,
        2,
        "two access units in one buffer"
    );
    let none = annexb(&[&[0x09, 0xf0], SPS_HIGH_ID3], true);
    assert_eq!(
        inspect(VideoCodec::H264, &none).pictures,
        0,
        "a buffer with no picture"
    );
}

#[test]
fn nals_iterates_without_losing_units() {
    let a: &[u8] = &[0x09, 0xf0];
    let b: &[u8] = &[0x65, 0x88, 0x80];
    let data = annexb(&[a, b, a], true);
    let collected: Vec<&[u8]> = nals(&data).collect();
    assert_eq!(collected, vec![a, b, a]);
    assert_eq!(nal_units(&data), collected);
}
