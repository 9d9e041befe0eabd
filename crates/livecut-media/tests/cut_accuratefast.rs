//! AccurateFast: exact frames, partial GOPs re-encoded, the rest copied.

mod common;

use std::sync::OnceLock;

use common::*;
use livecut_media::testgen::RecordingSummary;
use livecut_media::{CutMode, CutReport};
use livecut_testkit::oracle;

fn md5s_a() -> &'static Vec<String> {
    static MD5: OnceLock<Vec<String>> = OnceLock::new();
    MD5.get_or_init(|| source_md5s(rec_a()))
}

/// Cuts one clip of recording A and checks frames, sync, the report and
/// that exactly the copied frames are bit-identical to the source.
fn accurate_a(name: &str, start_off: i64, end_off: i64, reencoded: u64) -> CutReport {
    let rec: &RecordingSummary = rec_a();
    let (start, end) = (T0 + start_off, T0 + end_off);
    let expected = range_numbers(start, end, T0, 0, rec.frames);
    let (out, report) = run(name, CutMode::AccurateFast, vec![clip(0, rec, start, end)]);
    let video = check_output(&out, &expected);
    let r = &report.clips[0];
    assert_eq!(r.frames, expected.len() as u64);
    assert_eq!(r.reencoded_frames, reencoded, "re-encoded frames");
    assert_eq!(r.copied_frames + r.reencoded_frames, r.frames);
    let first = u64::from(expected[0]);
    let last = u64::from(*expected.last().expect("frames"));
    assert_eq!(
        r.first_frame_utc_us,
        T0 + (first as i64 * 1_000_000 + 15) / 30
    );
    assert_eq!(
        r.last_frame_utc_us,
        T0 + (last as i64 * 1_000_000 + 15) / 30
    );
    assert_eq!(r.output_offset_us, 0);
    assert_eq!(
        report.duration_us,
        (expected.len() as i64 * 1_000_000 + 15) / 30
    );
    assert_eq!(identical_frames(&out, &video, md5s_a(), 0), r.copied_frames);
    report
}

#[test]
fn cut_mid_gop_at_both_ends_across_segments() {
    // Frames 105..=275: head 105..=119, GOPs 120..=269 copied, tail 270..=275.
    let report = accurate_a("acc_mid", 3_500_000, 9_200_000, 15 + 6);
    assert_eq!(report.clips[0].segments, vec![1, 2, 3, 4]);
}

#[test]
fn start_exactly_on_a_keyframe() {
    // Frames 120..=194: two whole GOPs, then 180..=194 re-encoded.
    accurate_a("acc_key_start", 4_000_000, 6_500_000, 15);
}

#[test]
fn end_exactly_on_a_keyframe() {
    // Frames 75..=149: 75..=89 re-encoded, 90..=149 copied, nothing after.
    accurate_a("acc_key_end", 2_500_000, 5_000_000, 15);
}

#[test]
fn whole_gops_only_need_no_encoder() {
    accurate_a("acc_whole", 6_000_000, 8_000_000, 0);
}

#[test]
fn range_inside_one_gop() {
    // Frames 303..=317 of the GOP 300..=329.
    accurate_a("acc_inside", 10_100_000, 10_600_000, 15);
}

#[test]
fn range_between_frame_instants_rounds_inward() {
    // 1.01 s .. 1.04 s holds only frame 31 (1.0333 s).
    accurate_a("acc_one_frame", 1_010_000, 1_040_000, 1);
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
