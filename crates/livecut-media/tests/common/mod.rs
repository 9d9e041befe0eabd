//! Shared fixtures of the cut tests: small generated recordings (made once
//! per test binary) and the oracle checks every output goes through.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use livecut_media::testgen::{
    DEFAULT_START_UTC_US, RecordingSpec, RecordingSummary, write_recording,
};
use livecut_media::{ClipInput, CutJob, CutMode, CutReport, SegmentInput};
use livecut_testkit::oracle;

pub const T0: i64 = DEFAULT_START_UTC_US;
pub const FPS: u32 = 30;
pub const SAMPLE_RATE: u32 = 48_000;

/// Recording B starts one hour after A and numbers its frames from 50000.
pub const B_START: i64 = T0 + 3_600_000_000;
pub const B_FIRST_NUMBER: u32 = 50_000;

/// Per test binary, so binaries run concurrently never share files.
fn scratch() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("livecut-media-tests")
        .join(env!("CARGO_CRATE_NAME"))
}

/// A fresh 30 s recording like A, adjusted by `tweak`.
pub fn make_recording(name: &str, tweak: impl FnOnce(&mut RecordingSpec)) -> RecordingSummary {
    let dir = scratch().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let mut spec = RecordingSpec {
        total_frames: 900,
        ..RecordingSpec::new(&dir)
    };
    tweak(&mut spec);
    write_recording(&spec).expect("test recording")
}

/// 30 s, 320x180@30, GOP 30 (1 s), 2 s segments, 2 B-frames, AAC stereo.
pub fn rec_a() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| make_recording("a", |_| {}))
}

/// Same encoder settings as A, other content and wall-clock time.
pub fn rec_b() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("b", |s| {
            s.start_utc_us = B_START;
            s.first_frame_number = B_FIRST_NUMBER;
            s.start_pts = 7_000_000;
        })
    })
}

pub fn output(name: &str) -> PathBuf {
    let dir = scratch().join("out");
    std::fs::create_dir_all(&dir).expect("output dir");
    dir.join(format!("{name}.mp4"))
}

/// A clip of `rec` from `start` to `end` (UTC us) with the overlapping
/// segments, as the service would build it.
pub fn clip(index: usize, rec: &RecordingSummary, start: i64, end: i64) -> ClipInput {
    ClipInput {
        index,
        start_utc_us: start,
        end_utc_us: end,
        segments: rec.inputs_overlapping(start, end),
    }
}

pub fn run(name: &str, mode: CutMode, clips: Vec<ClipInput>) -> (PathBuf, CutReport) {
    let job = job(name, mode, clips);
    let report = run_job(&job);
    (job.output, report)
}

/// A job writing to `output(name)`, without output options.
pub fn job(name: &str, mode: CutMode, clips: Vec<ClipInput>) -> CutJob {
    CutJob {
        mode,
        clips,
        output: output(name),
        output_width: None,
        output_height: None,
        video_bitrate_kbps: None,
    }
}

/// Runs a job that must succeed, checking its progress reports.
pub fn run_job(job: &CutJob) -> CutReport {
    let mut last = -1.0f32;
    let report = livecut_media::cut(job, &mut |p| {
        assert!((0.0..=1.0).contains(&p), "progress {p}");
        assert!(p >= last, "progress went back from {last} to {p}");
        last = p;
    })
    .expect("cut succeeds");
    assert_eq!(last, 1.0, "progress ends at 1");
    report
}

/// Frame numbers of a recording's segments, for RoughFast expectations.
pub fn segment_numbers(
    segments: &[SegmentInput],
    rec: &RecordingSummary,
    first_number: u32,
) -> Vec<u32> {
    segments
        .iter()
        .flat_map(|input| {
            let seg = rec
                .segments
                .iter()
                .find(|s| s.sequence == input.sequence)
                .expect("segment of this recording");
            let first = first_number + seg.first_frame_index as u32;
            first..first + seg.frames as u32
        })
        .collect()
}

/// The frame numbers `[start, end)` selects from a recording.
pub fn range_numbers(
    start: i64,
    end: i64,
    rec_start: i64,
    first_number: u32,
    frames: u64,
) -> Vec<u32> {
    let (first, last) = oracle::expected_frames(start, end, rec_start, FPS, 1, first_number);
    let last = last.min(first_number + frames as u32 - 1);
    (first..=last).collect()
}

/// Every check an output must pass: no decoder complaint, exactly the
/// expected frames in order, timestamps from 0 in steps of one frame, and
/// audio markers on their frames.
pub fn check_output(path: &Path, expected: &[u32]) -> oracle::DecodedVideo {
    check_output_with(path, expected, (FPS, 1), true)
}

/// `check_output` for other frame rates, and for video-only outputs.
pub fn check_output_with(
    path: &Path,
    expected: &[u32],
    (fps_num, fps_den): (u32, u32),
    audio: bool,
) -> oracle::DecodedVideo {
    let errors = oracle::decode_errors(path).expect("ffmpeg runs");
    assert!(errors.is_empty(), "decoder errors: {errors:?}");
    let video = oracle::decode_video_numbers(path).expect("decode");
    let numbers: Vec<Option<u32>> = video.numbers();
    let wanted: Vec<Option<u32>> = expected.iter().copied().map(Some).collect();
    if numbers != wanted {
        let first_diff = numbers.iter().zip(&wanted).position(|(a, b)| a != b);
        panic!(
            "frames differ: got {} frames, want {}; first difference at {first_diff:?}: got {:?}.. want {:?}..",
            numbers.len(),
            wanted.len(),
            first_diff.map(|i| &numbers[i..numbers.len().min(i + 5)]),
            first_diff.map(|i| &wanted[i..wanted.len().min(i + 5)]),
        );
    }
    let fps = f64::from(fps_num) / f64::from(fps_den);
    for (i, f) in video.frames.iter().enumerate() {
        let want = i as f64 / fps;
        assert!(
            (f.pts_s - want).abs() < 0.001,
            "frame {i} at {} s, want {want}",
            f.pts_s
        );
    }
    let json = oracle::ffprobe_json(path).expect("ffprobe");
    let streams = json["streams"].as_array().map_or(0, Vec::len);
    if audio {
        assert_eq!(streams, 2, "video and audio");
        let onsets = oracle::audio_marker_onsets(path).expect("audio decodes");
        oracle::check_av_sync(&video, &onsets, fps, SAMPLE_RATE).expect("audio in sync");
    } else {
        assert_eq!(streams, 1, "video only");
    }
    video
}

/// MD5 of every frame of a recording, indexed by frame number minus
/// `first_number`.
pub fn source_md5s(rec: &RecordingSummary) -> Vec<String> {
    oracle::frame_md5s(&rec.playlist).expect("framemd5 of the source")
}

/// How many output frames are bit-identical to the source frame with the
/// same number (numbers from `first_number` index `source`).
pub fn identical_frames(
    out: &Path,
    video: &oracle::DecodedVideo,
    source: &[String],
    first_number: u32,
) -> u64 {
    let md5s = oracle::frame_md5s(out).expect("framemd5 of the output");
    assert_eq!(md5s.len(), video.frames.len());
    md5s.iter()
        .zip(&video.frames)
        .filter(|(md5, f)| {
            f.number
                .and_then(|n| n.checked_sub(first_number))
                .and_then(|i| source.get(i as usize))
                .is_some_and(|s| s == *md5)
        })
        .count() as u64
}

/// Audio onsets (s) inside `windows` and the expected marker instants must
/// match one to one within `tolerance`; at least `min_markers` are checked.
pub fn assert_onsets_are_markers(
    onsets: Vec<f64>,
    windows: &[(f64, f64)],
    expected: &[f64],
    tolerance: f64,
    min_markers: usize,
) {
    let onsets: Vec<f64> = onsets
        .into_iter()
        .filter(|&t| windows.iter().any(|&(a, b)| t >= a && t < b))
        .collect();
    for &t in expected {
        assert!(
            onsets.iter().any(|&o| (o - t).abs() <= tolerance),
            "no onset near the marker at {t} s; onsets {onsets:?}"
        );
    }
    for &o in &onsets {
        assert!(
            expected.iter().any(|&t| (o - t).abs() <= tolerance),
            "onset at {o} s is no marker's; expected {expected:?}"
        );
    }
    assert!(
        expected.len() >= min_markers,
        "markers checked: {expected:?}"
    );
}
