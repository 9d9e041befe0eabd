//! The parameter sets (VPS/SPS/PPS) an output's video is decoded with,
//! keyed by id, for H.264 and HEVC alike.
//!
//! A different NAL under an id already taken is a conflict: one sample
//! entry cannot carry both, so the output must carry its sets in-band
//! (see `copy`'s parameter-set routes).

use std::collections::BTreeMap;

use super::{h264, hevc};
use crate::codec::VideoCodec;

/// Two different parameter sets claimed the same id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterSetConflict {
    pub kind: &'static str,
    pub id: u32,
}

/// What a copied picture must share with the output's to be joined with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub chroma_format_idc: u32,
    pub bit_depth: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterSets {
    pub codec: VideoCodec,
    /// HEVC only.
    pub vps: BTreeMap<u32, Vec<u8>>,
    pub sps: BTreeMap<u32, Vec<u8>>,
    pub pps: BTreeMap<u32, Vec<u8>>,
}

impl Default for ParameterSets {
    fn default() -> Self {
        ParameterSets::new(VideoCodec::H264)
    }
}

/// Which map a parameter-set NAL belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    Vps,
    Sps,
    Pps,
}

impl SetKind {
    fn name(self) -> &'static str {
        match self {
            SetKind::Vps => "VPS",
            SetKind::Sps => "SPS",
            SetKind::Pps => "PPS",
        }
    }
}

/// The kind and id of a parameter-set NAL of `codec`, `None` for other NALs
/// and unparsable sets.
pub fn classify(codec: VideoCodec, nal: &[u8]) -> Option<(SetKind, u32)> {
    match codec {
        VideoCodec::H264 => match h264::nal_type(nal) {
            h264::NAL_SPS => h264::parse_sps(nal).map(|s| (SetKind::Sps, s.id)),
            h264::NAL_PPS => h264::parse_pps(nal).map(|(id, _)| (SetKind::Pps, id)),
            _ => None,
        },
        VideoCodec::Hevc => {
            let kind = match hevc::nal_type(nal) {
                hevc::NAL_VPS => SetKind::Vps,
                hevc::NAL_SPS => SetKind::Sps,
                hevc::NAL_PPS => SetKind::Pps,
                _ => return None,
            };
            hevc::parameter_set_id(nal).map(|id| (kind, id))
        }
    }
}

impl ParameterSets {
    pub fn new(codec: VideoCodec) -> Self {
        ParameterSets {
            codec,
            vps: BTreeMap::new(),
            sps: BTreeMap::new(),
            pps: BTreeMap::new(),
        }
    }

    fn map(&mut self, kind: SetKind) -> &mut BTreeMap<u32, Vec<u8>> {
        match kind {
            SetKind::Vps => &mut self.vps,
            SetKind::Sps => &mut self.sps,
            SetKind::Pps => &mut self.pps,
        }
    }

    /// Records a parameter-set NAL; other NAL types and unparsable sets are
    /// ignored (`Ok(false)`). Returns `Ok(true)` if the set was new.
    pub fn add(&mut self, nal: &[u8]) -> Result<bool, ParameterSetConflict> {
        let Some((kind, id)) = classify(self.codec, nal) else {
            return Ok(false);
        };
        let map = self.map(kind);
        match map.get(&id) {
            Some(existing) if existing.as_slice() == nal => Ok(false),
            Some(_) => Err(ParameterSetConflict {
                kind: kind.name(),
                id,
            }),
            None => {
                map.insert(id, nal.to_vec());
                Ok(true)
            }
        }
    }

    /// Puts `nal` under `id`, replacing what was there.
    pub fn replace(&mut self, kind: SetKind, id: u32, nal: &[u8]) {
        self.map(kind).insert(id, nal.to_vec());
    }

    /// Adds every set of `other`, failing on the first id collision (sets
    /// of another codec always collide).
    pub fn merge(&mut self, other: &ParameterSets) -> Result<(), ParameterSetConflict> {
        if other.codec != self.codec && !other.is_empty() {
            return Err(ParameterSetConflict {
                kind: "codec",
                id: 0,
            });
        }
        for nal in other.all() {
            self.add(nal)?;
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.vps.is_empty() && self.sps.is_empty() && self.pps.is_empty()
    }

    /// Every set in decoding order: VPS, SPS, PPS, each by ascending id.
    pub fn all(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.vps
            .values()
            .chain(self.sps.values())
            .chain(self.pps.values())
    }

    /// Whether the sets a decoder needs to start are there.
    pub fn complete(&self) -> bool {
        !self.sps.is_empty()
            && !self.pps.is_empty()
            && (self.codec == VideoCodec::H264 || !self.vps.is_empty())
    }

    /// The smallest H.264 id used by neither an SPS nor a PPS, if any.
    pub fn free_id(&self) -> Option<u32> {
        (0..32).find(|id| !self.sps.contains_key(id) && !self.pps.contains_key(id))
    }

    /// Every set as Annex B, for a decoder's extradata (a GOP whose
    /// keyframe does not repeat them in-band still decodes) or for an
    /// in-band copy in front of a keyframe.
    pub fn annexb(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for nal in self.all() {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(nal);
        }
        out
    }

    /// The picture the first SPS describes, if it parses that far.
    pub fn picture(&self) -> Option<Picture> {
        match self.codec {
            VideoCodec::H264 => {
                let sps = self.first_sps()?;
                let (width, height) = sps.picture?;
                Some(Picture {
                    width,
                    height,
                    chroma_format_idc: sps.chroma_format_idc,
                    bit_depth: sps.bit_depth_luma,
                })
            }
            VideoCodec::Hevc => {
                let sps = self.first_hevc_sps()?;
                Some(Picture {
                    width: sps.width,
                    height: sps.height,
                    chroma_format_idc: sps.chroma_format_idc,
                    bit_depth: sps.bit_depth_luma,
                })
            }
        }
    }

    /// The first H.264 SPS, parsed.
    pub fn first_sps(&self) -> Option<h264::SpsInfo> {
        if self.codec != VideoCodec::H264 {
            return None;
        }
        self.sps
            .values()
            .next()
            .and_then(|nal| h264::parse_sps(nal))
    }

    /// The first HEVC SPS, parsed.
    pub fn first_hevc_sps(&self) -> Option<hevc::SpsInfo> {
        if self.codec != VideoCodec::Hevc {
            return None;
        }
        self.sps
            .values()
            .next()
            .and_then(|nal| hevc::parse_sps(nal))
    }

    /// Builds an `HEVCDecoderConfigurationRecord` (4-byte NAL lengths)
    /// holding every VPS, SPS and PPS; `complete` marks the arrays as
    /// holding every set the stream uses (`hvc1`) or not (`hev1`).
    pub fn hvcc(&self, complete: bool) -> Option<Vec<u8>> {
        let sps = self.first_hevc_sps()?;
        if self.vps.is_empty() || self.pps.is_empty() {
            return None;
        }
        let mut out = vec![1];
        out.extend_from_slice(&sps.general_ptl);
        out.extend_from_slice(&[
            0xF0,
            0x00, // no min_spatial_segmentation
            0xFC, // parallelism unknown
            0xFC | (sps.chroma_format_idc as u8 & 3),
            0xF8 | (sps.bit_depth_luma.saturating_sub(8) as u8 & 7),
            0xF8 | (sps.bit_depth_chroma.saturating_sub(8) as u8 & 7),
            0,
            0, // average frame rate unknown
            ((sps.max_sub_layers as u8 & 7) << 3) | (u8::from(sps.temporal_id_nesting) << 2) | 3,
            3,
        ]);
        for (nal_type, map) in [
            (hevc::NAL_VPS, &self.vps),
            (hevc::NAL_SPS, &self.sps),
            (hevc::NAL_PPS, &self.pps),
        ] {
            out.push((u8::from(complete) << 7) | nal_type);
            out.extend_from_slice(&u16::try_from(map.len()).ok()?.to_be_bytes());
            for nal in map.values() {
                out.extend_from_slice(&u16::try_from(nal.len()).ok()?.to_be_bytes());
                out.extend_from_slice(nal);
            }
        }
        Some(out)
    }

    /// Builds an H.264 `AVCDecoderConfigurationRecord` with 4-byte NAL
    /// lengths holding every SPS and PPS in ascending id order.
    pub fn avcc(&self) -> Option<Vec<u8>> {
        let first = self.first_sps()?;
        if self.pps.is_empty() || self.sps.len() > 31 {
            return None;
        }
        let level = self
            .sps
            .values()
            .filter_map(|nal| h264::parse_sps(nal))
            .map(|s| s.level_idc)
            .max()
            .unwrap_or(first.level_idc);
        let mut out = vec![
            1,
            first.profile_idc,
            first.constraint_flags,
            level,
            0xFC | 3,
            0xE0 | self.sps.len() as u8,
        ];
        for nal in self.sps.values() {
            out.extend_from_slice(&u16::try_from(nal.len()).ok()?.to_be_bytes());
            out.extend_from_slice(nal);
        }
        out.push(u8::try_from(self.pps.len()).ok()?);
        for nal in self.pps.values() {
            out.extend_from_slice(&u16::try_from(nal.len()).ok()?.to_be_bytes());
            out.extend_from_slice(nal);
        }
        if h264::is_high_family(first.profile_idc) {
            out.push(0xFC | (first.chroma_format_idc as u8 & 3));
            out.push(0xF8 | ((first.bit_depth_luma.saturating_sub(8)) as u8 & 7));
            out.push(0xF8 | ((first.bit_depth_chroma.saturating_sub(8)) as u8 & 7));
            out.push(0);
        }
        Some(out)
    }
}
