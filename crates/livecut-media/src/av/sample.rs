//! Sample-format facts: the checked conversion of a raw `AVSampleFormat`
//! (the `int` that codec parameters and frames store) and its name.
//!
//! As with pixel formats, a raw value is matched against the formats the
//! bindings declare instead of being turned into the enum, so an unknown
//! value is `None`, never undefined behaviour.

use ffmpeg_next::ffi::{self, AVSampleFormat};

use super::params::c_str;

/// Every sample format of FFmpeg 5.1 (`AV_SAMPLE_FMT_U8` up to, not
/// including, `AV_SAMPLE_FMT_NB`).
const KNOWN: [AVSampleFormat; 12] = [
    AVSampleFormat::AV_SAMPLE_FMT_U8,
    AVSampleFormat::AV_SAMPLE_FMT_S16,
    AVSampleFormat::AV_SAMPLE_FMT_S32,
    AVSampleFormat::AV_SAMPLE_FMT_FLT,
    AVSampleFormat::AV_SAMPLE_FMT_DBL,
    AVSampleFormat::AV_SAMPLE_FMT_U8P,
    AVSampleFormat::AV_SAMPLE_FMT_S16P,
    AVSampleFormat::AV_SAMPLE_FMT_S32P,
    AVSampleFormat::AV_SAMPLE_FMT_FLTP,
    AVSampleFormat::AV_SAMPLE_FMT_DBLP,
    AVSampleFormat::AV_SAMPLE_FMT_S64,
    AVSampleFormat::AV_SAMPLE_FMT_S64P,
];

/// The bindings' enum for a raw value, if it is a sample format; `None`
/// for `AV_SAMPLE_FMT_NONE` and unknown values.
pub(super) fn format_of(raw: i32) -> Option<AVSampleFormat> {
    KNOWN.iter().copied().find(|&f| f as i32 == raw)
}

/// libavutil's name of a raw `AVSampleFormat` (e.g. "fltp"); `None` if
/// unknown.
pub fn name(raw: i32) -> Option<String> {
    let format = format_of(raw)?;
    // SAFETY: `format` is a value of the enum; the name is a static string
    // of libavutil's table (or null).
    let name = unsafe { ffi::av_get_sample_fmt_name(format) };
    // SAFETY: null or a NUL-terminated static string.
    (!name.is_null()).then(|| unsafe { c_str(name) })
}

#[cfg(test)]
mod tests {
    use ffmpeg_next::format::Sample;
    use ffmpeg_next::format::sample::Type;

    use super::*;

    fn from_raw(raw: i32) -> Option<Sample> {
        format_of(raw).map(Sample::from)
    }

    #[test]
    fn known_formats_convert_and_have_names() {
        let fltp = AVSampleFormat::AV_SAMPLE_FMT_FLTP as i32;
        assert_eq!(from_raw(fltp), Some(Sample::F32(Type::Planar)));
        assert_eq!(name(fltp).as_deref(), Some("fltp"));
        let s16 = AVSampleFormat::AV_SAMPLE_FMT_S16 as i32;
        assert_eq!(from_raw(s16), Some(Sample::I16(Type::Packed)));
        assert_eq!(name(s16).as_deref(), Some("s16"));
    }

    #[test]
    fn the_list_is_every_format_in_order() {
        assert_eq!(KNOWN.len(), AVSampleFormat::AV_SAMPLE_FMT_NB as usize);
        for (i, format) in KNOWN.iter().enumerate() {
            assert_eq!(*format as i32, i as i32);
            assert!(name(i as i32).is_some_and(|n| !n.is_empty()));
        }
    }

    #[test]
    fn unknown_values_are_none() {
        let nb = AVSampleFormat::AV_SAMPLE_FMT_NB as i32;
        for value in [-1, -7, i32::MIN, nb, nb + 1, i32::MAX] {
            assert_eq!(from_raw(value), None, "{value}");
            assert_eq!(name(value), None, "{value}");
        }
    }
}
