//! One access unit of H.264 or HEVC, seen the way the cut needs it: how many
//! pictures it starts, whether decoding can start there, whether its picture
//! needs the previous GOP, and which parameter sets it carries.

use super::parameter_sets::{ParameterSetConflict, ParameterSets};
use super::{h264, hevc};
use crate::codec::VideoCodec;

/// A picture decoding can start at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyframe {
    /// IDR (or BLA without RASL): nothing after it references anything
    /// before it.
    Closed,
    /// CRA/BLA with RASL, or an H.264 I picture with a recovery point: the
    /// leading pictures that follow it may reference the previous GOP.
    Open,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessUnitInfo {
    /// Slices that start a picture: 1 for a buffer that is exactly one
    /// access unit.
    pub pictures: u32,
    pub keyframe: Option<Keyframe>,
    /// HEVC RASL picture (needs the GOP before its CRA).
    pub rasl: bool,
    pub parameter_sets: ParameterSets,
    pub conflict: Option<ParameterSetConflict>,
}

pub fn inspect(codec: VideoCodec, data: &[u8]) -> AccessUnitInfo {
    let mut info = AccessUnitInfo {
        pictures: 0,
        keyframe: None,
        rasl: false,
        parameter_sets: ParameterSets::new(codec),
        conflict: None,
    };
    let mut recovery_point = false;
    let mut intra = false;
    for nal in h264::nals(data) {
        match codec {
            VideoCodec::H264 => match h264::nal_type(nal) {
                t @ (h264::NAL_IDR | h264::NAL_SLICE) => {
                    // first_mb_in_slice == 0 is the single bit 1.
                    if nal.get(1).is_some_and(|b| b & 0x80 != 0) {
                        info.pictures += 1;
                        if t == h264::NAL_IDR {
                            info.keyframe = Some(Keyframe::Closed);
                        } else {
                            intra = h264::is_intra_slice(nal);
                        }
                    }
                }
                h264::NAL_SEI => recovery_point |= h264::has_recovery_point(nal),
                _ => add_set(&mut info, nal),
            },
            VideoCodec::Hevc => {
                let t = hevc::nal_type(nal);
                if hevc::is_slice(t) {
                    if hevc::starts_picture(nal) {
                        info.pictures += 1;
                        info.rasl = hevc::is_rasl(t);
                        if hevc::is_irap(t) {
                            info.keyframe = Some(if hevc::is_closed_irap(t) {
                                Keyframe::Closed
                            } else {
                                Keyframe::Open
                            });
                        }
                    }
                } else {
                    add_set(&mut info, nal);
                }
            }
        }
    }
    if codec == VideoCodec::H264 && info.keyframe.is_none() && recovery_point && intra {
        info.keyframe = Some(Keyframe::Open);
    }
    info
}

fn add_set(info: &mut AccessUnitInfo, nal: &[u8]) {
    if let Err(conflict) = info.parameter_sets.add(nal) {
        info.conflict.get_or_insert(conflict);
    }
}

/// Whether decoding can start at this access unit (cheaper than `inspect`:
/// no parameter sets are parsed).
pub fn is_keyframe(codec: VideoCodec, data: &[u8]) -> bool {
    match codec {
        VideoCodec::H264 => {
            let mut recovery_point = false;
            for nal in h264::nals(data) {
                match h264::nal_type(nal) {
                    h264::NAL_IDR => return true,
                    h264::NAL_SEI => recovery_point |= h264::has_recovery_point(nal),
                    h264::NAL_SLICE => return recovery_point && h264::is_intra_slice(nal),
                    _ => {}
                }
            }
            false
        }
        VideoCodec::Hevc => h264::nals(data)
            .map(hevc::nal_type)
            .find(|&t| hevc::is_slice(t))
            .is_some_and(hevc::is_irap),
    }
}

/// Whether a NAL is a parameter set or an access unit delimiter of `codec`.
fn is_header(codec: VideoCodec, nal: &[u8]) -> (bool, bool) {
    match codec {
        VideoCodec::H264 => {
            let t = h264::nal_type(nal);
            (
                matches!(t, h264::NAL_SPS | h264::NAL_PPS),
                t == h264::NAL_AUD,
            )
        }
        VideoCodec::Hevc => {
            let t = hevc::nal_type(nal);
            (
                matches!(t, hevc::NAL_VPS | hevc::NAL_SPS | hevc::NAL_PPS),
                t == hevc::NAL_AUD,
            )
        }
    }
}

/// An MP4 sample: the access unit's NALs with 4-byte lengths. Delimiters are
/// dropped (meaningless in a sample); parameter sets are kept only for the
/// in-band route, where `prefix` (Annex B sets to put first, e.g. the
/// encoder's) is written in front.
pub fn to_sample(codec: VideoCodec, data: &[u8], keep_sets: bool, prefix: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + prefix.len() + 16);
    for nal in h264::nals(prefix).chain(h264::nals(data)) {
        let (set, delimiter) = is_header(codec, nal);
        if delimiter || (set && !keep_sets) {
            continue;
        }
        let Ok(len) = u32::try_from(nal.len()) else {
            continue;
        };
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(nal);
    }
    out
}

/// Turns the CRA slices of an HEVC sample (4-byte NAL lengths) into BLA
/// slices (`BLA_W_LP`; the slice header syntax is the same). A CRA copied
/// after pictures of another stream or encoder is a splice point: as a BLA
/// it starts a new coded video sequence, so decoders output every earlier
/// picture first and do not relate its picture order count to them, and
/// its RASL pictures (never copied after such a point) are not expected.
pub fn splice_cra(sample: &mut [u8]) {
    let mut at = 0usize;
    while at + 4 < sample.len() {
        let len = u32::from_be_bytes([sample[at], sample[at + 1], sample[at + 2], sample[at + 3]])
            as usize;
        let header = at + 4;
        if hevc::nal_type(&sample[header..]) == hevc::NAL_CRA {
            sample[header] = (sample[header] & 0x81) | (hevc::NAL_BLA_W_LP << 1);
        }
        at = header.saturating_add(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annexb(nals: &[&[u8]]) -> Vec<u8> {
        nals.iter()
            .flat_map(|n| [&[0u8, 0, 0, 1][..], n].concat())
            .collect()
    }

    #[test]
    fn hevc_cra_and_rasl() {
        let cra = annexb(&[&[0x2a, 0x01, 0xaf, 0x00]]);
        let info = inspect(VideoCodec::Hevc, &cra);
        assert_eq!((info.pictures, info.keyframe), (1, Some(Keyframe::Open)));
        assert!(is_keyframe(VideoCodec::Hevc, &cra));
        let idr = annexb(&[&[0x26, 0x01, 0xaf]]);
        assert_eq!(
            inspect(VideoCodec::Hevc, &idr).keyframe,
            Some(Keyframe::Closed)
        );
        let rasl = annexb(&[&[0x10, 0x01, 0xaf]]);
        let info = inspect(VideoCodec::Hevc, &rasl);
        assert!(info.rasl && info.keyframe.is_none());
    }

    #[test]
    fn h264_recovery_point_i_slice_is_an_open_keyframe() {
        // SEI: payload type 6, size 1, recovery_frame_cnt 0, then trailing bits.
        let sei: &[u8] = &[0x06, 0x06, 0x01, 0xc4, 0x80];
        // Non-IDR slice: first_mb 0 (1), slice_type 7 = I (0001000).
        let i_slice: &[u8] = &[0x21, 0x88, 0x80];
        // slice_type 5 = P (00110).
        let p_slice: &[u8] = &[0x21, 0x98, 0x80];
        let open = annexb(&[sei, i_slice]);
        assert_eq!(
            inspect(VideoCodec::H264, &open).keyframe,
            Some(Keyframe::Open)
        );
        assert!(is_keyframe(VideoCodec::H264, &open));
        assert!(!is_keyframe(VideoCodec::H264, &annexb(&[i_slice])));
        assert!(!is_keyframe(VideoCodec::H264, &annexb(&[sei, p_slice])));
    }

    #[test]
    fn a_spliced_cra_becomes_a_bla() {
        let mut sample = to_sample(
            VideoCodec::Hevc,
            &annexb(&[
                &[0x40, 0x01, 0x0c],
                &[0x2a, 0x01, 0xaf],
                &[0x2a, 0x01, 0x2f],
            ]),
            true,
            &[],
        );
        splice_cra(&mut sample);
        let types: Vec<u8> = nal_types(&sample);
        assert_eq!(
            types,
            vec![hevc::NAL_VPS, hevc::NAL_BLA_W_LP, hevc::NAL_BLA_W_LP]
        );
    }

    fn nal_types(sample: &[u8]) -> Vec<u8> {
        let mut types = Vec::new();
        let mut at = 0;
        while at + 4 < sample.len() {
            let len = u32::from_be_bytes(sample[at..at + 4].try_into().expect("4 bytes")) as usize;
            types.push(hevc::nal_type(&sample[at + 4..]));
            at += 4 + len;
        }
        types
    }

    #[test]
    fn samples_keep_or_drop_parameter_sets() {
        let sps: &[u8] = &[0x42, 0x01, 0x01];
        let aud: &[u8] = &[0x46, 0x01, 0x50];
        let slice: &[u8] = &[0x26, 0x01, 0xaf];
        let au = annexb(&[aud, sps, slice]);
        assert_eq!(
            to_sample(VideoCodec::Hevc, &au, false, &[]),
            [&[0, 0, 0, 3][..], slice].concat()
        );
        assert_eq!(
            to_sample(VideoCodec::Hevc, &au, true, &[]),
            [&[0, 0, 0, 3][..], sps, &[0, 0, 0, 3], slice].concat()
        );
    }
}
