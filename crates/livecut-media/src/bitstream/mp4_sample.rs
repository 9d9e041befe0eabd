//! Video samples of fMP4 segments (ISO/IEC 14496-15: each NAL unit behind a
//! big-endian length field, the parameter sets in the sample entry's
//! `avcC`/`hvcC` record) turned into the Annex B access units an MPEG-TS
//! segment carries, so every mode reads one shape of video whatever the
//! recorder's container.
//!
//! An MPEG-TS recorder repeats the parameter sets in front of every
//! keyframe; an fMP4 recorder usually keeps them only in the init section.
//! The conversion puts the record's sets in front of the first picture of
//! each segment and of every sync sample that carries none of its own, which
//! is what the cutter needs to start decoding or copying at any keyframe.

use super::{h264, hevc, parameter_sets};
use crate::codec::VideoCodec;

/// How a track's samples are framed, read from its decoder configuration
/// record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NalFraming {
    codec: VideoCodec,
    /// Bytes of each NAL unit's length field (1, 2 or 4).
    length_size: usize,
    /// The record's parameter sets (VPS, SPS, PPS order), without start
    /// codes.
    sets: Vec<Vec<u8>>,
}

/// Reads `count` length-prefixed (u16) NAL units from `data` at `*at`.
fn read_units(data: &[u8], at: &mut usize, count: usize, into: &mut Vec<Vec<u8>>) -> Option<()> {
    for _ in 0..count {
        let len = usize::from(u16::from_be_bytes([*data.get(*at)?, *data.get(*at + 1)?]));
        let unit = data.get(*at + 2..*at + 2 + len)?;
        if !unit.is_empty() {
            into.push(unit.to_vec());
        }
        *at += 2 + len;
    }
    Some(())
}

impl NalFraming {
    /// The framing of `codec` samples described by `record` (`avcC` or
    /// `hvcC` contents). `None` when the record is missing or malformed.
    pub fn from_record(codec: VideoCodec, record: &[u8]) -> Option<NalFraming> {
        match codec {
            VideoCodec::H264 => Self::from_avcc(record),
            VideoCodec::Hevc => Self::from_hvcc(record),
        }
    }

    fn from_avcc(record: &[u8]) -> Option<NalFraming> {
        // configurationVersion 1, profile, compatibility, level, then
        // lengthSizeMinusOne in the low two bits of byte 4.
        if record.len() < 7 || record[0] != 1 {
            return None;
        }
        let length_size = usize::from(record[4] & 3) + 1;
        let mut sets = Vec::new();
        let mut at = 6;
        read_units(record, &mut at, usize::from(record[5] & 0x1f), &mut sets)?;
        let pps_count = usize::from(*record.get(at)?);
        at += 1;
        read_units(record, &mut at, pps_count, &mut sets)?;
        Self::checked(VideoCodec::H264, length_size, sets)
    }

    fn from_hvcc(record: &[u8]) -> Option<NalFraming> {
        // 22 bytes of profile, tier, level and format fields; then
        // lengthSizeMinusOne, and the arrays of NAL units by type.
        if record.len() < 23 || record[0] != 1 {
            return None;
        }
        let length_size = usize::from(record[21] & 3) + 1;
        let mut sets = Vec::new();
        let mut at = 23;
        for _ in 0..record[22] {
            at += 1; // array_completeness, reserved, NAL_unit_type
            let count = usize::from(u16::from_be_bytes([*record.get(at)?, *record.get(at + 1)?]));
            at += 2;
            read_units(record, &mut at, count, &mut sets)?;
        }
        // Only the parameter sets matter here (SEI arrays are left out), VPS first.
        sets.retain(|nal| {
            matches!(
                hevc::nal_type(nal),
                hevc::NAL_VPS | hevc::NAL_SPS | hevc::NAL_PPS
            )
        });
        sets.sort_by_key(|nal| hevc::nal_type(nal));
        Self::checked(VideoCodec::Hevc, length_size, sets)
    }

    fn checked(codec: VideoCodec, length_size: usize, sets: Vec<Vec<u8>>) -> Option<NalFraming> {
        // A 3-byte length field does not exist in the standard.
        (length_size != 3).then_some(NalFraming {
            codec,
            length_size,
            sets,
        })
    }

    /// The sample as an Annex B access unit (4-byte start codes). With
    /// `with_sets`, the record's parameter sets go in front of its first
    /// NAL unit after an access unit delimiter, unless the sample carries
    /// parameter sets of its own. `None` when a length field runs past the
    /// sample (a damaged sample).
    pub fn annexb(&self, sample: &[u8], with_sets: bool) -> Option<Vec<u8>> {
        let mut units = Vec::new();
        let mut at = 0;
        while at < sample.len() {
            let field = sample.get(at..at + self.length_size)?;
            let len = field
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            let unit = sample.get(at + self.length_size..at + self.length_size + len)?;
            if !unit.is_empty() {
                units.push(unit);
            }
            at += self.length_size + len;
        }
        let own_sets = units
            .iter()
            .any(|nal| parameter_sets::classify(self.codec, nal).is_some());
        let insert_at = if with_sets && !own_sets {
            let delimiter = units.first().is_some_and(|nal| self.is_delimiter(nal));
            Some(usize::from(delimiter))
        } else {
            None
        };
        let extra: usize = self.sets.iter().map(|s| s.len() + 4).sum();
        let mut out = Vec::with_capacity(sample.len() + units.len() * 4 + extra);
        for (k, nal) in units.iter().enumerate() {
            if insert_at == Some(k) {
                self.put_sets(&mut out);
            }
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(nal);
        }
        if insert_at.is_some_and(|k| k >= units.len()) {
            self.put_sets(&mut out);
        }
        Some(out)
    }

    fn put_sets(&self, out: &mut Vec<u8>) {
        for set in &self.sets {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(set);
        }
    }

    fn is_delimiter(&self, nal: &[u8]) -> bool {
        match self.codec {
            VideoCodec::H264 => h264::nal_type(nal) == h264::NAL_AUD,
            VideoCodec::Hevc => hevc::nal_type(nal) == hevc::NAL_AUD,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real parameter sets of a libx264 320x240 stream (High profile).
    const SPS: [u8; 25] = [
        0x67, 0x64, 0x00, 0x0d, 0xac, 0xd9, 0x41, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00,
        0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x42, 0x99, 0x60,
    ];
    const PPS: [u8; 6] = [0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0];

    fn avcc(length_size: u8) -> Vec<u8> {
        let mut r = vec![1, 0x64, 0x00, 0x0d, 0xfc | (length_size - 1), 0xe1];
        r.extend_from_slice(&(SPS.len() as u16).to_be_bytes());
        r.extend_from_slice(&SPS);
        r.push(1);
        r.extend_from_slice(&(PPS.len() as u16).to_be_bytes());
        r.extend_from_slice(&PPS);
        r
    }

    fn sample(units: &[&[u8]]) -> Vec<u8> {
        let mut s = Vec::new();
        for u in units {
            s.extend_from_slice(&(u.len() as u32).to_be_bytes());
            s.extend_from_slice(u);
        }
        s
    }

    fn annexb(units: &[&[u8]]) -> Vec<u8> {
        units
            .iter()
            .flat_map(|u| [&[0u8, 0, 0, 1][..], u].concat())
            .collect()
    }

    #[test]
    fn a_keyframe_gets_the_records_sets_after_its_delimiter() {
        let framing = NalFraming::from_record(VideoCodec::H264, &avcc(4)).expect("avcC");
        let aud: &[u8] = &[0x09, 0xf0];
        let idr: &[u8] = &[0x65, 0x88, 0x84, 0x00];
        let out = framing.annexb(&sample(&[aud, idr]), true).expect("sample");
        assert_eq!(out, annexb(&[aud, &SPS, &PPS, idr]));
        // Without the flag, or when the sample has its own sets, nothing is added.
        assert_eq!(
            framing.annexb(&sample(&[aud, idr]), false),
            Some(annexb(&[aud, idr]))
        );
        assert_eq!(
            framing.annexb(&sample(&[&SPS, &PPS, idr]), true),
            Some(annexb(&[&SPS, &PPS, idr]))
        );
    }

    #[test]
    fn two_byte_length_fields_are_read() {
        let framing = NalFraming::from_record(VideoCodec::H264, &avcc(2)).expect("avcC");
        let p: &[u8] = &[0x41, 0x9a, 0x02];
        let mut s = vec![0, 3];
        s.extend_from_slice(p);
        assert_eq!(framing.annexb(&s, false), Some(annexb(&[p])));
    }

    #[test]
    fn damaged_samples_and_records_are_refused() {
        let framing = NalFraming::from_record(VideoCodec::H264, &avcc(4)).expect("avcC");
        // The length field claims more bytes than the sample holds.
        assert_eq!(framing.annexb(&[0, 0, 0, 9, 0x65, 0x88], false), None);
        assert_eq!(NalFraming::from_record(VideoCodec::H264, &[]), None);
        assert_eq!(
            NalFraming::from_record(VideoCodec::H264, &avcc(4)[..9]),
            None
        );
        assert_eq!(NalFraming::from_record(VideoCodec::Hevc, &[1; 10]), None);
    }

    #[test]
    fn hvcc_sets_come_out_vps_sps_pps() {
        let vps: &[u8] = &[0x40, 0x01, 0x0c];
        let sps: &[u8] = &[0x42, 0x01, 0x01];
        let pps: &[u8] = &[0x44, 0x01, 0xc1];
        let mut r = vec![1u8; 22];
        r[21] = 0xf0 | 3;
        r.push(3);
        for (ty, nal) in [(34u8, pps), (32, vps), (33, sps)] {
            r.push(0x80 | ty);
            r.extend_from_slice(&1u16.to_be_bytes());
            r.extend_from_slice(&(nal.len() as u16).to_be_bytes());
            r.extend_from_slice(nal);
        }
        let framing = NalFraming::from_record(VideoCodec::Hevc, &r).expect("hvcC");
        let cra: &[u8] = &[0x2a, 0x01, 0xaf];
        let out = framing.annexb(&sample(&[cra]), true).expect("sample");
        assert_eq!(out, annexb(&[vps, sps, pps, cra]));
    }
}
