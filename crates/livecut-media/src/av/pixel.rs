//! Pixel-format facts: the checked conversion of a raw `AVPixelFormat`
//! (the `int` that codec parameters and frames store) into a format, its
//! name, its bit depth and its memory layout, from libavutil's descriptor
//! table.
//!
//! A raw value is never turned into the bindings' enum directly: a value
//! the bindings do not declare would be undefined behaviour. The formats
//! are looked up in a table built from libavutil's own descriptors, so an
//! unknown value (negative, `AV_PIX_FMT_NB` or beyond, or a gap) is `None`.

use std::sync::OnceLock;

use ffmpeg_next::ffi::{self, AVPixelFormat};
use ffmpeg_next::format::Pixel;

use super::params::c_str;

/// Every pixel format libavutil describes, indexed by its raw value.
fn table() -> &'static [Option<AVPixelFormat>] {
    static TABLE: OnceLock<Vec<Option<AVPixelFormat>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let count = usize::try_from(AVPixelFormat::AV_PIX_FMT_NB as i32).unwrap_or(0);
        let mut table = vec![None; count];
        let mut desc = std::ptr::null();
        loop {
            // SAFETY: `desc` is null or a descriptor returned by the
            // previous call; libavutil's descriptor table is static. The
            // id libavutil returns for its own descriptor is a value of
            // the enum the bindings were generated from (the same headers).
            let id = unsafe {
                desc = ffi::av_pix_fmt_desc_next(desc);
                if desc.is_null() {
                    break;
                }
                ffi::av_pix_fmt_desc_get_id(desc)
            };
            if let Some(slot) = usize::try_from(id as i32)
                .ok()
                .and_then(|i| table.get_mut(i))
            {
                *slot = Some(id);
            }
        }
        table
    })
}

/// The bindings' enum for a raw value, if libavutil knows the format.
pub(super) fn format_of(raw: i32) -> Option<AVPixelFormat> {
    let index = usize::try_from(raw).ok()?;
    table().get(index).copied().flatten()
}

/// The descriptor of a known format.
pub(super) fn descriptor(format: AVPixelFormat) -> Option<&'static ffi::AVPixFmtDescriptor> {
    // SAFETY: `format` is a value of the enum; libavutil returns null or a
    // pointer into its static descriptor table, valid for the process.
    unsafe { ffi::av_pix_fmt_desc_get(format).as_ref() }
}

/// The format a raw `AVPixelFormat` names; `None` for `AV_PIX_FMT_NONE`
/// and for values libavutil does not know.
pub fn from_raw(raw: i32) -> Option<Pixel> {
    format_of(raw).map(Pixel::from)
}

/// libavutil's name of a raw `AVPixelFormat` (e.g. "yuv420p"); `None` if
/// unknown.
pub fn name(raw: i32) -> Option<String> {
    let format = format_of(raw)?;
    // SAFETY: `format` is a value of the enum; the name is a static string
    // of libavutil's table (or null).
    let name = unsafe { ffi::av_get_pix_fmt_name(format) };
    // SAFETY: null or a NUL-terminated static string.
    (!name.is_null()).then(|| unsafe { c_str(name) })
}

/// Bits per sample of the first component of a raw `AVPixelFormat` (8 for
/// `yuv420p`, 10 for `yuv420p10le`); `None` if unknown.
pub fn bit_depth(raw: i32) -> Option<u32> {
    let desc = descriptor(format_of(raw)?)?;
    Some(u32::try_from(desc.comp[0].depth.max(1)).unwrap_or(1))
}

/// Whether two formats store their pixels the same way (same planes,
/// steps, depths and subsampling), as `yuvj420p` and `yuv420p` do: only
/// their names and the range they imply differ.
pub fn same_layout(a: Pixel, b: Pixel) -> bool {
    if a == b {
        return true;
    }
    let (Some(a), Some(b)) = (
        descriptor(AVPixelFormat::from(a)),
        descriptor(AVPixelFormat::from(b)),
    ) else {
        return false;
    };
    let components = |d: &ffi::AVPixFmtDescriptor| {
        d.comp[..usize::from(d.nb_components.min(4))]
            .iter()
            .map(|c| (c.plane, c.step, c.offset, c.shift, c.depth))
            .collect::<Vec<_>>()
    };
    a.nb_components == b.nb_components
        && a.log2_chroma_w == b.log2_chroma_w
        && a.log2_chroma_h == b.log2_chroma_h
        && a.flags == b.flags
        && components(a) == components(b)
}

/// Where a picture's planes start: per plane, the bytes one pixel takes
/// and the subsampling shifts (`av_image_fill_linesizes`' rule: planes 1
/// and 2 are the chroma planes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PlaneLayout {
    pub planes: usize,
    /// Bytes between horizontally consecutive pixels, per plane.
    pub step: [usize; 4],
    pub log2_chroma_w: u32,
    pub log2_chroma_h: u32,
}

/// The plane layout of a byte-addressed format (not palette, bitstream or
/// hardware formats).
pub(super) fn plane_layout(format: Pixel) -> Option<PlaneLayout> {
    let desc = descriptor(AVPixelFormat::from(format))?;
    let unaddressable = (ffi::AV_PIX_FMT_FLAG_PAL
        | ffi::AV_PIX_FMT_FLAG_BITSTREAM
        | ffi::AV_PIX_FMT_FLAG_HWACCEL) as u64;
    if desc.flags & unaddressable != 0 || desc.nb_components == 0 {
        return None;
    }
    let mut layout = PlaneLayout {
        planes: 0,
        step: [0; 4],
        log2_chroma_w: u32::from(desc.log2_chroma_w),
        log2_chroma_h: u32::from(desc.log2_chroma_h),
    };
    for comp in &desc.comp[..usize::from(desc.nb_components.min(4))] {
        let plane = usize::try_from(comp.plane).ok().filter(|&p| p < 4)?;
        let step = usize::try_from(comp.step).ok()?;
        layout.step[plane] = layout.step[plane].max(step);
        layout.planes = layout.planes.max(plane + 1);
    }
    Some(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pixel: Pixel) -> i32 {
        AVPixelFormat::from(pixel) as i32
    }

    #[test]
    fn known_formats_convert_with_their_facts() {
        assert_eq!(from_raw(raw(Pixel::YUV420P)), Some(Pixel::YUV420P));
        assert_eq!(from_raw(raw(Pixel::YUVJ420P)), Some(Pixel::YUVJ420P));
        assert_eq!(name(raw(Pixel::YUV420P)).as_deref(), Some("yuv420p"));
        assert_eq!(
            name(raw(Pixel::YUV420P10LE)).as_deref(),
            Some("yuv420p10le")
        );
        assert_eq!(bit_depth(raw(Pixel::YUV420P)), Some(8));
        assert_eq!(bit_depth(raw(Pixel::YUV420P10LE)), Some(10));
        assert_eq!(bit_depth(raw(Pixel::GRAY16LE)), Some(16));
    }

    #[test]
    fn unknown_values_are_none() {
        let nb = AVPixelFormat::AV_PIX_FMT_NB as i32;
        for value in [-1, -2, i32::MIN, nb, nb + 1, 10_000, i32::MAX] {
            assert_eq!(from_raw(value), None, "{value}");
            assert_eq!(name(value), None, "{value}");
            assert_eq!(bit_depth(value), None, "{value}");
        }
    }

    #[test]
    fn every_described_format_round_trips() {
        let nb = AVPixelFormat::AV_PIX_FMT_NB as i32;
        let known = (0..nb).filter(|&v| format_of(v).is_some()).count();
        assert!(known > 100, "only {known} formats known");
        for value in 0..nb {
            if let Some(pixel) = from_raw(value) {
                assert_eq!(raw(pixel), value, "{pixel:?}");
                assert!(name(value).is_some_and(|n| !n.is_empty()), "{value}");
            }
        }
    }

    #[test]
    fn full_range_twins_share_the_layout() {
        assert!(same_layout(Pixel::YUVJ420P, Pixel::YUV420P));
        assert!(same_layout(Pixel::YUV420P10LE, Pixel::YUV420P10LE));
        assert!(!same_layout(Pixel::YUV420P, Pixel::YUV420P10LE));
        assert!(!same_layout(Pixel::YUV420P, Pixel::YUV422P));
        assert!(!same_layout(Pixel::YUV420P, Pixel::NV12));
    }

    #[test]
    fn plane_layouts_of_the_output_formats() {
        let eight = plane_layout(Pixel::YUV420P).expect("yuv420p");
        assert_eq!(eight.planes, 3);
        assert_eq!(eight.step, [1, 1, 1, 0]);
        assert_eq!((eight.log2_chroma_w, eight.log2_chroma_h), (1, 1));
        let ten = plane_layout(Pixel::YUV420P10LE).expect("yuv420p10le");
        assert_eq!((ten.planes, ten.step), (3, [2, 2, 2, 0]));
        let nv12 = plane_layout(Pixel::NV12).expect("nv12");
        assert_eq!((nv12.planes, nv12.step), (2, [1, 2, 0, 0]));
        assert_eq!(plane_layout(Pixel::PAL8), None);
        assert_eq!(plane_layout(Pixel::MonoBlack), None);
    }
}
