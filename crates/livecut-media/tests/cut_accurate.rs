//! Accurate: exactly the frames AccurateFast selects, every one decoded,
//! scaled and encoded again, audio re-encoded and cut to the sample.

mod common;
mod reencode_common;

use common::*;
use livecut_media::CutMode;
use reencode_common::*;

fn utc_of_frame(number: u32) -> i64 {
    T0 + (i64::from(number) * 1_000_000 + 15) / 30
}

#[test]
fn one_clip_is_frame_exact_and_fully_reencoded() {
    let rec = rec_a();
    let (start, end) = (T0 + 3_500_000, T0 + 9_200_000);
    let expected = range_numbers(start, end, T0, 0, rec.frames);
    assert_eq!((expected[0], expected[expected.len() - 1]), (105, 275));
    let (out, report) = run(
        "accurate_one",
        CutMode::Accurate,
        vec![clip(0, rec, start, end)],
    );
    check_output(&out, &expected);
    check_reencoded(&out, 320, 180, expected.len() as u64, true);
    check_all_reencoded(&report);
    let r = &report.clips[0];
    assert_eq!(r.frames, expected.len() as u64);
    assert_eq!(r.first_frame_utc_us, utc_of_frame(105));
    assert_eq!(r.last_frame_utc_us, utc_of_frame(275));
    assert_eq!(r.segments, vec![1, 2, 3, 4]);
    assert_eq!(
        report.duration_us,
        (expected.len() as i64 * 1_000_000 + 15) / 30
    );
    // Re-encoded, not copied: no frame is bit-identical to the source.
    let same = identical_frames(
        &out,
        &livecut_testkit::oracle::decode_video_numbers(&out).expect("decode"),
        &source_md5s(rec),
        0,
    );
    assert_eq!(same, 0);
}

#[test]
fn three_clips_from_recordings_of_other_sizes_and_formats() {
    let (a, c) = (rec_a(), rec_c());
    let ranges = [
        (T0 + 1_200_000, T0 + 3_900_000),
        (C_START + 5_050_000, C_START + 7_500_000),
        (T0 + 20_500_000, T0 + 21_000_000),
    ];
    let clips = vec![
        clip(0, a, ranges[0].0, ranges[0].1),
        clip(1, c, ranges[1].0, ranges[1].1),
        clip(2, a, ranges[2].0, ranges[2].1),
    ];
    let first = range_numbers(ranges[0].0, ranges[0].1, T0, 0, a.frames);
    let second = range_numbers(ranges[1].0, ranges[1].1, C_START, C_FIRST_NUMBER, c.frames);
    let third = range_numbers(ranges[2].0, ranges[2].1, T0, 0, a.frames);
    let (n1, n2) = (first.len(), second.len());
    let expected: Vec<u32> = [first, second, third].concat();
    let (out, report) = run("accurate_three", CutMode::Accurate, clips);
    // C (480x270, mono 44.1 kHz) is scaled and resampled to A's format.
    check_output(&out, &expected);
    check_reencoded(&out, 320, 180, expected.len() as u64, true);
    check_all_reencoded(&report);
    let offsets: Vec<i64> = report.clips.iter().map(|c| c.output_offset_us).collect();
    assert_eq!(
        offsets,
        vec![
            0,
            (n1 as i64 * 1_000_000 + 15) / 30,
            ((n1 + n2) as i64 * 1_000_000 + 15) / 30
        ]
    );
    assert_eq!(report.clips[1].frames, n2 as u64);
}

#[test]
fn a_width_alone_keeps_the_aspect_ratio() {
    // A quarter of the width: 80 x 45 -> 80 x 46 (even).
    let rec = rec_a();
    let (start, end) = (T0 + 10_100_000, T0 + 11_600_000);
    let expected = range_numbers(start, end, T0, 0, rec.frames);
    let job = job_with(
        "accurate_width",
        CutMode::Accurate,
        vec![clip(0, rec, start, end)],
        (Some(80), None),
        None,
    );
    run_job(&job);
    check_output(&job.output, &expected);
    check_reencoded(&job.output, 80, 46, expected.len() as u64, true);
}

#[test]
fn a_height_alone_keeps_the_aspect_ratio() {
    let rec = rec_a();
    let (start, end) = (T0 + 12_345_000, T0 + 13_500_000);
    let expected = range_numbers(start, end, T0, 0, rec.frames);
    let job = job_with(
        "accurate_height",
        CutMode::Accurate,
        vec![clip(0, rec, start, end)],
        (None, Some(120)),
        None,
    );
    run_job(&job);
    check_output(&job.output, &expected);
    // 120 * 16 / 9 = 213.3 -> 214.
    check_reencoded(&job.output, 214, 120, expected.len() as u64, true);
}

#[test]
fn both_sides_letterbox_the_picture() {
    // 16:9 into 240 x 240: the picture is 240 x 136 at y = 52.
    let (a, c) = (rec_a(), rec_c());
    let ranges = [
        (T0 + 2_000_000, T0 + 2_600_000),
        (C_START + 1_000_000, C_START + 1_500_000),
    ];
    let clips = vec![
        clip(0, a, ranges[0].0, ranges[0].1),
        clip(1, c, ranges[1].0, ranges[1].1),
    ];
    let mut expected = range_numbers(ranges[0].0, ranges[0].1, T0, 0, a.frames);
    expected.extend(range_numbers(
        ranges[1].0,
        ranges[1].1,
        C_START,
        C_FIRST_NUMBER,
        c.frames,
    ));
    let job = job_with(
        "accurate_box",
        CutMode::Accurate,
        clips,
        (Some(240), Some(240)),
        None,
    );
    run_job(&job);
    check_reencoded(&job.output, 240, 240, expected.len() as u64, true);
    let errors = livecut_testkit::oracle::decode_errors(&job.output).expect("ffmpeg runs");
    assert!(errors.is_empty(), "{errors:?}");
    let numbers = numbers_inside(&job.output, (0, 52, 240, 136));
    let wanted: Vec<Option<u32>> = expected.iter().copied().map(Some).collect();
    assert_eq!(numbers, wanted);
    // The bars (away from the picture's edge) are black (video-range 16,
    // which the gray conversion maps to 0).
    for bar in [(0, 0, 240, 48), (0, 192, 240, 48)] {
        for (i, luma) in mean_luma(&job.output, bar).iter().enumerate() {
            assert!(*luma < 2.0, "frame {i} bar {bar:?}: mean luma {luma}");
        }
    }
}
