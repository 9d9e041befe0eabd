//! Accurate and Rough with HEVC Main 10 and MP3 sources: a 10-bit first
//! clip gives a Main 10 output (8-bit clips after it converted, scaled and
//! padded in 10 bits), an 8-bit first clip an 8-bit one; MP3 audio is
//! decoded, resampled where needed and re-encoded to AAC, in sync.

use std::sync::OnceLock;

use crate::fixtures::*;
use livecut_media::testgen::{AudioSpec, RecordingSummary};
use livecut_media::{AudioCodec, CutMode, VideoCodec};
use livecut_testkit::oracle;

/// Recording T: A's settings in HEVC Main 10, frames from 500000.
const T_START: i64 = T0 + 18_000_000_000;
const T_FIRST_NUMBER: u32 = 500_000;

/// Recording N: HEVC with MP3 mono 44.1 kHz audio.
const N_START: i64 = T0 + 25_200_000_000;
const N_FIRST_NUMBER: u32 = 700_000;

fn rec_t() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("t", |s| {
            s.video_codec = VideoCodec::Hevc;
            s.ten_bit = true;
            s.start_utc_us = T_START;
            s.first_frame_number = T_FIRST_NUMBER;
            s.start_pts = 3_000_000;
        })
    })
}

fn rec_n() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("n", |s| {
            s.video_codec = VideoCodec::Hevc;
            s.audio_codec = AudioCodec::Mp3;
            s.audio = Some(AudioSpec {
                sample_rate: 44_100,
                channels: 1,
                bit_rate: 64_000,
            });
            s.start_utc_us = N_START;
            s.first_frame_number = N_FIRST_NUMBER;
            s.start_pts = 8_000_000_000;
        })
    })
}

#[test]
fn a_main10_clip_gives_a_main10_output() {
    let rec = rec_t();
    let (start, end) = (T_START + 2_300_000, T_START + 6_400_000);
    let expected = range_numbers(start, end, T_START, T_FIRST_NUMBER, rec.frames);
    let (out, report) = run(
        "main10_one",
        CutMode::Accurate,
        vec![clip(0, rec, start, end)],
    );
    check_output(&out, &expected);
    check_reencoded_as(&out, HEVC10_OUT, 320, 180, expected.len() as u64, true);
    check_all_reencoded(&report);
}

#[test]
fn an_8_bit_clip_after_a_main10_one_is_converted_scaled_and_padded_in_10_bits() {
    let (t, a) = (rec_t(), rec_a());
    let ranges = [
        (T_START + 12_000_000, T_START + 12_700_000),
        (T0 + 7_100_000, T0 + 8_000_000),
    ];
    let clips = vec![
        clip(0, t, ranges[0].0, ranges[0].1),
        clip(1, a, ranges[1].0, ranges[1].1),
    ];
    let expected = [
        range_numbers(ranges[0].0, ranges[0].1, T_START, T_FIRST_NUMBER, t.frames),
        range_numbers(ranges[1].0, ranges[1].1, T0, 0, a.frames),
    ]
    .concat();
    // At the first clip's size: every frame and the audio markers.
    let (out, report) = run("main10_then_h264", CutMode::Accurate, clips.clone());
    check_output(&out, &expected);
    check_reencoded_as(&out, HEVC10_OUT, 320, 180, expected.len() as u64, true);
    check_all_reencoded(&report);
    // 16:9 into 240 x 240: the picture is 240 x 136 at y = 52.
    let job = job_with(
        "main10_then_h264_box",
        CutMode::Accurate,
        clips,
        (Some(240), Some(240)),
        None,
    );
    run_job(&job);
    check_reencoded_as(
        &job.output,
        HEVC10_OUT,
        240,
        240,
        expected.len() as u64,
        true,
    );
    let errors = oracle::decode_errors(&job.output).expect("ffmpeg runs");
    assert!(errors.is_empty(), "{errors:?}");
    let bars = [(0, 0, 240, 48), (0, 192, 240, 48)];
    check_boxed(&job.output, &expected, (0, 52, 240, 136), &bars);
}

#[test]
fn a_main10_clip_after_an_8_bit_one_is_converted_down() {
    let (a, t) = (rec_a(), rec_t());
    let ranges = [
        (T0 + 20_000_000, T0 + 20_500_000),
        (T_START + 1_000_000, T_START + 2_000_000),
    ];
    let clips = vec![
        clip(0, a, ranges[0].0, ranges[0].1),
        clip(1, t, ranges[1].0, ranges[1].1),
    ];
    // Rough: whole segments (A's segment 10, T's segment 0).
    let expected = [
        segment_numbers(&clips[0].segments, a, 0),
        segment_numbers(&clips[1].segments, t, T_FIRST_NUMBER),
    ]
    .concat();
    assert_eq!(expected.len(), 120);
    let (out, report) = run("h264_then_main10", CutMode::Rough, clips);
    check_output(&out, &expected);
    check_reencoded_as(&out, H264_OUT, 320, 180, 120, true);
    check_all_reencoded(&report);
}

#[test]
fn mp3_audio_is_reencoded_to_aac_in_sync() {
    let rec = rec_m();
    let (start, end) = (M_START + 4_250_000, M_START + 11_000_000);
    let expected = range_numbers(start, end, M_START, M_FIRST_NUMBER, rec.frames);
    let (out, report) = run(
        "mp3_accurate",
        CutMode::Accurate,
        vec![clip(0, rec, start, end)],
    );
    // Markers on their frames (within the oracle's tolerance) at 48 kHz.
    check_output(&out, &expected);
    let probe = check_reencoded_as(&out, H264_OUT, 320, 180, expected.len() as u64, true);
    let a = stream(&probe, "audio");
    assert_eq!(
        (a["sample_rate"].as_str(), a["channels"].as_u64()),
        (Some("48000"), Some(2))
    );
    check_all_reencoded(&report);
}

#[test]
fn mp3_at_another_rate_joins_aac_clips_in_rough() {
    // The first clip decides the audio format: AAC 48 kHz stereo; N's mono
    // 44.1 kHz MP3 is resampled into it.
    let (a, n) = (rec_a(), rec_n());
    let clips = vec![
        clip(0, a, T0 + 5_000_000, T0 + 6_000_000),
        clip(1, n, N_START + 9_000_000, N_START + 12_000_000),
        clip(2, a, T0 + 25_000_000, T0 + 26_000_000),
    ];
    let expected = [
        segment_numbers(&clips[0].segments, a, 0),
        segment_numbers(&clips[1].segments, n, N_FIRST_NUMBER),
        segment_numbers(&clips[2].segments, a, 0),
    ]
    .concat();
    let (out, report) = run("mp3_rough_join", CutMode::Rough, clips);
    check_output(&out, &expected);
    let probe = check_reencoded_as(&out, H264_OUT, 320, 180, expected.len() as u64, true);
    let audio = stream(&probe, "audio");
    assert_eq!(audio["sample_rate"], "48000");
    check_all_reencoded(&report);

    // N first: HEVC video and 44.1 kHz mono AAC.
    let clip_n = clip(0, n, N_START + 3_300_000, N_START + 6_100_000);
    let expected = range_numbers(
        clip_n.start_utc_us,
        clip_n.end_utc_us,
        N_START,
        N_FIRST_NUMBER,
        n.frames,
    );
    let (out, _) = run("mp3_mono_first", CutMode::Accurate, vec![clip_n]);
    let probe = check_reencoded_as(&out, HEVC_OUT, 320, 180, expected.len() as u64, true);
    let audio = stream(&probe, "audio");
    assert_eq!(
        (audio["sample_rate"].as_str(), audio["channels"].as_u64()),
        (Some("44100"), Some(1))
    );
    let errors = oracle::decode_errors(&out).expect("ffmpeg runs");
    assert!(errors.is_empty(), "{errors:?}");
    let video = oracle::decode_video_numbers(&out).expect("decode");
    let wanted: Vec<Option<u32>> = expected.iter().copied().map(Some).collect();
    assert_eq!(video.numbers(), wanted);
    let onsets = oracle::audio_marker_onsets(&out).expect("audio");
    oracle::check_av_sync(&video, &onsets, 30.0, 44_100).expect("in sync");
}
