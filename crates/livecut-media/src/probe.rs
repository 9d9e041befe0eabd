//! `probe`: ffprobe-style facts about a media file, for GetMediaInfo.

use std::path::Path;

use ffmpeg_next::format::context::Input;
use ffmpeg_next::format::stream::Stream;
use ffmpeg_next::{Rational, media};
use serde::{Deserialize, Serialize};

use crate::av::segment::{self, Reading};
use crate::av::{self, input, params};
use crate::error::Cause;
use crate::{MediaError, SegmentInput};

/// Container-level facts.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct MediaProbe {
    /// e.g. "mov,mp4,m4a,3gp,3g2,mj2".
    pub format_name: String,
    pub format_long_name: String,
    pub duration_s: f64,
    pub start_time_s: f64,
    /// Bit/s over the whole file.
    pub bit_rate: i64,
    pub size_bytes: u64,
    pub streams: Vec<StreamProbe>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Video,
    Audio,
    Other,
}

/// Per-stream facts with ffprobe's field names and formats. Video-only and
/// audio-only fields are `None` on other kinds.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct StreamProbe {
    pub index: usize,
    pub kind: StreamKind,
    pub codec_name: String,
    pub codec_long_name: String,
    /// e.g. "High", "LC"; "" when the codec has no named profile.
    pub profile: String,
    /// e.g. "avc1"; unprintable bytes as "[27]" like ffprobe.
    pub codec_tag_string: String,
    /// e.g. "0x31637661".
    pub codec_tag: String,
    /// e.g. "1/15360".
    pub time_base: String,
    /// 1/frame rate for video, 1/sample rate for audio.
    pub codec_time_base: String,
    pub start_time_s: Option<f64>,
    pub duration_s: Option<f64>,
    pub bit_rate: Option<i64>,
    pub nb_frames: Option<u64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub pix_fmt: Option<String>,
    pub level: Option<i32>,
    pub has_b_frames: Option<i32>,
    /// e.g. "1:1".
    pub sar: Option<String>,
    /// e.g. "16:9".
    pub dar: Option<String>,
    /// e.g. "30/1".
    pub r_frame_rate: Option<String>,
    pub r_frame_rate_value: Option<f64>,
    pub avg_frame_rate: Option<String>,
    pub avg_frame_rate_value: Option<f64>,
    pub sample_fmt: Option<String>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u32>,
    /// e.g. "stereo".
    pub channel_layout: Option<String>,
    /// e.g. "und".
    pub language: Option<String>,
}

fn ratio(r: Rational, sep: char) -> String {
    format!("{}{sep}{}", r.numerator(), r.denominator())
}

fn value(r: Rational) -> Option<f64> {
    (r.denominator() != 0 && r.numerator() != 0).then(|| f64::from(r))
}

fn reduce(num: i64, den: i64) -> Rational {
    av::reduce(num, den, i64::from(i32::MAX))
}

/// ffprobe's rendering of a fourcc.
pub(crate) fn tag_string(tag: u32) -> String {
    tag.to_le_bytes()
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b" ._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("[{b}]")
            }
        })
        .collect()
}

fn seconds(ts: i64, tb: Rational) -> Option<f64> {
    (ts != av::NOPTS && tb.denominator() != 0).then(|| ts as f64 * f64::from(tb))
}

fn stream_probe(index: usize, st: &Stream<'_>) -> StreamProbe {
    let parameters = st.parameters();
    let par = params::fields(&parameters);
    let kind = match par.medium {
        media::Type::Video => StreamKind::Video,
        media::Type::Audio => StreamKind::Audio,
        _ => StreamKind::Other,
    };
    let (codec_name, codec_long_name) =
        params::codec_names(par.id).unwrap_or_else(|| (String::from("unknown"), String::new()));
    let time_base = st.time_base();
    let r_rate = st.rate();
    let avg_rate = st.avg_frame_rate();
    let language = input::stream_tag(st, c"language");
    let is_video = kind == StreamKind::Video;
    let is_audio = kind == StreamKind::Audio;
    let sar = par.sample_aspect_ratio;
    let (sar_s, dar_s) = if is_video && sar.numerator() != 0 {
        let dar = reduce(
            i64::from(par.width) * i64::from(sar.numerator()),
            i64::from(par.height) * i64::from(sar.denominator()),
        );
        (Some(ratio(sar, ':')), Some(ratio(dar, ':')))
    } else {
        (None, None)
    };
    let codec_time_base = if is_audio && par.sample_rate > 0 {
        format!("1/{}", par.sample_rate)
    } else if is_video && avg_rate.numerator() != 0 {
        ratio(
            reduce(
                i64::from(avg_rate.denominator()),
                i64::from(avg_rate.numerator()),
            ),
            '/',
        )
    } else {
        ratio(time_base, '/')
    };
    // An unknown format value has no name (""), as libav would say.
    let pix_fmt =
        (is_video && par.format >= 0).then(|| av::pixel::name(par.format).unwrap_or_default());
    let sample_fmt =
        (is_audio && par.format >= 0).then(|| av::sample::name(par.format).unwrap_or_default());
    let profile = params::profile_name(&parameters);
    StreamProbe {
        index,
        kind,
        codec_name,
        codec_long_name,
        profile,
        codec_tag_string: tag_string(par.tag),
        codec_tag: format!("0x{:08x}", par.tag),
        time_base: ratio(time_base, '/'),
        codec_time_base,
        start_time_s: seconds(st.start_time(), time_base),
        duration_s: seconds(st.duration(), time_base),
        bit_rate: (par.bit_rate > 0).then_some(par.bit_rate),
        nb_frames: u64::try_from(st.frames()).ok().filter(|&n| n > 0),
        width: is_video.then_some(par.width as u32),
        height: is_video.then_some(par.height as u32),
        pix_fmt,
        level: is_video.then_some(par.level),
        has_b_frames: is_video.then_some(par.video_delay),
        sar: sar_s,
        dar: dar_s,
        r_frame_rate: is_video.then(|| ratio(r_rate, '/')),
        r_frame_rate_value: if is_video { value(r_rate) } else { None },
        avg_frame_rate: is_video.then(|| ratio(avg_rate, '/')),
        avg_frame_rate_value: if is_video { value(avg_rate) } else { None },
        sample_fmt,
        sample_rate: is_audio.then_some(par.sample_rate as u32),
        channels: is_audio.then_some(par.channels as u32),
        channel_layout: if is_audio {
            params::channel_layout_description(&parameters)
        } else {
            None
        },
        language,
    }
}

/// Probes a media file the way ffprobe would (container + every stream).
pub fn probe(path: &Path) -> Result<MediaProbe, MediaError> {
    crate::av::init()?;
    let fail = |missing: bool, detail: String| MediaError::Probe {
        path: path.to_path_buf(),
        missing,
        cause: detail.into(),
    };
    let meta = std::fs::metadata(path)
        .map_err(|e| fail(e.kind() == std::io::ErrorKind::NotFound, e.to_string()))?;
    if !meta.is_file() {
        return Err(fail(false, "not a regular file".into()));
    }
    let input = input::open(path, None, true)
        .map_err(|e| fail(false, format!("not a readable media file: {e}")))?;
    Ok(describe(&input, meta.len()))
}

/// Probes one recording segment as the cutter reads it: an MPEG-TS segment, or fMP4 fragments
/// after their initialization section (`seg.init`). Sizes and durations are the segment's.
pub fn probe_segment(seg: &SegmentInput) -> Result<MediaProbe, MediaError> {
    crate::av::init()?;
    let fail = |missing: bool, cause: Cause| MediaError::Probe {
        path: seg.path.clone(),
        missing,
        cause,
    };
    for path in seg.init.iter().map(|i| &i.path).chain([&seg.path]) {
        if let Err(e) = std::fs::metadata(path) {
            let missing = e.kind() == std::io::ErrorKind::NotFound;
            return Err(fail(missing, Cause::io("cannot be read", e)));
        }
    }
    let size = std::fs::metadata(&seg.path).map_or(0, |m| m.len());
    let input = segment::open_segment(seg, Reading::Probed).map_err(|cause| fail(false, cause))?;
    Ok(describe(&input, size))
}

/// The facts of an opened input of `size_bytes`.
fn describe(input: &Input, size_bytes: u64) -> MediaProbe {
    let streams = input
        .streams()
        .enumerate()
        .map(|(i, st)| stream_probe(i, &st))
        .collect();
    let container = input::container(input);
    let av_tb = av::av_time_base();
    MediaProbe {
        format_name: container.format_name,
        format_long_name: container.format_long_name,
        duration_s: seconds(container.duration, av_tb).unwrap_or(0.0),
        start_time_s: seconds(container.start_time, av_tb).unwrap_or(0.0),
        bit_rate: container.bit_rate,
        size_bytes,
        streams,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fourcc_rendering_matches_ffprobe() {
        assert_eq!(tag_string(0x3163_7661), "avc1");
        assert_eq!(tag_string(0x6134_706d), "mp4a");
        assert_eq!(tag_string(0x0000_001b), "[27][0][0][0]");
    }

    #[test]
    fn missing_and_bogus_files_are_typed_errors() {
        let missing = probe(Path::new("/nonexistent/livecut/x.mp4")).expect_err("missing");
        assert!(
            matches!(missing, MediaError::Probe { missing: true, .. }),
            "{missing}"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let junk = dir.path().join("junk.mp4");
        std::fs::write(&junk, b"definitely not a media file").expect("write");
        let bad = probe(&junk).expect_err("junk");
        assert!(
            matches!(bad, MediaError::Probe { missing: false, .. }),
            "{bad}"
        );
        assert!(bad.to_string().contains("junk.mp4"), "{bad}");
    }
}
