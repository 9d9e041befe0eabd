//! Fixtures and oracle checks of the re-encoding tests: a recording made
//! with other encoder settings, size and audio format than A, one with MP3
//! audio (also used by the copy modes' MP3 tests), and checks
//! of what only re-encoded outputs promise (size, padding, colour, bit
//! rate, audio length). Everything is graded through the ffmpeg CLI.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use livecut_media::testgen::{AudioSpec, RateControl, RecordingSummary};
use livecut_media::{AudioCodec, ClipInput, CutJob, CutMode, CutReport};
use livecut_testkit::oracle;
use serde_json::Value;

use crate::common::{T0, make_recording, output};

/// Recording C starts two hours after A and numbers its frames from 100000.
pub const C_START: i64 = T0 + 7_200_000_000;
pub const C_FIRST_NUMBER: u32 = 100_000;

/// 20 s, 480x270@30, GOP 45 in 3 s segments, no B-frames, CRF 28 preset
/// faster, mono 44.1 kHz AAC: nothing but the frame rate matches A.
pub fn rec_c() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("c", |s| {
            s.width = 480;
            s.height = 270;
            s.gop_frames = 45;
            s.segment_frames = 90;
            s.total_frames = 600;
            s.bframes = 0;
            s.rate = RateControl::Crf(28.0);
            s.x264_preset = "faster".into();
            s.audio = Some(AudioSpec {
                sample_rate: 44_100,
                channels: 1,
                bit_rate: 96_000,
            });
            s.start_utc_us = C_START;
            s.first_frame_number = C_FIRST_NUMBER;
            s.start_pts = 123_456_789;
        })
    })
}

/// Recording M: A's settings (H.264) with MP3 stereo 48 kHz audio.
pub const M_START: i64 = T0 + 21_600_000_000;
pub const M_FIRST_NUMBER: u32 = 600_000;

pub fn rec_m() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("m", |s| {
            s.audio_codec = AudioCodec::Mp3;
            s.start_utc_us = M_START;
            s.first_frame_number = M_FIRST_NUMBER;
        })
    })
}

/// A job with output options.
pub fn job_with(
    name: &str,
    mode: CutMode,
    clips: Vec<ClipInput>,
    size: (Option<u32>, Option<u32>),
    video_bitrate_kbps: Option<u32>,
) -> CutJob {
    CutJob {
        mode,
        clips,
        output: output(name),
        output_width: size.0,
        output_height: size.1,
        video_bitrate_kbps,
    }
}

fn stream<'a>(probe: &'a Value, kind: &str) -> &'a Value {
    probe["streams"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["codec_type"] == kind))
        .unwrap_or_else(|| panic!("no {kind} stream in {probe}"))
}

fn seconds(value: &Value) -> f64 {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a number of seconds: {value}"))
}

/// Top-level MP4 box types in file order.
fn top_level_boxes(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).expect("output readable");
    let mut boxes = Vec::new();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        boxes.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        let size = match size {
            1 if at + 16 <= bytes.len() => {
                let mut big = [0u8; 8];
                big.copy_from_slice(&bytes[at + 8..at + 16]);
                u64::from_be_bytes(big) as usize
            }
            0 => bytes.len() - at,
            s => s as usize,
        };
        if size < 8 {
            break;
        }
        at += size;
    }
    boxes
}

/// The video stream a re-encoded output must have.
#[derive(Debug, Clone, Copy)]
pub struct VideoFormat {
    pub codec: &'static str,
    pub tag: &'static str,
    /// ffprobe's profile name; `None`: not checked.
    pub profile: Option<&'static str>,
    pub pix_fmt: &'static str,
}

/// libx264 output (the profile follows x264's choice).
pub const H264_OUT: VideoFormat = VideoFormat {
    codec: "h264",
    tag: "avc1",
    profile: None,
    pix_fmt: "yuv420p",
};

/// libx265 Main output, tagged for Apple players.
pub const HEVC_OUT: VideoFormat = VideoFormat {
    codec: "hevc",
    tag: "hvc1",
    profile: Some("Main"),
    pix_fmt: "yuv420p",
};

/// libx265 Main 10 output.
pub const HEVC10_OUT: VideoFormat = VideoFormat {
    codec: "hevc",
    tag: "hvc1",
    profile: Some("Main 10"),
    pix_fmt: "yuv420p10le",
};

/// What every re-encoded output must be, whatever the job: H.264 `avc1`
/// at exactly `width x height` with square pixels, the recordings' frame
/// rate and BT.709 colour description, `frames` frames, the index before
/// the media data, and (with audio) AAC lasting as long as the video
/// within one AAC frame. Returns ffprobe's JSON.
pub fn check_reencoded(path: &Path, width: u64, height: u64, frames: u64, audio: bool) -> Value {
    check_reencoded_as(path, H264_OUT, width, height, frames, audio)
}

/// `check_reencoded` for a given video format.
pub fn check_reencoded_as(
    path: &Path,
    format: VideoFormat,
    width: u64,
    height: u64,
    frames: u64,
    audio: bool,
) -> Value {
    let probe = oracle::ffprobe_json(path).expect("ffprobe");
    let v = stream(&probe, "video");
    assert_eq!(v["codec_name"], format.codec);
    assert_eq!(v["codec_tag_string"], format.tag);
    if let Some(profile) = format.profile {
        assert_eq!(v["profile"], profile);
    }
    assert_eq!(v["pix_fmt"], format.pix_fmt);
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(width), Some(height))
    );
    assert_eq!(v["sample_aspect_ratio"], "1:1");
    assert_eq!(v["r_frame_rate"], "30/1");
    assert_eq!(v["avg_frame_rate"], "30/1");
    assert_eq!(v["nb_frames"], frames.to_string());
    for key in ["color_primaries", "color_transfer", "color_space"] {
        assert_eq!(v[key], "bt709", "{key}");
    }
    assert_eq!(v["color_range"], "tv");
    let boxes = top_level_boxes(path);
    let moov = boxes.iter().position(|b| b == "moov");
    let mdat = boxes.iter().position(|b| b == "mdat");
    assert!(moov.is_some() && moov < mdat, "faststart: boxes {boxes:?}");
    if audio {
        let a = stream(&probe, "audio");
        assert_eq!(a["codec_name"], "aac");
        let rate: f64 = seconds(&a["sample_rate"]);
        let gap = (seconds(&a["duration"]) - seconds(&v["duration"])).abs();
        assert!(
            gap <= 1024.0 / rate + 1e-6,
            "audio {} s vs video {} s",
            a["duration"],
            v["duration"]
        );
    } else {
        assert_eq!(probe["streams"].as_array().map(Vec::len), Some(1));
    }
    probe
}

/// Runs `ffmpeg -vf <filter>` on the output's video and returns raw gray
/// frames of `width x height`.
fn gray_frames(path: &Path, filter: &str, width: usize, height: usize) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-fps_mode", "passthrough", "-vf", filter])
        .args(["-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len() % (width * height), 0);
    out.stdout
        .chunks(width * height)
        .map(<[u8]>::to_vec)
        .collect()
}

/// Frame numbers read from the rectangle `(x, y, w, h)` of every frame:
/// the picture inside the padding.
pub fn numbers_inside(path: &Path, (x, y, w, h): (u32, u32, u32, u32)) -> Vec<Option<u32>> {
    let filter = format!("crop={w}:{h}:{x}:{y},scale=160:90:flags=area");
    gray_frames(path, &filter, 160, 90)
        .iter()
        .map(|gray| livecut_pattern::read_frame_number(gray, 160, 90))
        .collect()
}

/// Mean gray level (full range: video-range black is 0) of the rectangle
/// `(x, y, w, h)` in every frame.
pub fn mean_luma(path: &Path, (x, y, w, h): (u32, u32, u32, u32)) -> Vec<f64> {
    let filter = format!("crop={w}:{h}:{x}:{y}");
    gray_frames(path, &filter, w as usize, h as usize)
        .iter()
        .map(|gray| gray.iter().map(|&p| f64::from(p)).sum::<f64>() / gray.len() as f64)
        .collect()
}

/// Average bit rate of the video stream in kbit/s.
pub fn video_kbps(path: &Path) -> f64 {
    let probe = oracle::ffprobe_json(path).expect("ffprobe");
    let v = stream(&probe, "video");
    seconds(&v["bit_rate"]) / 1000.0
}

/// Report invariants of the re-encoding modes: every frame re-encoded.
pub fn check_all_reencoded(report: &CutReport) {
    for c in &report.clips {
        assert_eq!(c.reencoded_frames, c.frames, "clip {}", c.index);
        assert_eq!(c.copied_frames, 0, "clip {}", c.index);
    }
}
