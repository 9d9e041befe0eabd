//! The copy modes on HEVC sources and on joins the single sample entry
//! cannot describe: every output must decode with exactly the expected
//! frames, and the sample entry must be the one the parameter sets allow
//! (`avc1`/`hvc1` with every set in the record, else `avc3`/`hev1`).

use std::path::Path;
use std::sync::OnceLock;

use crate::fixtures::*;
use livecut_media::testgen::{RateControl, RecordingSummary};
use livecut_media::{CutMode, VideoCodec};
use livecut_testkit::oracle;

fn codec_tag(path: &Path) -> String {
    let json = oracle::ffprobe_json(path).expect("ffprobe");
    stream(&json, "video")["codec_tag_string"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// 30 s of HEVC like recording A (closed GOPs of 30, 2 s segments).
fn hevc() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| make_recording("hevc", |s| s.video_codec = VideoCodec::Hevc))
}

/// Like A but another rate control: x264 writes another PPS under id 0.
fn a_other_pps() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("a_crf35", |s| {
            s.rate = RateControl::Crf(35.0);
            s.start_utc_us = B_START;
            s.first_frame_number = B_FIRST_NUMBER;
            s.bframes = 1;
        })
    })
}

#[test]
fn hevc_accuratefast_cuts_mid_gop_and_carries_sets_in_band() {
    let rec = hevc();
    let (start, end) = (T0 + 3_500_000, T0 + 9_200_000);
    let expected = range_numbers(start, end, T0, 0, rec.frames);
    let (out, report) = run(
        "hevc_af",
        CutMode::AccurateFast,
        vec![clip(0, rec, start, end)],
    );
    let video = check_output(&out, &expected);
    let r = &report.clips[0];
    assert_eq!(r.frames as usize, expected.len());
    assert_eq!(r.reencoded_frames, 15 + 6, "the two partial GOPs");
    assert_eq!(
        identical_frames(&out, &video, &source_md5s(rec), 0),
        r.copied_frames
    );
    assert_eq!(codec_tag(&out), "hev1");
}

#[test]
fn hevc_roughfast_keeps_one_sample_entry() {
    let rec = hevc();
    let c = clip(0, rec, T0 + 4_500_000, T0 + 7_500_000);
    let expected = segment_numbers(&c.segments, rec, 0);
    let (out, report) = run("hevc_rf", CutMode::RoughFast, vec![c]);
    let video = check_output(&out, &expected);
    assert_eq!(report.clips[0].reencoded_frames, 0);
    assert_eq!(
        identical_frames(&out, &video, &source_md5s(rec), 0),
        expected.len() as u64
    );
    assert_eq!(codec_tag(&out), "hvc1");
}

#[test]
fn different_encoders_with_one_set_id_join_in_band() {
    let (a, b) = (rec_a(), a_other_pps());
    let clips = vec![
        clip(0, a, T0 + 1_500_000, T0 + 4_200_000),
        clip(1, b, B_START + 2_300_000, B_START + 5_000_000),
        clip(2, a, T0 + 10_000_000, T0 + 12_000_000),
    ];
    let mut expected = range_numbers(T0 + 1_500_000, T0 + 4_200_000, T0, 0, a.frames);
    expected.extend(range_numbers(
        B_START + 2_300_000,
        B_START + 5_000_000,
        B_START,
        B_FIRST_NUMBER,
        b.frames,
    ));
    expected.extend(range_numbers(
        T0 + 10_000_000,
        T0 + 12_000_000,
        T0,
        0,
        a.frames,
    ));
    let (out, report) = run("join_inband_af", CutMode::AccurateFast, clips.clone());
    check_output(&out, &expected);
    assert_eq!(codec_tag(&out), "avc3");
    assert!(report.clips.iter().all(|c| c.copied_frames > 0));

    let mut rough = Vec::new();
    for (c, (rec, first)) in clips.iter().zip([(a, 0), (b, B_FIRST_NUMBER), (a, 0)]) {
        rough.extend(segment_numbers(&c.segments, rec, first));
    }
    let (out, _) = run("join_inband_rf", CutMode::RoughFast, clips);
    check_output(&out, &rough);
    assert_eq!(codec_tag(&out), "avc3");
}

/// 10 s at 256x144 (another size, same aspect), HEVC when `hevc`.
fn small(hevc: bool) -> RecordingSummary {
    make_recording(if hevc { "small_hevc" } else { "small" }, |s| {
        s.width = 256;
        s.height = 144;
        s.total_frames = 300;
        s.start_utc_us = B_START;
        s.first_frame_number = B_FIRST_NUMBER;
        if hevc {
            s.video_codec = VideoCodec::Hevc;
        }
    })
}

#[test]
fn a_clip_of_another_size_or_codec_is_re_encoded_to_match_the_first() {
    let a = rec_a();
    for hevc in [false, true] {
        let other = small(hevc);
        let clips = vec![
            clip(0, a, T0 + 1_500_000, T0 + 4_200_000),
            clip(1, &other, B_START + 2_300_000, B_START + 5_000_000),
        ];
        let mut expected = range_numbers(T0 + 1_500_000, T0 + 4_200_000, T0, 0, a.frames);
        let second = range_numbers(
            B_START + 2_300_000,
            B_START + 5_000_000,
            B_START,
            B_FIRST_NUMBER,
            other.frames,
        );
        expected.extend(&second);
        let name = format!("join_resize_af_{hevc}");
        let (out, report) = run(&name, CutMode::AccurateFast, clips.clone());
        check_output(&out, &expected);
        assert_eq!(report.clips[1].reencoded_frames as usize, second.len());
        assert_eq!(report.clips[1].copied_frames, 0);
        let codec = if hevc { "hevc" } else { "h264" };
        assert_eq!(
            report.clips[1].notes,
            vec![format!(
                "{} frames recorded as {codec} 256x144 8-bit re-encoded to the output's h264 \
                 320x180 8-bit",
                second.len()
            )]
        );
        assert!(report.clips[0].copied_frames > 0);
        let json = oracle::ffprobe_json(&out).expect("ffprobe");
        let v = &json["streams"][0];
        assert_eq!(
            (v["width"].as_u64(), v["height"].as_u64()),
            (Some(320), Some(180))
        );
        assert_eq!(v["codec_name"], "h264");

        let mut rough = segment_numbers(&clips[0].segments, a, 0);
        rough.extend(segment_numbers(&clips[1].segments, &other, B_FIRST_NUMBER));
        let (out, report) = run(&format!("join_resize_rf_{hevc}"), CutMode::RoughFast, clips);
        check_output(&out, &rough);
        assert_eq!(report.clips[0].reencoded_frames, 0);
        assert_eq!(report.clips[1].copied_frames, 0);
    }
}
