//! The copy modes (AccurateFast, RoughFast) with MP3 audio: the MP3 frames
//! are copied into an `mp3` track, placed like AAC frames (within half a
//! frame of the video at every join, no drift); exact frames, no decoder
//! complaint, audio markers in sync. A clip whose audio format differs from
//! the first clip's is refused, naming the clip.

use std::sync::OnceLock;

use crate::fixtures::*;
use livecut_media::testgen::{AudioSpec, RecordingSummary};
use livecut_media::{AudioCodec, CutMode, VideoCodec};
use livecut_testkit::oracle;

/// Recording P: HEVC with MP3 stereo 48 kHz audio, other clock.
const P_START: i64 = T0 + 28_800_000_000;
const P_FIRST_NUMBER: u32 = 800_000;

/// Recording Q: H.264 with MP3 mono 48 kHz audio.
const Q_START: i64 = T0 + 32_400_000_000;
const Q_FIRST_NUMBER: u32 = 900_000;

fn rec_p() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("p", |s| {
            s.video_codec = VideoCodec::Hevc;
            s.audio_codec = AudioCodec::Mp3;
            s.start_utc_us = P_START;
            s.first_frame_number = P_FIRST_NUMBER;
            s.start_pts = 8_000_000_000;
        })
    })
}

fn rec_q() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("q", |s| {
            s.audio_codec = AudioCodec::Mp3;
            s.audio = Some(AudioSpec {
                sample_rate: 48_000,
                channels: 1,
                bit_rate: 64_000,
            });
            s.start_utc_us = Q_START;
            s.first_frame_number = Q_FIRST_NUMBER;
            s.start_pts = 5_000_000;
        })
    })
}

/// The output's audio stream must be the copied MP3 of `channels`.
fn check_mp3_track(out: &std::path::Path, channels: u64) {
    let probe = oracle::ffprobe_json(out).expect("ffprobe");
    let audio = stream(&probe, "audio");
    assert_eq!(audio["codec_name"], "mp3", "{audio}");
    assert_eq!(audio["sample_rate"], "48000");
    assert_eq!(audio["channels"], channels);
}

#[test]
fn accuratefast_cuts_mid_gop_with_mp3_in_sync() {
    let rec = rec_m();
    let (start, end) = (M_START + 3_500_000, M_START + 9_200_000);
    let expected = range_numbers(start, end, M_START, M_FIRST_NUMBER, rec.frames);
    let (out, report) = run(
        "mp3_acc_mid",
        CutMode::AccurateFast,
        vec![clip(0, rec, start, end)],
    );
    check_output(&out, &expected);
    check_mp3_track(&out, 2);
    let r = &report.clips[0];
    assert_eq!(r.frames, expected.len() as u64);
    // Head 105..=119 and tail 270..=275 re-encoded, the GOPs between copied.
    assert_eq!(r.reencoded_frames, 15 + 6);
    assert_eq!(r.segments, vec![1, 2, 3, 4]);
}

#[test]
fn roughfast_copies_whole_segments_with_mp3() {
    let rec = rec_q();
    let c = clip(0, rec, Q_START + 3_500_000, Q_START + 9_200_000);
    let expected = segment_numbers(&c.segments, rec, Q_FIRST_NUMBER);
    let (out, report) = run("mp3_rough_mono", CutMode::RoughFast, vec![c]);
    check_output(&out, &expected);
    check_mp3_track(&out, 1);
    assert_eq!(report.clips[0].copied_frames, expected.len() as u64);
}

#[test]
fn accuratefast_joins_mp3_clips_of_two_recordings_in_sync() {
    let (m, p) = (rec_m(), rec_p());
    let ranges = [
        (M_START + 1_200_000, M_START + 3_900_000),
        (P_START + 5_050_000, P_START + 7_500_000),
        (M_START + 20_500_000, M_START + 21_000_000),
    ];
    // P is HEVC: its clip is re-encoded into the first clip's H.264; the
    // audio of all three is copied.
    let clips = vec![
        clip(0, m, ranges[0].0, ranges[0].1),
        clip(1, p, ranges[1].0, ranges[1].1),
        clip(2, m, ranges[2].0, ranges[2].1),
    ];
    let expected = [
        range_numbers(ranges[0].0, ranges[0].1, M_START, M_FIRST_NUMBER, m.frames),
        range_numbers(ranges[1].0, ranges[1].1, P_START, P_FIRST_NUMBER, p.frames),
        range_numbers(ranges[2].0, ranges[2].1, M_START, M_FIRST_NUMBER, m.frames),
    ]
    .concat();
    let (out, report) = run("mp3_acc_three", CutMode::AccurateFast, clips);
    check_output(&out, &expected);
    check_mp3_track(&out, 2);
    let frames: u64 = report.clips.iter().map(|c| c.frames).sum();
    assert_eq!(frames, expected.len() as u64);
}

/// Twenty AccurateFast clips alternating between M (H.264) and P (HEVC,
/// re-encoded to H.264), each starting at a number 19 (mod 30): outside any
/// marker burst and 11 frames before the next marker, so that every join
/// has a marker after it the sync check must find (the first MP3 frame
/// after a join decodes without the frame before it, so a tone that is
/// already sounding there fades in; see `cut::audio`).
#[test]
fn accuratefast_joins_twenty_mp3_clips_without_drift() {
    let (m, p) = (rec_m(), rec_p());
    let mut clips = Vec::new();
    let mut expected = Vec::new();
    for k in 0..20u64 {
        let (rec, start, first) = if k % 2 == 0 {
            (m, M_START, M_FIRST_NUMBER)
        } else {
            (p, P_START, P_FIRST_NUMBER)
        };
        let index = 60 * (k / 2 % 14) + 19 + 30 * (k % 2);
        let len = [22u64, 39, 62][k as usize % 3];
        let at = |i: u64| start + (i as i64 * 1_000_000) / 30;
        let c = clip(
            k as usize,
            rec,
            at(index) - 7_000,
            at(index + len - 1) + 7_000,
        );
        expected.extend((0..len as u32).map(|i| first + index as u32 + i));
        clips.push(c);
    }
    let (out, report) = run("mp3_acc_twenty", CutMode::AccurateFast, clips);
    check_output(&out, &expected);
    check_mp3_track(&out, 2);
    assert_eq!(report.clips.len(), 20);
}

/// Recording R: 1.5 s segments (GOP 15), MP3 stereo 48 kHz: its odd
/// segments start at a number 15 (mod 30), outside any marker burst.
fn rec_r() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("r", |s| {
            s.audio_codec = AudioCodec::Mp3;
            s.gop_frames = 15;
            s.segment_frames = 45;
            s.start_utc_us = R_START;
            s.first_frame_number = R_FIRST_NUMBER;
            s.start_pts = 1_000_000;
        })
    })
}

const R_START: i64 = T0 + 36_000_000_000;
const R_FIRST_NUMBER: u32 = 300_000;

/// RoughFast: ten clips of one segment each, in shuffled order, every
/// join an MP3 splice; markers in sync everywhere.
#[test]
fn roughfast_joins_ten_mp3_segments_in_sync() {
    let r = rec_r();
    let mut clips = Vec::new();
    let mut expected = Vec::new();
    for (k, segment) in [1usize, 7, 3, 13, 5, 9, 17, 11, 15, 19]
        .into_iter()
        .enumerate()
    {
        let seg = &r.segments[segment];
        let c = clip(k, r, seg.utc_start_us + 100_000, seg.utc_start_us + 200_000);
        assert_eq!(c.segments.len(), 1);
        expected.extend(segment_numbers(&c.segments, r, R_FIRST_NUMBER));
        clips.push(c);
    }
    let (out, _) = run("mp3_rough_ten", CutMode::RoughFast, clips);
    check_output(&out, &expected);
    check_mp3_track(&out, 2);
}

#[test]
fn a_clip_with_other_audio_is_refused_naming_it() {
    // MP3 stereo first, then AAC (recording A), then MP3 mono.
    for (second, what) in [(rec_a(), "AAC"), (rec_q(), "1 channels")] {
        let clips = vec![
            clip(0, rec_m(), M_START + 1_000_000, M_START + 2_000_000),
            clip(
                1,
                second,
                second.segments[0].utc_start_us,
                second.segments[1].utc_start_us,
            ),
        ];
        let job = job("mp3_refused", CutMode::AccurateFast, clips);
        let err = livecut_media::cut(&job, &mut |_| {}).expect_err("refused");
        let message = err.to_string();
        assert!(message.contains("clip 1"), "{message}");
        assert!(message.contains(what), "{message}");
        assert!(!job.output.exists(), "nothing written");
    }
}
