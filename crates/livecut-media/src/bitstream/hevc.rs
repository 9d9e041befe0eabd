//! H.265/HEVC Annex B access units: NAL types, parameter-set ids and the
//! picture kinds a cut cares about (IRAP keyframes, leading pictures).
//!
//! NAL splitting is shared with H.264 (`h264::nals`): both use the same
//! start codes.

use super::bits::{BitReader, rbsp};

pub const NAL_RASL_N: u8 = 8;
pub const NAL_RASL_R: u8 = 9;
pub const NAL_BLA_W_LP: u8 = 16;
pub const NAL_IDR_W_RADL: u8 = 19;
pub const NAL_IDR_N_LP: u8 = 20;
pub const NAL_CRA: u8 = 21;
pub const NAL_VPS: u8 = 32;
pub const NAL_SPS: u8 = 33;
pub const NAL_PPS: u8 = 34;
pub const NAL_AUD: u8 = 35;

pub fn nal_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| (b >> 1) & 0x3f)
}

/// Slice NALs (VCL) are types 0..=31; 22..=31 are reserved.
pub fn is_slice(t: u8) -> bool {
    t <= NAL_CRA
}

/// Intra random access point: BLA (16-18), IDR (19-20) or CRA (21).
pub fn is_irap(t: u8) -> bool {
    (NAL_BLA_W_LP..=NAL_CRA).contains(&t)
}

/// An IRAP whose leading pictures never reference an earlier picture:
/// IDR, and BLA without RASL (17, 18).
pub fn is_closed_irap(t: u8) -> bool {
    matches!(t, 17 | 18 | NAL_IDR_W_RADL | NAL_IDR_N_LP)
}

pub fn is_rasl(t: u8) -> bool {
    matches!(t, NAL_RASL_N | NAL_RASL_R)
}

/// `first_slice_segment_in_pic_flag`, the first bit after the 2-byte header.
pub fn starts_picture(nal: &[u8]) -> bool {
    nal.get(2).is_some_and(|b| b & 0x80 != 0)
}

/// The id a VPS, SPS or PPS NAL (2-byte header included) declares.
pub fn parameter_set_id(nal: &[u8]) -> Option<u32> {
    if nal.len() < 3 {
        return None;
    }
    let payload = rbsp(&nal[2..]);
    let mut r = BitReader::new(&payload);
    match nal_type(nal) {
        NAL_VPS => r.bits(4),
        NAL_SPS => parse_sps(nal).map(|s| s.id),
        NAL_PPS => r.ue().filter(|&id| id <= 63),
        _ => None,
    }
}

/// The fields of an HEVC SPS livecut needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpsInfo {
    pub id: u32,
    pub profile_idc: u8,
    pub chroma_format_idc: u32,
    /// Displayed size (conformance window applied).
    pub width: u32,
    pub height: u32,
    pub bit_depth_luma: u32,
    pub bit_depth_chroma: u32,
    pub max_sub_layers: u32,
    pub temporal_id_nesting: bool,
    /// The general profile/tier/level bytes as the SPS codes them (profile
    /// space, tier, profile idc; compatibility flags; constraint flags;
    /// level idc): an `hvcC` repeats them verbatim.
    pub general_ptl: [u8; 12],
}

/// Skips `profile_tier_level(1, max_sub_layers_minus1)`, returning the
/// general profile_idc.
fn profile_tier_level(r: &mut BitReader<'_>, max_sub_layers_minus1: u32) -> Option<u8> {
    r.bits(2)?; // general_profile_space
    r.bit()?; // general_tier_flag
    let profile_idc = r.bits(5)? as u8;
    r.bits(32)?; // compatibility flags
    r.bits(32)?; // progressive, interlaced, non-packed, frame-only + 44 bits
    r.bits(16)?;
    r.bits(8)?; // general_level_idc
    let mut profile_present = [false; 8];
    let mut level_present = [false; 8];
    for i in 0..max_sub_layers_minus1 as usize {
        profile_present[i] = r.bit()? == 1;
        level_present[i] = r.bit()? == 1;
    }
    if max_sub_layers_minus1 > 0 {
        for _ in max_sub_layers_minus1..8 {
            r.bits(2)?;
        }
    }
    for i in 0..max_sub_layers_minus1 as usize {
        if profile_present[i] {
            r.bits(32)?;
            r.bits(32)?;
            r.bits(24)?;
        }
        if level_present[i] {
            r.bits(8)?;
        }
    }
    Some(profile_idc)
}

pub fn parse_sps(nal: &[u8]) -> Option<SpsInfo> {
    if nal_type(nal) != NAL_SPS || nal.len() < 4 {
        return None;
    }
    let payload = rbsp(&nal[2..]);
    let mut r = BitReader::new(&payload);
    r.bits(4)?; // sps_video_parameter_set_id
    let max_sub_layers_minus1 = r.bits(3)?;
    if max_sub_layers_minus1 > 6 {
        return None;
    }
    let temporal_id_nesting = r.bit()? == 1;
    let general_ptl: [u8; 12] = payload.get(1..13)?.try_into().ok()?;
    let profile_idc = profile_tier_level(&mut r, max_sub_layers_minus1)?;
    let id = r.ue()?;
    if id > 15 {
        return None;
    }
    let chroma_format_idc = r.ue()?;
    if chroma_format_idc == 3 {
        r.bit()?;
    }
    let mut width = r.ue()?;
    let mut height = r.ue()?;
    if r.bit()? == 1 {
        // Conformance window offsets, in chroma sample units.
        let (unit_x, unit_y) = match chroma_format_idc {
            1 => (2, 2),
            2 => (2, 1),
            _ => (1, 1),
        };
        let (left, right, top, bottom) = (r.ue()?, r.ue()?, r.ue()?, r.ue()?);
        width = width.checked_sub((left + right) * unit_x)?;
        height = height.checked_sub((top + bottom) * unit_y)?;
    }
    let bit_depth_luma = 8 + r.ue()?;
    let bit_depth_chroma = 8 + r.ue()?;
    Some(SpsInfo {
        id,
        profile_idc,
        chroma_format_idc,
        width,
        height,
        bit_depth_luma,
        bit_depth_chroma,
        max_sub_layers: max_sub_layers_minus1 + 1,
        temporal_id_nesting,
        general_ptl,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// VPS/SPS/PPS written by x265 (Main, 320x180, conformance window
    /// cropping the coded 320x192).
    const VPS: &[u8] = &[
        0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00,
        0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x95, 0x94, 0x09,
    ];
    const SPS: &[u8] = &[
        0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00,
        0x03, 0x00, 0x3c, 0xa0, 0x0a, 0x08, 0x0c, 0x1f, 0x3e, 0x59, 0x59, 0x52, 0x93, 0x0b, 0xc0,
        0x5a, 0x02, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x10,
    ];
    const PPS: &[u8] = &[0x44, 0x01, 0xc0, 0x73, 0xc1, 0x89];

    #[test]
    fn nal_types_and_ids() {
        assert_eq!(nal_type(VPS), NAL_VPS);
        assert_eq!(nal_type(SPS), NAL_SPS);
        assert_eq!(nal_type(PPS), NAL_PPS);
        assert_eq!(parameter_set_id(VPS), Some(0));
        assert_eq!(parameter_set_id(PPS), Some(0));
        let sps = parse_sps(SPS).expect("sps");
        assert_eq!((sps.id, sps.profile_idc, sps.chroma_format_idc), (0, 1, 1));
        assert_eq!((sps.width, sps.height, sps.bit_depth_luma), (320, 180, 8));
    }

    #[test]
    fn picture_kinds() {
        assert!(is_irap(NAL_CRA) && is_irap(NAL_IDR_W_RADL) && !is_irap(1));
        assert!(is_closed_irap(NAL_IDR_N_LP) && !is_closed_irap(NAL_CRA));
        assert!(is_rasl(8) && is_rasl(9) && !is_rasl(7));
        assert!(starts_picture(&[0x26, 0x01, 0xaf]));
        assert!(!starts_picture(&[0x26, 0x01, 0x2f]));
    }
}
