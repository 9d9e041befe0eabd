//! H.264 Annex B access units: NAL splitting, parameter-set ids, conversion
//! to the length-prefixed MP4 form, and the `avcC` record.
//!
//! The smart cut needs to know which SPS/PPS ids the source uses (so the
//! boundary encoder can take a free one), to keep every parameter set in the
//! single `avcC`, and to strip the in-band copies from copied samples.

use super::bits::{BitReader, rbsp};
pub use super::parameter_sets::ParameterSets;

pub const NAL_SLICE: u8 = 1;
pub const NAL_IDR: u8 = 5;
pub const NAL_SEI: u8 = 6;
pub const NAL_SPS: u8 = 7;
pub const NAL_PPS: u8 = 8;
pub const NAL_AUD: u8 = 9;

/// Splits an Annex B buffer into NAL units (without start codes). Trailing
/// zero bytes before the next start code are not part of a NAL.
pub fn nal_units(data: &[u8]) -> Vec<&[u8]> {
    nals(data).collect()
}

/// The NAL units of an Annex B buffer, without allocating.
///
/// Every copied packet goes through this, so the start codes are found with
/// memchr's vectorised substring search: a byte-by-byte scan was a quarter
/// of a RoughFast job's time. Matches cannot overlap (`00 00 01` has no
/// proper prefix that is also a suffix), so non-overlapping search is exact.
pub fn nals(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    static START_CODE: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    let finder = START_CODE.get_or_init(|| memchr::memmem::Finder::new(&[0u8, 0, 1]));
    let mut starts = finder.find_iter(data).map(|at| (at, at + 3)).peekable();
    std::iter::from_fn(move || {
        loop {
            let (_, start) = starts.next()?;
            let mut end = starts.peek().map_or(data.len(), |&(next, _)| next);
            while end > start && data[end - 1] == 0 {
                end -= 1;
            }
            if end > start {
                return Some(&data[start..end]);
            }
        }
    })
}

pub fn nal_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| b & 0x1f)
}

/// The fields of a sequence parameter set that livecut needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpsInfo {
    pub id: u32,
    pub profile_idc: u8,
    pub constraint_flags: u8,
    pub level_idc: u8,
    pub chroma_format_idc: u32,
    pub bit_depth_luma: u32,
    pub bit_depth_chroma: u32,
    /// Displayed width and height (after cropping), if the SPS parsed that
    /// far.
    pub picture: Option<(u32, u32)>,
}

/// Profiles whose SPS carries chroma format and bit depth (and whose `avcC`
/// carries the extension fields).
pub(crate) fn is_high_family(profile_idc: u8) -> bool {
    matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    )
}

/// Parses the start of an SPS NAL (header byte included).
pub fn parse_sps(nal: &[u8]) -> Option<SpsInfo> {
    if nal_type(nal) != NAL_SPS || nal.len() < 5 {
        return None;
    }
    let payload = rbsp(&nal[1..]);
    let (profile_idc, constraint_flags, level_idc) = (payload[0], payload[1], payload[2]);
    let mut r = BitReader::new(&payload[3..]);
    let id = r.ue()?;
    if id > 31 {
        return None;
    }
    let (mut chroma_format_idc, mut bit_depth_luma, mut bit_depth_chroma) = (1, 8, 8);
    if is_high_family(profile_idc) {
        chroma_format_idc = r.ue()?;
        if chroma_format_idc == 3 {
            r.bit()?;
        }
        bit_depth_luma = 8 + r.ue()?;
        bit_depth_chroma = 8 + r.ue()?;
    }
    let picture = picture_size(&mut r, is_high_family(profile_idc), chroma_format_idc);
    Some(SpsInfo {
        id,
        profile_idc,
        constraint_flags,
        level_idc,
        chroma_format_idc,
        bit_depth_luma,
        bit_depth_chroma,
        picture,
    })
}

fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Option<()> {
    let (mut last, mut next) = (8i32, 8i32);
    for _ in 0..size {
        if next != 0 {
            next = (last + r.se()? + 256) % 256;
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

/// The rest of an SPS after the bit depths, down to the cropped picture
/// size; `r` stands right after `bit_depth_chroma_minus8` (high profiles)
/// or after the id.
fn picture_size(r: &mut BitReader<'_>, high: bool, chroma_format_idc: u32) -> Option<(u32, u32)> {
    if high {
        r.bit()?; // qpprime_y_zero_transform_bypass_flag
        if r.bit()? == 1 {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bit()? == 1 {
                    skip_scaling_list(r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    r.ue()?; // log2_max_frame_num_minus4
    match r.ue()? {
        0 => {
            r.ue()?;
        }
        1 => {
            r.bit()?;
            r.se()?;
            r.se()?;
            for _ in 0..r.ue()? {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.bit()?; // gaps_in_frame_num_value_allowed_flag
    let width_mbs = r.ue()? + 1;
    let height_units = r.ue()? + 1;
    let frame_mbs_only = r.bit()?;
    if frame_mbs_only == 0 {
        r.bit()?;
    }
    r.bit()?; // direct_8x8_inference_flag
    let width = width_mbs * 16;
    let height = height_units * 16 * (2 - frame_mbs_only);
    let (mut crop_x, mut crop_y) = (0, 0);
    if r.bit()? == 1 {
        let (left, right, top, bottom) = (r.ue()?, r.ue()?, r.ue()?, r.ue()?);
        let (unit_x, unit_y) = match chroma_format_idc {
            0 | 3 => (1, 2 - frame_mbs_only),
            2 => (2, 2 - frame_mbs_only),
            _ => (2, 2 * (2 - frame_mbs_only)),
        };
        crop_x = (left + right) * unit_x;
        crop_y = (top + bottom) * unit_y;
    }
    Some((width.checked_sub(crop_x)?, height.checked_sub(crop_y)?))
}

/// Parses the ids of a PPS NAL: `(pps_id, sps_id)`.
pub fn parse_pps(nal: &[u8]) -> Option<(u32, u32)> {
    if nal_type(nal) != NAL_PPS || nal.len() < 2 {
        return None;
    }
    let payload = rbsp(&nal[1..]);
    let mut r = BitReader::new(&payload);
    let pps_id = r.ue()?;
    let sps_id = r.ue()?;
    (pps_id <= 255 && sps_id <= 31).then_some((pps_id, sps_id))
}

/// Whether an SEI NAL carries a recovery point (payload type 6): what marks
/// a non-IDR I picture as a keyframe (x264's open GOPs).
pub fn has_recovery_point(sei: &[u8]) -> bool {
    if nal_type(sei) != NAL_SEI || sei.len() < 2 {
        return false;
    }
    let payload = rbsp(&sei[1..]);
    let mut at = 0usize;
    // Each message: payload type and size as runs of 0xFF plus a last byte.
    while at < payload.len() && payload[at] != 0x80 {
        let mut read = || -> Option<usize> {
            let mut value = 0usize;
            loop {
                let b = *payload.get(at)?;
                at += 1;
                value += usize::from(b);
                if b != 0xFF {
                    return Some(value);
                }
            }
        };
        let (Some(kind), Some(size)) = (read(), read()) else {
            return false;
        };
        if kind == 6 {
            return true;
        }
        at += size;
    }
    false
}

/// Whether a slice NAL is an I (or SI) slice.
pub fn is_intra_slice(nal: &[u8]) -> bool {
    if !matches!(nal_type(nal), NAL_SLICE | NAL_IDR) || nal.len() < 2 {
        return false;
    }
    let head = rbsp(&nal[1..nal.len().min(16)]);
    let mut r = BitReader::new(&head);
    let _first_mb = r.ue();
    matches!(r.ue().map(|t| t % 5), Some(2 | 4))
}

#[cfg(test)]
mod tests;
