//! Accurate and Rough with HEVC sources: libx265 output tagged `hvc1`
//! when the first clip is HEVC, libx264 when it is H.264, whatever the
//! later clips are; exact frames, sizes, audio in sync.

use std::sync::OnceLock;

use crate::fixtures::*;
use livecut_media::testgen::RecordingSummary;
use livecut_media::{CutMode, VideoCodec};

/// Recording H starts three hours after A and numbers its frames from
/// 300000: A's settings (320x180@30, GOP 30, 2 s segments, 2 B-frames,
/// AAC stereo 48 kHz), encoded with libx265.
const H_START: i64 = T0 + 10_800_000_000;
const H_FIRST_NUMBER: u32 = 300_000;

fn rec_h() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("h", |s| {
            s.video_codec = VideoCodec::Hevc;
            s.start_utc_us = H_START;
            s.first_frame_number = H_FIRST_NUMBER;
            s.start_pts = 5_000_000;
        })
    })
}

#[test]
fn an_hevc_clip_is_frame_exact_in_hvc1() {
    let rec = rec_h();
    let (start, end) = (H_START + 3_500_000, H_START + 9_200_000);
    let expected = range_numbers(start, end, H_START, H_FIRST_NUMBER, rec.frames);
    assert_eq!(expected.len(), 171);
    let (out, report) = run(
        "hevc_accurate_one",
        CutMode::Accurate,
        vec![clip(0, rec, start, end)],
    );
    check_output(&out, &expected);
    check_reencoded_as(&out, HEVC_OUT, 320, 180, expected.len() as u64, true);
    check_all_reencoded(&report);
    assert_eq!(report.clips[0].frames, expected.len() as u64);
    assert_eq!(report.clips[0].segments, vec![1, 2, 3, 4]);
}

#[test]
fn rough_hevc_is_every_frame_of_its_segments_at_the_requested_size() {
    let rec = rec_h();
    let c = clip(0, rec, H_START + 4_500_000, H_START + 7_500_000);
    let expected = segment_numbers(&c.segments, rec, H_FIRST_NUMBER);
    assert_eq!(expected.len(), 120);
    let job = job_with(
        "hevc_rough_width",
        CutMode::Rough,
        vec![c],
        (Some(160), None),
        None,
    );
    let report = run_job(&job);
    check_output(&job.output, &expected);
    check_reencoded_as(&job.output, HEVC_OUT, 160, 90, 120, true);
    check_all_reencoded(&report);
}

#[test]
fn the_first_clips_codec_is_the_outputs() {
    let (a, h) = (rec_a(), rec_h());
    let a_range = (T0 + 1_200_000, T0 + 2_900_000);
    let h_range = (H_START + 6_100_000, H_START + 7_400_000);
    let a_numbers = range_numbers(a_range.0, a_range.1, T0, 0, a.frames);
    let h_numbers = range_numbers(h_range.0, h_range.1, H_START, H_FIRST_NUMBER, h.frames);

    // HEVC first: libx265, the H.264 clip converted.
    let clips = vec![
        clip(0, h, h_range.0, h_range.1),
        clip(1, a, a_range.0, a_range.1),
    ];
    let expected = [h_numbers.clone(), a_numbers.clone()].concat();
    let (out, report) = run("hevc_then_h264", CutMode::Accurate, clips);
    check_output(&out, &expected);
    check_reencoded_as(&out, HEVC_OUT, 320, 180, expected.len() as u64, true);
    check_all_reencoded(&report);

    // H.264 first: libx264, the HEVC clip converted; 240x240 letterboxed.
    let clips = vec![
        clip(0, a, a_range.0, a_range.1),
        clip(1, h, h_range.0, h_range.1),
    ];
    let expected = [a_numbers, h_numbers].concat();
    let job = job_with(
        "h264_then_hevc",
        CutMode::Accurate,
        clips,
        (Some(240), Some(240)),
        None,
    );
    run_job(&job);
    check_reencoded_as(&job.output, H264_OUT, 240, 240, expected.len() as u64, true);
    let errors = livecut_testkit::oracle::decode_errors(&job.output).expect("ffmpeg runs");
    assert!(errors.is_empty(), "{errors:?}");
    check_boxed(&job.output, &expected, (0, 52, 240, 136), &[]);
}

#[test]
fn a_bit_rate_is_honoured_by_libx265() {
    let rec = rec_h();
    let c = clip(0, rec, H_START + 10_000_000, H_START + 20_000_000);
    let expected = segment_numbers(&c.segments, rec, H_FIRST_NUMBER);
    let target = 60u32;
    let job = job_with(
        "hevc_abr",
        CutMode::Rough,
        vec![c],
        (None, None),
        Some(target),
    );
    run_job(&job);
    check_output(&job.output, &expected);
    check_reencoded_as(&job.output, HEVC_OUT, 320, 180, expected.len() as u64, true);
    let kbps = video_kbps(&job.output);
    assert!(
        near_bitrate(kbps, target),
        "asked {target} kbit/s, got {kbps:.0}"
    );
}
