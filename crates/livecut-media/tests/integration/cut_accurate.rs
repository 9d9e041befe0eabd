//! Accurate and AccurateFast: exactly the frames of each range. AccurateFast
//! re-encodes the partial GOPs and copies the rest; Accurate decodes,
//! scales and encodes every frame again, audio re-encoded and cut to the
//! sample.

use std::sync::OnceLock;

use crate::fixtures::*;
use livecut_media::{CutMode, CutReport};
use livecut_testkit::oracle;

fn md5s_a() -> &'static Vec<String> {
    static MD5: OnceLock<Vec<String>> = OnceLock::new();
    MD5.get_or_init(|| source_md5s(rec_a()))
}

fn utc_of_frame(number: u32) -> i64 {
    T0 + (i64::from(number) * 1_000_000 + 15) / 30
}

/// Cuts one clip of recording A in `mode` and checks frames, sync, the
/// report (`reencoded` frames re-encoded: every one in Accurate) and that
/// exactly the copied frames are bit-identical to the source.
fn accurate_a(
    name: &str,
    mode: CutMode,
    (start_off, end_off): (i64, i64),
    reencoded: u64,
) -> CutReport {
    let rec = rec_a();
    let (start, end) = (T0 + start_off, T0 + end_off);
    let expected = range_numbers(start, end, T0, 0, rec.frames);
    let (out, report) = run(name, mode, vec![clip(0, rec, start, end)]);
    let video = check_output(&out, &expected);
    if mode == CutMode::Accurate {
        check_reencoded(&out, 320, 180, expected.len() as u64, true);
        check_all_reencoded(&report);
    }
    let r = &report.clips[0];
    assert_eq!(r.frames, expected.len() as u64);
    assert_eq!(r.reencoded_frames, reencoded, "re-encoded frames");
    assert_eq!(r.copied_frames + r.reencoded_frames, r.frames);
    let first = expected[0];
    let last = *expected.last().expect("frames");
    assert_eq!(r.first_frame_utc_us, utc_of_frame(first));
    assert_eq!(r.last_frame_utc_us, utc_of_frame(last));
    assert_eq!(r.output_offset_us, 0);
    assert_eq!(
        report.duration_us,
        (expected.len() as i64 * 1_000_000 + 15) / 30
    );
    // Copied frames are bit-identical to the source, re-encoded ones not
    // (none in Accurate).
    assert_eq!(identical_frames(&out, &video, md5s_a(), 0), r.copied_frames);
    report
}

fn one_clip_cut_mid_gop_at_both_ends_across_segments(mode: CutMode) {
    // Frames 105..=275: head 105..=119, GOPs 120..=269 copied, tail
    // 270..=275 (AccurateFast); all 171 re-encoded (Accurate).
    let reencoded = if mode == CutMode::Accurate {
        171
    } else {
        15 + 6
    };
    let report = accurate_a("acc_mid", mode, (3_500_000, 9_200_000), reencoded);
    let expected = range_numbers(T0 + 3_500_000, T0 + 9_200_000, T0, 0, rec_a().frames);
    assert_eq!((expected[0], expected[expected.len() - 1]), (105, 275));
    let r = &report.clips[0];
    assert_eq!(r.first_frame_utc_us, utc_of_frame(105));
    assert_eq!(r.last_frame_utc_us, utc_of_frame(275));
    assert_eq!(r.segments, vec![1, 2, 3, 4]);
}

per_mode!(one_clip_cut_mid_gop_at_both_ends_across_segments: accurate_fast => AccurateFast, accurate => Accurate);

#[test]
fn start_exactly_on_a_keyframe() {
    // Frames 120..=194: two whole GOPs, then 180..=194 re-encoded.
    accurate_a(
        "acc_key_start",
        CutMode::AccurateFast,
        (4_000_000, 6_500_000),
        15,
    );
}

#[test]
fn end_exactly_on_a_keyframe() {
    // Frames 75..=149: 75..=89 re-encoded, 90..=149 copied, nothing after.
    accurate_a(
        "acc_key_end",
        CutMode::AccurateFast,
        (2_500_000, 5_000_000),
        15,
    );
}

#[test]
fn whole_gops_only_need_no_encoder() {
    accurate_a(
        "acc_whole",
        CutMode::AccurateFast,
        (6_000_000, 8_000_000),
        0,
    );
}

#[test]
fn range_inside_one_gop() {
    // Frames 303..=317 of the GOP 300..=329.
    accurate_a(
        "acc_inside",
        CutMode::AccurateFast,
        (10_100_000, 10_600_000),
        15,
    );
}

#[test]
fn range_between_frame_instants_rounds_inward() {
    // 1.01 s .. 1.04 s holds only frame 31 (1.0333 s).
    accurate_a(
        "acc_one_frame",
        CutMode::AccurateFast,
        (1_010_000, 1_040_000),
        1,
    );
}

#[test]
fn three_clips_from_two_recordings() {
    let (a, b) = (rec_a(), rec_b());
    let clips = vec![
        clip(0, a, T0 + 1_200_000, T0 + 3_900_000),
        clip(1, b, B_START + 5_050_000, B_START + 7_500_000),
        clip(2, a, T0 + 20_500_000, T0 + 21_000_000),
    ];
    let mut expected = range_numbers(T0 + 1_200_000, T0 + 3_900_000, T0, 0, a.frames);
    let second = range_numbers(
        B_START + 5_050_000,
        B_START + 7_500_000,
        B_START,
        B_FIRST_NUMBER,
        b.frames,
    );
    let third = range_numbers(T0 + 20_500_000, T0 + 21_000_000, T0, 0, a.frames);
    let (n1, n2) = (expected.len(), second.len());
    expected.extend(&second);
    expected.extend(&third);
    let (out, report) = run("acc_three", CutMode::AccurateFast, clips);
    let video = check_output(&out, &expected);
    let offsets: Vec<i64> = report.clips.iter().map(|c| c.output_offset_us).collect();
    assert_eq!(
        offsets,
        vec![
            0,
            (n1 as i64 * 1_000_000 + 15) / 30,
            ((n1 + n2) as i64 * 1_000_000 + 15) / 30
        ]
    );
    let copied: u64 = report.clips.iter().map(|c| c.copied_frames).sum();
    let reencoded: u64 = report.clips.iter().map(|c| c.reencoded_frames).sum();
    assert_eq!(copied + reencoded, expected.len() as u64);
    // Clip 1 is 152..=224 of B (relative): 152..=179 re-encoded, 180..=209
    // copied, 210..=224 re-encoded.
    assert_eq!(report.clips[1].reencoded_frames, 28 + 15);
    let md5_b = source_md5s(b);
    let identical = identical_frames(&out, &video, md5s_a(), 0)
        + identical_frames(&out, &video, &md5_b, B_FIRST_NUMBER);
    assert_eq!(identical, copied);
    let probe = oracle::ffprobe_json(&out).expect("ffprobe");
    assert_eq!(probe["streams"][0]["codec_tag_string"], "avc1");
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

/// An Accurate cut of A's `[start, end)` with one side requested: exactly
/// the range's frames, at `want` (the other side follows the aspect ratio).
fn one_side_keeps_the_aspect_ratio(
    name: &str,
    (start, end): (i64, i64),
    size: (Option<u32>, Option<u32>),
    want: (u64, u64),
) {
    let rec = rec_a();
    let expected = range_numbers(start, end, T0, 0, rec.frames);
    let job = job_with(
        name,
        CutMode::Accurate,
        vec![clip(0, rec, start, end)],
        size,
        None,
    );
    run_job(&job);
    check_output(&job.output, &expected);
    check_reencoded(&job.output, want.0, want.1, expected.len() as u64, true);
}

#[test]
fn a_width_alone_keeps_the_aspect_ratio() {
    // A quarter of the width: 80 x 45 -> 80 x 46 (even).
    one_side_keeps_the_aspect_ratio(
        "accurate_width",
        (T0 + 10_100_000, T0 + 11_600_000),
        (Some(80), None),
        (80, 46),
    );
}

#[test]
fn a_height_alone_keeps_the_aspect_ratio() {
    // 120 * 16 / 9 = 213.3 -> 214.
    one_side_keeps_the_aspect_ratio(
        "accurate_height",
        (T0 + 12_345_000, T0 + 13_500_000),
        (None, Some(120)),
        (214, 120),
    );
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
    // The bars, away from the picture's edge.
    let bars = [(0, 0, 240, 48), (0, 192, 240, 48)];
    check_boxed(&job.output, &expected, (0, 52, 240, 136), &bars);
}
