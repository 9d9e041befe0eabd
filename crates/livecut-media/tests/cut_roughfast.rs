//! RoughFast: whole segments stream-copied and joined.

mod common;

use common::*;
use livecut_media::CutMode;
use livecut_testkit::oracle;

#[test]
fn one_clip_is_every_frame_of_its_segments() {
    let rec = rec_a();
    let c = clip(0, rec, T0 + 3_500_000, T0 + 9_200_000);
    let expected = segment_numbers(&c.segments, rec, 0);
    assert_eq!(expected.first(), Some(&60));
    assert_eq!(expected.last(), Some(&299));
    let (out, report) = run("rough_one", CutMode::RoughFast, vec![c]);
    check_output(&out, &expected);
    let r = &report.clips[0];
    assert_eq!(
        (r.frames, r.copied_frames, r.reencoded_frames),
        (240, 240, 0)
    );
    assert_eq!(r.segments, vec![1, 2, 3, 4]);
    assert_eq!(r.first_frame_utc_us, T0 + 2_000_000);
    assert_eq!(r.last_frame_utc_us, T0 + 9_966_667);
    assert_eq!(report.duration_us, 8_000_000);

    let probe = oracle::ffprobe_json(&out).expect("ffprobe");
    let video = &probe["streams"][0];
    assert_eq!(video["codec_tag_string"], "avc1");
    assert_eq!(video["nb_frames"], "240");
}

#[test]
fn three_clips_from_two_recordings_join_seamlessly() {
    let (a, b) = (rec_a(), rec_b());
    let clips = vec![
        clip(0, a, T0 + 12_000_000, T0 + 13_000_000),
        clip(1, b, B_START + 1_000_000, B_START + 4_100_000),
        clip(2, a, T0 + 27_000_000, T0 + 40_000_000),
    ];
    let mut expected = segment_numbers(&clips[0].segments, a, 0);
    expected.extend(segment_numbers(&clips[1].segments, b, B_FIRST_NUMBER));
    expected.extend(segment_numbers(&clips[2].segments, a, 0));
    // 6 + 0..3 of B + 13..14: 2 s + 6 s + 4 s.
    assert_eq!(expected.len(), 60 + 180 + 60 + 60);
    let (out, report) = run("rough_three", CutMode::RoughFast, clips);
    check_output(&out, &expected);
    let offsets: Vec<i64> = report.clips.iter().map(|c| c.output_offset_us).collect();
    assert_eq!(offsets, vec![0, 2_000_000, 8_000_000]);
    assert_eq!(report.clips[1].segments, vec![0, 1, 2]);
    assert_eq!(report.clips[2].segments, vec![13, 14]);
    assert_eq!(report.duration_us, 12_000_000);
}

#[test]
fn a_discontinuity_inside_a_clip_continues_the_timeline() {
    // One clip whose playlist jumps from A's segment 2 to B's segment 5
    // behind an EXT-X-DISCONTINUITY (as after an encoder restart).
    let (a, b) = (rec_a(), rec_b());
    let mut segments = a.inputs_overlapping(T0 + 4_000_000, T0 + 6_000_000);
    let mut after = b.inputs_overlapping(B_START + 10_000_000, B_START + 12_000_000);
    after[0].discontinuity = true;
    segments.extend(after);
    let c = livecut_media::ClipInput {
        index: 0,
        start_utc_us: T0,
        end_utc_us: B_START + 60_000_000,
        segments,
    };
    let mut expected: Vec<u32> = (120..180).collect();
    expected.extend(B_FIRST_NUMBER + 300..B_FIRST_NUMBER + 360);
    let (out, report) = run("rough_discontinuity", CutMode::RoughFast, vec![c]);
    check_output(&out, &expected);
    assert_eq!(report.clips[0].frames, 120);
    assert_eq!(report.clips[0].first_frame_utc_us, T0 + 4_000_000);
    assert_eq!(report.clips[0].last_frame_utc_us, B_START + 11_966_667);
}

#[test]
fn probe_reads_the_output_like_ffprobe() {
    let rec = rec_a();
    let (out, _) = run(
        "rough_probe",
        CutMode::RoughFast,
        vec![clip(0, rec, T0 + 1_000_000, T0 + 3_000_000)],
    );
    let info = livecut_media::probe(&out).expect("probe");
    let cli = oracle::ffprobe_json(&out).expect("ffprobe");
    assert_eq!(info.format_name, "mov,mp4,m4a,3gp,3g2,mj2");
    assert_eq!(
        Some(info.format_name.as_str()),
        cli["format"]["format_name"].as_str()
    );
    assert!((info.duration_s - 4.0).abs() < 0.01, "{}", info.duration_s);
    assert_eq!(
        info.size_bytes,
        std::fs::metadata(&out).expect("stat").len()
    );
    assert!(info.bit_rate > 0);
    let v = &info.streams[0];
    assert_eq!(v.kind, livecut_media::StreamKind::Video);
    assert_eq!(
        (v.codec_name.as_str(), v.profile.as_str()),
        ("h264", "High")
    );
    assert_eq!(
        (v.codec_tag_string.as_str(), v.codec_tag.as_str()),
        ("avc1", "0x31637661")
    );
    assert_eq!((v.width, v.height), (Some(320), Some(180)));
    assert_eq!(v.nb_frames, Some(120));
    assert_eq!(v.r_frame_rate.as_deref(), Some("30/1"));
    assert_eq!(v.avg_frame_rate.as_deref(), Some("30/1"));
    assert_eq!(v.sar.as_deref(), Some("1:1"));
    assert_eq!(v.dar.as_deref(), Some("16:9"));
    assert_eq!(v.pix_fmt.as_deref(), Some("yuv420p"));
    assert_eq!(v.language.as_deref(), Some("und"));
    assert_eq!(
        Some(v.time_base.as_str()),
        cli["streams"][0]["time_base"].as_str()
    );
    assert_eq!(
        v.level,
        cli["streams"][0]["level"].as_i64().map(|l| l as i32)
    );
    let a = &info.streams[1];
    assert_eq!((a.codec_name.as_str(), a.profile.as_str()), ("aac", "LC"));
    assert_eq!(a.codec_tag_string, "mp4a");
    assert_eq!((a.sample_rate, a.channels), (Some(48_000), Some(2)));
    assert_eq!(a.channel_layout.as_deref(), Some("stereo"));
    assert_eq!(a.sample_fmt.as_deref(), Some("fltp"));
    assert_eq!(a.codec_time_base, "1/48000");
}
