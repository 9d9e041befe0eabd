//! What the re-encoding modes need to know about one video access unit
//! (Annex B, one picture per packet as libav's parsers deliver them) of an
//! H.264 or HEVC source, without decoding it:
//!
//! * whether decoding may start at it (a *keyframe*: an H.264 IDR, an HEVC
//!   IRAP picture, i.e. IDR, CRA or BLA);
//! * for HEVC open GOPs, whether it is a RASL picture (random access
//!   skipped leading: it precedes its CRA in presentation order and
//!   references pictures before the CRA), and whether a keyframe lets its
//!   RASL pictures decode at all (a BLA or IDR never does, a CRA right
//!   after an end-of-sequence does not either);
//! * its parameter sets, which `ParameterSetCache` keeps for priming a
//!   decoder that starts at a keyframe which does not repeat them.

use crate::bitstream::h264::nals;
use crate::codec::VideoCodec;

/// The kind of picture an access unit holds, as far as decoding order
/// and random access are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    /// Decoding can start here. `clean`: no RASL picture belongs to it (or
    /// none of its RASL pictures can ever be decoded).
    Key { clean: bool },
    /// An HEVC RASL picture of the latest keyframe.
    Rasl,
    /// Anything else (including HEVC RADL pictures, which are decodable
    /// from their keyframe on).
    Other,
}

/// One access unit, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessUnit {
    pub picture: Picture,
    /// It ends with an end-of-sequence NAL: a CRA that follows starts a
    /// new coded video sequence, and its RASL pictures are skipped.
    pub end_of_sequence: bool,
    /// It carries a sequence parameter set in band.
    pub has_sps: bool,
    /// It carries any parameter set in band.
    pub has_parameter_sets: bool,
}

impl AccessUnit {
    pub fn is_key(&self) -> bool {
        matches!(self.picture, Picture::Key { .. })
    }
}

// NAL unit types (ITU-T H.264 table 7-1, H.265 table 7-1).
const H264_IDR: u8 = 5;
const H264_SPS: u8 = 7;
const H264_PPS: u8 = 8;
const H264_END_OF_SEQUENCE: u8 = 10;
const HEVC_RASL_N: u8 = 8;
const HEVC_RASL_R: u8 = 9;
const HEVC_BLA_W_LP: u8 = 16;
const HEVC_IDR_N_LP: u8 = 20;
const HEVC_CRA: u8 = 21;
const HEVC_RESERVED_IRAP_23: u8 = 23;
const HEVC_LAST_VCL: u8 = 31;
const HEVC_VPS: u8 = 32;
const HEVC_SPS: u8 = 33;
const HEVC_PPS: u8 = 34;
const HEVC_END_OF_SEQUENCE: u8 = 36;
const HEVC_END_OF_BITSTREAM: u8 = 37;

fn h264_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| b & 0x1f)
}

fn hevc_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0xff, |b| (b >> 1) & 0x3f)
}

/// Whether `nal` is a parameter set of `codec`.
fn is_parameter_set(codec: VideoCodec, nal: &[u8]) -> bool {
    match codec {
        VideoCodec::H264 => matches!(h264_type(nal), H264_SPS | H264_PPS),
        VideoCodec::Hevc => matches!(hevc_type(nal), HEVC_VPS | HEVC_SPS | HEVC_PPS),
    }
}

/// Classifies the Annex B access unit `data` of `codec`.
pub fn classify(codec: VideoCodec, data: &[u8]) -> AccessUnit {
    let mut unit = AccessUnit {
        picture: Picture::Other,
        end_of_sequence: false,
        has_sps: false,
        has_parameter_sets: false,
    };
    let mut picture_seen = false;
    for nal in nals(data) {
        unit.has_parameter_sets |= is_parameter_set(codec, nal);
        match codec {
            VideoCodec::H264 => match h264_type(nal) {
                H264_IDR => unit.picture = Picture::Key { clean: true },
                H264_SPS => unit.has_sps = true,
                H264_END_OF_SEQUENCE => unit.end_of_sequence = true,
                _ => {}
            },
            VideoCodec::Hevc => {
                let t = hevc_type(nal);
                if t <= HEVC_LAST_VCL {
                    // The first slice decides the picture's type. A BLA's
                    // RASL pictures are never decoded, like an IDR's
                    // (which has none); 22 and 23 are reserved IRAP types.
                    if !picture_seen {
                        picture_seen = true;
                        unit.picture = if matches!(t, HEVC_RASL_N | HEVC_RASL_R) {
                            Picture::Rasl
                        } else if (HEVC_BLA_W_LP..=HEVC_IDR_N_LP).contains(&t) {
                            Picture::Key { clean: true }
                        } else if (HEVC_CRA..=HEVC_RESERVED_IRAP_23).contains(&t) {
                            Picture::Key { clean: false }
                        } else {
                            Picture::Other
                        };
                    }
                } else if t == HEVC_SPS {
                    unit.has_sps = true;
                } else if matches!(t, HEVC_END_OF_SEQUENCE | HEVC_END_OF_BITSTREAM) {
                    unit.end_of_sequence = true;
                }
            }
        }
    }
    unit
}

/// Most distinct parameter sets kept; beyond it the oldest are dropped.
const CACHE_LIMIT: usize = 64;

/// The parameter sets seen so far in a clip, in the order they last
/// appeared. Replayed in that order in front of a keyframe, they leave a
/// decoder with the definitions in force at that point, whatever ids they
/// use, without parsing a single id: a later set under the same id simply
/// overrides an earlier one.
#[derive(Debug, Default, Clone)]
pub struct ParameterSetCache {
    sets: Vec<Vec<u8>>,
}

impl ParameterSetCache {
    /// Notes the parameter sets of the access unit `data`.
    pub fn note(&mut self, codec: VideoCodec, data: &[u8]) {
        for nal in nals(data).filter(|n| is_parameter_set(codec, n)) {
            if let Some(at) = self.sets.iter().position(|s| s == nal) {
                let set = self.sets.remove(at);
                self.sets.push(set);
            } else {
                if self.sets.len() == CACHE_LIMIT {
                    self.sets.remove(0);
                }
                self.sets.push(nal.to_vec());
            }
        }
    }

    /// `data` preceded by every cached parameter set (Annex B).
    pub fn primed(&self, data: &[u8]) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(data.len() + self.sets.iter().map(|s| s.len() + 4).sum::<usize>());
        for set in &self.sets {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(set);
        }
        out.extend_from_slice(data);
        out
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

    /// A two-byte HEVC NAL header of type `t` and one payload byte.
    fn hevc(t: u8) -> Vec<u8> {
        vec![t << 1, 1, 0xaa]
    }

    #[test]
    fn hevc_pictures_are_classified_by_their_first_slice() {
        let cra = annexb(&[&hevc(35), &hevc(32), &hevc(33), &hevc(34), &hevc(21)]);
        let unit = classify(VideoCodec::Hevc, &cra);
        assert_eq!(unit.picture, Picture::Key { clean: false });
        assert!(unit.has_sps && unit.has_parameter_sets && !unit.end_of_sequence);
        for t in [16, 17, 18, 19, 20] {
            let unit = classify(VideoCodec::Hevc, &annexb(&[&hevc(t)]));
            assert_eq!(unit.picture, Picture::Key { clean: true }, "type {t}");
        }
        for t in [8, 9] {
            assert_eq!(
                classify(VideoCodec::Hevc, &annexb(&[&hevc(t), &hevc(t)])).picture,
                Picture::Rasl
            );
        }
        // RADL and trailing pictures; an EOS after a trailing picture.
        for t in [0, 1, 6, 7] {
            assert_eq!(
                classify(VideoCodec::Hevc, &annexb(&[&hevc(t)])).picture,
                Picture::Other
            );
        }
        let unit = classify(VideoCodec::Hevc, &annexb(&[&hevc(1), &hevc(36)]));
        assert!(unit.end_of_sequence && !unit.has_sps && !unit.has_parameter_sets);
    }

    #[test]
    fn h264_keyframes_are_idrs() {
        let idr = annexb(&[&[0x09, 0xf0], &[0x67, 1], &[0x68, 2], &[0x65, 3]]);
        let unit = classify(VideoCodec::H264, &idr);
        assert_eq!(unit.picture, Picture::Key { clean: true });
        assert!(unit.has_sps);
        let p = annexb(&[&[0x41, 3]]);
        assert_eq!(classify(VideoCodec::H264, &p).picture, Picture::Other);
    }

    #[test]
    fn the_cache_replays_the_latest_definitions_last() {
        let mut cache = ParameterSetCache::default();
        let (vps, sps_a, sps_b, pps) = (hevc(32), hevc(33), vec![33 << 1, 1, 0xbb], hevc(34));
        cache.note(VideoCodec::Hevc, &annexb(&[&vps, &sps_a, &pps, &hevc(21)]));
        cache.note(VideoCodec::Hevc, &annexb(&[&hevc(1)]));
        cache.note(VideoCodec::Hevc, &annexb(&[&sps_b, &hevc(21)]));
        cache.note(VideoCodec::Hevc, &annexb(&[&sps_a]));
        let primed = cache.primed(&[9]);
        assert_eq!(
            primed,
            [annexb(&[&vps, &pps, &sps_b, &sps_a]), vec![9]].concat()
        );
    }
}
