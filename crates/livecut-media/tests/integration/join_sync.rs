//! Twenty clips alternating between two recordings made with different
//! encoder settings, joined into one MP4 in AccurateFast and RoughFast: no
//! decoder complaint, exactly the expected frames in order, and the audio in
//! sync at every one of the 19 joins.
//!
//! X: x264 veryfast, CRF 23, 2 B-frames, GOP 30, SPS/PPS id 0.
//! Y: x264 ultrafast (CAVLC, no 8x8 transform), CRF 30, no B-frames, GOP 20,
//!    SPS/PPS id 7, numbered from 50000, another clock and PTS origin.
//!
//! Every AccurateFast clip starts and ends mid-GOP, and its first frame's
//! number is 19 (mod 30): 11 frames (367 ms) before its first audio marker
//! and outside any marker burst, so every join has a marker right after it
//! that the sync check must find, and no tone leaks across a join.

use std::sync::OnceLock;

use crate::fixtures::*;
use livecut_media::testgen::RateControl;
use livecut_media::{ClipInput, CutMode, CutReport};
use livecut_testkit::oracle;

const CLIPS: usize = 20;
/// 22 s per recording: room for ten clips each.
const REC_FRAMES: u64 = 660;
/// One AAC frame at 48 kHz, the sync tolerance at a join.
const AAC_FRAME_S: f64 = 1024.0 / SAMPLE_RATE as f64;

/// GOP length of X or Y.
fn gop(src: &Source) -> u64 {
    if std::ptr::eq(src, rec_x()) { 30 } else { 20 }
}

fn rec_x() -> &'static Source {
    static REC: OnceLock<Source> = OnceLock::new();
    REC.get_or_init(|| Source {
        rec: make_recording("join_x", |s| {
            s.total_frames = REC_FRAMES;
            s.x264_preset = "veryfast".into();
            s.rate = RateControl::Crf(23.0);
            s.bframes = 2;
            s.gop_frames = 30;
            s.sps_id = 0;
        }),
        start_utc_us: T0,
        first_number: 0,
    })
}

fn rec_y() -> &'static Source {
    static REC: OnceLock<Source> = OnceLock::new();
    REC.get_or_init(|| Source {
        rec: make_recording("join_y", |s| {
            s.total_frames = REC_FRAMES;
            s.start_utc_us = B_START;
            s.first_frame_number = B_FIRST_NUMBER;
            s.start_pts = 7_000_000;
            s.x264_preset = "ultrafast".into();
            s.rate = RateControl::Crf(30.0);
            s.bframes = 0;
            s.gop_frames = 20;
            s.sps_id = 7;
        }),
        start_utc_us: B_START,
        first_number: B_FIRST_NUMBER,
    })
}

/// Clip `i`: even clips from X, odd ones from Y, as (source, first frame
/// index, frame count). The k-th clip of a source starts at index
/// 60k + 19 (+30 every other k): 19 (mod 30) in X, 29 (mod 30) in Y, so
/// number 19 (mod 30) in both and never on a keyframe; the lengths 22, 39
/// and 62 end mid-GOP too, and 62 frames cross into the next segment.
fn clip_frames(i: usize) -> (&'static Source, u64, u64) {
    let src = if i.is_multiple_of(2) {
        rec_x()
    } else {
        rec_y()
    };
    let k = (i / 2) as u64;
    let offset = if src.first_number == 0 { 19 } else { 29 };
    let first = 60 * k + offset + 30 * (k % 2);
    let len = [22, 39, 62][i % 3];
    (src, first, len)
}

/// The 20 clips, each from 7 ms before its first frame to 7 ms after its
/// last, with the overlapping segments.
fn clips() -> Vec<(ClipInput, &'static Source)> {
    (0..CLIPS)
        .map(|i| {
            let (src, first, len) = clip_frames(i);
            let start = src.frame_utc_us(first) - 7_000;
            let end = src.frame_utc_us(first + len - 1) + 7_000;
            (clip(i, &src.rec, start, end), src)
        })
        .collect()
}

fn check_offsets(report: &CutReport, lengths: &[usize]) {
    assert_eq!(report.clips.len(), CLIPS);
    let mut before = 0usize;
    for (c, &n) in report.clips.iter().zip(lengths) {
        assert_eq!(c.frames, n as u64, "clip {} frames", c.index);
        assert_eq!(
            c.output_offset_us,
            (before as i64 * 1_000_000 + 15) / 30,
            "clip {} offset",
            c.index
        );
        before += n;
    }
    assert_eq!(report.duration_us, (before as i64 * 1_000_000 + 15) / 30);
}

/// At every join (and at the start), the first marker frame the clip shows
/// at least 200 ms after its start (so the gate of the onset detector has
/// seen silence) and the last marker frame of the clip before it each have
/// an audio onset within one AAC frame. Returns the largest offset seen.
fn check_joins(path: &std::path::Path, video: &oracle::DecodedVideo, lengths: &[usize]) -> f64 {
    let onsets = oracle::audio_marker_onsets(path).expect("audio decodes");
    let end = video.frames.last().expect("frames").pts_s;
    let mut worst = 0.0f64;
    let mut first_of_clip = 0usize;
    let mut failures = Vec::new();
    let mut markers: Vec<(usize, bool, f64)> = Vec::new(); // (clip, is first after its start, pts)
    for (j, &n) in lengths.iter().enumerate() {
        let frames = &video.frames[first_of_clip..first_of_clip + n];
        let start = frames[0].pts_s;
        let eligible: Vec<f64> = frames
            .iter()
            .filter(|f| {
                f.number.is_some_and(|n| n % FPS == 0)
                    && f.pts_s >= start + 0.2
                    && f.pts_s <= end - 0.15
            })
            .map(|f| f.pts_s)
            .collect();
        match (eligible.first(), eligible.last()) {
            (Some(&a), Some(&b)) => {
                markers.push((j, true, a));
                if b > a {
                    markers.push((j, false, b));
                }
            }
            _ => failures.push(format!("clip {j} shows no checkable marker frame")),
        }
        first_of_clip += n;
    }
    for (j, first, pts) in markers {
        let nearest = onsets
            .iter()
            .map(|o| o - pts)
            .min_by(|a, b| a.abs().total_cmp(&b.abs()));
        match nearest {
            Some(d) if d.abs() <= AAC_FRAME_S + 1e-6 => worst = worst.max(d.abs()),
            _ => failures.push(format!(
                "clip {j}: {} marker frame at {pts:.4} s: nearest onset off by {nearest:?} s",
                if first { "first" } else { "last" }
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("; "));
    worst
}

fn cut_and_check(name: &str, mode: CutMode) {
    let clips = clips();
    let mut expected = Vec::new();
    let mut lengths = Vec::new();
    for (i, (c, src)) in clips.iter().enumerate() {
        let numbers = match mode {
            CutMode::RoughFast => segment_numbers(&c.segments, &src.rec, src.first_number),
            _ => {
                let numbers = src.range_numbers(c);
                let (_, first, len) = clip_frames(i);
                let want = src.numbers(first, first + len);
                assert_eq!(numbers, want, "clip {i}: the test's own arithmetic");
                assert_ne!(first % gop(src), 0, "clip {i} starts mid-GOP");
                assert_ne!((first + len) % gop(src), 0, "clip {i} ends mid-GOP");
                numbers
            }
        };
        lengths.push(numbers.len());
        expected.extend(numbers);
    }
    let (out, report) = run(name, mode, clips.into_iter().map(|(c, _)| c).collect());
    // Decode errors, exact frames, timestamps in steps of one frame, every
    // audio onset on a marker frame and every marker frame heard.
    let video = check_output(&out, &expected);
    check_offsets(&report, &lengths);
    let worst = check_joins(&out, &video, &lengths);
    eprintln!(
        "{name}: {} frames, {} joins, largest marker offset near a join {:.2} ms",
        expected.len(),
        CLIPS - 1,
        worst * 1000.0
    );
    if mode == CutMode::AccurateFast {
        for c in &report.clips {
            assert!(
                c.reencoded_frames > 0,
                "clip {} has a mid-GOP edge",
                c.index
            );
        }
    }
}

#[test]
fn accuratefast_twenty_clips_from_two_encoders_stay_in_sync() {
    cut_and_check("join_sync_accuratefast", CutMode::AccurateFast);
}

#[test]
fn roughfast_twenty_clips_from_two_encoders_stay_in_sync() {
    cut_and_check("join_sync_roughfast", CutMode::RoughFast);
}
