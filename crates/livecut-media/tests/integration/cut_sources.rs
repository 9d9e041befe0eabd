//! Source variations: PTS wrap-around, non-zero parameter-set ids, NTSC
//! frame rate with sub-millisecond segment starts, no audio, no B-frames.

use crate::fixtures::*;
use std::sync::OnceLock;

use livecut_media::CutMode;
use livecut_media::testgen::RecordingSummary;
use livecut_testkit::oracle;

const WRAP: i64 = 1 << 33;

/// 10 s whose PTS wrap 5.5 s in, encoded with SPS/PPS id 3.
fn wrapping() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("wrap", |s| {
            s.total_frames = 300;
            s.start_pts = WRAP - 5 * 90_000 - 45_000;
            s.sps_id = 3;
        })
    })
}

#[test]
fn cuts_across_the_33_bit_pts_wrap() {
    let rec = wrapping();
    // Frames 105..=215, the wrap falls between frames 164 and 165.
    let (start, end) = (T0 + 3_500_000, T0 + 7_200_000);
    let expected = range_numbers(start, end, T0, 0, rec.frames);
    let (out, report) = run(
        "src_wrap",
        CutMode::AccurateFast,
        vec![clip(0, rec, start, end)],
    );
    let video = check_output(&out, &expected);
    let r = &report.clips[0];
    assert_eq!(r.reencoded_frames, 15 + 6);
    assert_eq!(
        identical_frames(&out, &video, &source_md5s(rec), 0),
        r.copied_frames
    );
    assert_eq!(r.last_frame_utc_us, T0 + 7_166_667);

    let (out, report) = run(
        "src_wrap_rough",
        CutMode::RoughFast,
        vec![clip(0, rec, T0, T0 + 10_000_000)],
    );
    check_output(&out, &(0..300).collect::<Vec<_>>());
    assert_eq!(report.duration_us, 10_000_000);
}

#[test]
fn ntsc_rate_without_audio_or_b_frames() {
    // 29.97 fps starting 123.456 ms after a whole second: every segment's
    // PROGRAM-DATE-TIME is rounded to the millisecond.
    let rec_start = T0 + 123_456;
    let rec = make_recording("ntsc", |s| {
        s.fps_num = 30_000;
        s.fps_den = 1001;
        s.start_utc_us = rec_start;
        s.total_frames = 300;
        s.audio = None;
        s.bframes = 0;
        s.first_frame_number = 7;
    });
    let frame_us = |k: i64| k * 1_001_000 / 30;
    // Half a frame after frames 100 and 200: keeps 101..=200 (numbers +7).
    let (start, end) = (
        rec_start + frame_us(100) + 16_000,
        rec_start + frame_us(200) + 16_000,
    );
    let (first, last) = oracle::expected_frames(start, end, rec_start, 30_000, 1001, 7);
    assert_eq!((first, last), (108, 207));
    let expected: Vec<u32> = (first..=last).collect();
    let (out, report) = run(
        "src_ntsc",
        CutMode::AccurateFast,
        vec![clip(0, &rec, start, end)],
    );
    let video = check_output_with(&out, &expected, (30_000, 1001), false);
    let r = &report.clips[0];
    // 101..=119 and 180..=200 re-encoded, 120..=179 copied.
    assert_eq!((r.reencoded_frames, r.copied_frames), (19 + 21, 60));
    assert_eq!(identical_frames(&out, &video, &source_md5s(&rec), 7), 60);
    let probe = livecut_media::probe(&out).expect("probe");
    assert_eq!(probe.streams.len(), 1);
    assert_eq!(probe.streams[0].r_frame_rate.as_deref(), Some("30000/1001"));
}

#[test]
fn joins_streams_whose_parameter_sets_use_different_ids() {
    // A uses SPS/PPS id 0, the wrapping recording id 3: both go into the
    // avcC, and the re-encoded frames take the free id 1.
    let (a, w) = (rec_a(), wrapping());
    let clips = vec![
        clip(0, a, T0 + 2_500_000, T0 + 4_400_000),
        clip(1, w, T0 + 4_700_000, T0 + 6_300_000),
    ];
    let mut expected = range_numbers(T0 + 2_500_000, T0 + 4_400_000, T0, 0, a.frames);
    expected.extend(range_numbers(
        T0 + 4_700_000,
        T0 + 6_300_000,
        T0,
        0,
        w.frames,
    ));
    let (out, report) = run("src_two_ids", CutMode::AccurateFast, clips);
    let video = check_output(&out, &expected);
    let copied: u64 = report.clips.iter().map(|c| c.copied_frames).sum();
    // Both recordings draw the same pictures, so either source's MD5s
    // identify copied frames; compare each clip's frames with its own.
    let first_len = report.clips[0].frames as usize;
    let md5_a = source_md5s(a);
    let md5_w = source_md5s(w);
    let out_md5 = oracle::frame_md5s(&out).expect("framemd5");
    let same = |range: std::ops::Range<usize>, source: &[String]| {
        range
            .filter(|&i| {
                video.frames[i]
                    .number
                    .is_some_and(|n| source[n as usize] == out_md5[i])
            })
            .count() as u64
    };
    assert_eq!(
        same(0..first_len, &md5_a) + same(first_len..out_md5.len(), &md5_w),
        copied
    );
}
