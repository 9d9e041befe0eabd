//! All four modes plan from one index (`cut::index`): the copy modes and
//! the re-encode modes select exactly the same frames for the same ranges
//! (open GOPs of both codecs included), and only the re-encode modes join
//! runs of different codecs inside one clip.

use std::sync::OnceLock;

use crate::fixtures::*;
use livecut_media::testgen::RecordingSummary;
use livecut_media::{ClipInput, CutMode, CutReport, VideoCodec};

/// HEVC recording H: A's settings, open GOPs, other clock and numbers.
const H_START: i64 = T0 + 39_600_000_000;
const H_FIRST_NUMBER: u32 = 400_000;

fn rec_h() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("shared_h", |s| {
            s.video_codec = VideoCodec::Hevc;
            s.open_gop = true;
            s.start_utc_us = H_START;
            s.first_frame_number = H_FIRST_NUMBER;
            s.start_pts = 2_000_000;
        })
    })
}

/// H.264 open-GOP recording O (recovery-point I keyframes).
const O_START: i64 = T0 + 43_200_000_000;
const O_FIRST_NUMBER: u32 = 450_000;

fn rec_o() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("shared_o", |s| {
            s.open_gop = true;
            s.start_utc_us = O_START;
            s.first_frame_number = O_FIRST_NUMBER;
        })
    })
}

/// What a report says about the frames chosen, per clip.
fn selection(report: &CutReport) -> Vec<(u64, i64, i64, i64, Vec<u64>)> {
    report
        .clips
        .iter()
        .map(|c| {
            (
                c.frames,
                c.first_frame_utc_us,
                c.last_frame_utc_us,
                c.output_offset_us,
                c.segments.clone(),
            )
        })
        .collect()
}

/// Ranges starting and ending among leading pictures, on keyframes and
/// mid-GOP, in both open-GOP recordings.
fn open_gop_clips(accurate: bool) -> Vec<ClipInput> {
    let (h, o) = (rec_h(), rec_o());
    let ranges = [
        (h, H_START, 3_950_000, 6_020_000),
        (o, O_START, 1_930_000, 4_990_000),
        (h, H_START, 8_000_000, 8_500_000),
        (o, O_START, 12_010_000, 15_970_000),
    ];
    ranges
        .iter()
        .enumerate()
        .map(|(k, &(rec, start, from, to))| {
            let c = clip(k, rec, start + from, start + to);
            if accurate { with_lookahead(rec, c) } else { c }
        })
        .collect()
}

#[test]
fn copy_and_reencode_modes_select_the_same_frames() {
    for (copy, reencode, accurate) in [
        (CutMode::AccurateFast, CutMode::Accurate, true),
        (CutMode::RoughFast, CutMode::Rough, false),
    ] {
        let clips = open_gop_clips(accurate);
        let (copied_out, copied) = run(&format!("shared_{copy:?}"), copy, clips.clone());
        let (reencoded_out, reencoded) = run(&format!("shared_{reencode:?}"), reencode, clips);
        assert_eq!(selection(&copied), selection(&reencoded), "{copy:?}");
        assert_eq!(copied.duration_us, reencoded.duration_us);
        let numbers = |path| {
            livecut_testkit::oracle::decode_video_numbers(path)
                .expect("decode")
                .numbers()
        };
        let frames = numbers(&copied_out);
        assert_eq!(frames, numbers(&reencoded_out), "{copy:?}");
        let expected: Vec<u32> = frames.iter().map(|n| n.expect("numbered")).collect();
        check_output(&copied_out, &expected);
        check_output(&reencoded_out, &expected);
    }
}

/// One clip: a segment of A (H.264), then behind a discontinuity one of
/// H (HEVC), as after an encoder restart with another codec.
fn codec_change_clip() -> (ClipInput, Vec<u32>) {
    let (a, h) = (rec_a(), rec_h());
    let mut segments = a.inputs_overlapping(T0 + 4_000_000, T0 + 6_000_000);
    let mut after = h.inputs_overlapping(H_START + 10_000_000, H_START + 12_000_000);
    after[0].discontinuity = true;
    segments.extend(after);
    let c = ClipInput {
        index: 0,
        start_utc_us: T0,
        end_utc_us: H_START + 60_000_000,
        segments,
    };
    // A's segment 2 (frames 120..=179), then H's segment 5 (300..=359): the
    // RASL pictures of its first CRA (298, 299) are shown before it and
    // reference the segment before, those shown at its end (358, 359) are
    // coded in segment 6, which is not listed.
    assert_eq!(c.segments.len(), 2);
    let mut expected: Vec<u32> = (120..180).collect();
    expected.extend(H_FIRST_NUMBER + 300..H_FIRST_NUMBER + 358);
    (c, expected)
}

#[test]
fn rough_joins_runs_of_two_codecs_in_one_clip() {
    let (c, expected) = codec_change_clip();
    let (out, report) = run("shared_codec_change", CutMode::Rough, vec![c]);
    check_output(&out, &expected);
    assert_eq!(report.clips[0].frames, expected.len() as u64);
}

#[test]
fn the_copy_modes_refuse_a_codec_change_inside_a_clip() {
    let (c, _) = codec_change_clip();
    assert!(!c.segments.is_empty());
    let job = job("shared_codec_change_copy", CutMode::RoughFast, vec![c]);
    let err = livecut_media::cut(&job, &mut |_| {}).expect_err("refused");
    assert_eq!(fault(&err), Fault::NotSupported, "{err}");
    let message = err.to_string();
    assert!(message.contains("clip 0"), "{message}");
    assert!(message.contains("from h264 to hevc"), "{message}");
}
