//! Audio-only recordings in the copy modes: AccurateFast copies the audio
//! frames whose middle lies in each range, RoughFast every frame of the
//! listed segments, into an MP4 with one audio track (AAC or MP3), clips
//! joined back to back. Checked through the ffmpeg CLI: one audio stream,
//! no decoder complaint, the frame count and duration the report gives,
//! and every audio marker at its time.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::*;
use livecut_media::testgen::{AudioSpec, RecordingSummary};
use livecut_media::{AudioCodec, ClipInput, CutMode, CutReport};
use livecut_testkit::oracle;

const AAC_START: i64 = T0 + 46_800_000_000;
const MP3_START: i64 = T0 + 50_400_000_000;

fn recording(codec: AudioCodec) -> &'static RecordingSummary {
    static AAC: OnceLock<RecordingSummary> = OnceLock::new();
    static MP3: OnceLock<RecordingSummary> = OnceLock::new();
    let (cell, name, start) = match codec {
        AudioCodec::Aac => (&AAC, "audio_only_aac", AAC_START),
        AudioCodec::Mp3 => (&MP3, "audio_only_mp3", MP3_START),
    };
    cell.get_or_init(|| {
        make_recording(name, |s| {
            s.video = false;
            s.audio_codec = codec;
            s.audio = Some(AudioSpec {
                sample_rate: SAMPLE_RATE,
                channels: 2,
                bit_rate: 128_000,
            });
            s.start_utc_us = start;
            s.start_pts = 3_000_000;
        })
    })
}

fn rec_start(codec: AudioCodec) -> i64 {
    match codec {
        AudioCodec::Aac => AAC_START,
        AudioCodec::Mp3 => MP3_START,
    }
}

fn frame_us(codec: AudioCodec) -> f64 {
    let samples = match codec {
        AudioCodec::Aac => 1024.0,
        AudioCodec::Mp3 => 1152.0,
    };
    samples * 1e6 / f64::from(SAMPLE_RATE)
}

/// Checks the output of an audio-only job over `clips` of a recording
/// starting at `start` (markers every second from it): the track, the
/// report's frames and offsets, and every marker more than 300 ms into a
/// clip at its place (onsets in a clip's first 150 ms are left out: the
/// first frame after a join fades in, see `cut::audio`).
fn check_audio_only(out: &Path, report: &CutReport, codec: AudioCodec, clips: &[ClipInput]) {
    let errors = oracle::decode_errors(out).expect("ffmpeg runs");
    assert!(errors.is_empty(), "decoder errors: {errors:?}");
    let probe = oracle::ffprobe_json(out).expect("ffprobe");
    let streams = probe["streams"].as_array().expect("streams");
    assert_eq!(streams.len(), 1, "audio only");
    let name = match codec {
        AudioCodec::Aac => "aac",
        AudioCodec::Mp3 => "mp3",
    };
    assert_eq!(streams[0]["codec_name"], name);
    let frame = frame_us(codec);
    // Clips follow each other back to back, each as long as its frames.
    let mut offset = 0.0f64;
    for c in &report.clips {
        assert!(
            (c.output_offset_us as f64 - offset).abs() <= 1.0,
            "clip {} at {} us, want {offset}",
            c.index,
            c.output_offset_us
        );
        offset += c.frames as f64 * frame;
    }
    assert!((report.duration_us as f64 - offset).abs() <= 1.0);
    let onsets = oracle::audio_marker_onsets(out).expect("audio decodes");
    let start = rec_start(codec);
    let mut expected = Vec::new();
    let mut windows = Vec::new();
    for r in &report.clips {
        let clip_start = r.output_offset_us as f64 / 1e6;
        let clip_end = clip_start + r.frames as f64 * frame / 1e6;
        windows.push((clip_start + 0.15, clip_end - 0.01));
        let first_marker = (r.first_frame_utc_us - start + 999_999) / 1_000_000;
        let mut m = start + first_marker * 1_000_000;
        while (m as f64) < r.last_frame_utc_us as f64 + frame {
            let at = clip_start + (m - r.first_frame_utc_us) as f64 / 1e6;
            if at >= clip_start + 0.3 && at < clip_end - 0.01 {
                expected.push(at);
            }
            m += 1_000_000;
        }
    }
    let tolerance = frame / 1e6 + 1e-6;
    assert_onsets_are_markers(onsets, &windows, &expected, tolerance, clips.len());
}

fn accurate_clips(codec: AudioCodec) -> Vec<ClipInput> {
    let (rec, start) = (recording(codec), rec_start(codec));
    [
        (2_500_000, 5_700_000),
        (10_350_000, 12_800_000),
        (20_600_000, 21_900_000),
    ]
    .iter()
    .enumerate()
    .map(|(k, &(from, to))| clip(k, rec, start + from, start + to))
    .collect()
}

#[test]
fn accuratefast_copies_the_frames_of_each_range() {
    for codec in [AudioCodec::Aac, AudioCodec::Mp3] {
        let clips = accurate_clips(codec);
        let (out, report) = run(
            &format!("audio_only_acc_{codec:?}"),
            CutMode::AccurateFast,
            clips.clone(),
        );
        check_audio_only(&out, &report, codec, &clips);
        for (c, r) in clips.iter().zip(&report.clips) {
            // The frames whose middle is in the range: the range's length
            // within a frame.
            let length = (c.end_utc_us - c.start_utc_us) as f64;
            let copied = r.frames as f64 * frame_us(codec);
            assert!(
                (copied - length).abs() <= frame_us(codec),
                "{codec:?} clip {}: {copied} us for {length}",
                c.index
            );
            assert!(r.first_frame_utc_us + (frame_us(codec) / 2.0) as i64 >= c.start_utc_us);
            assert_eq!((r.reencoded_frames, r.copied_frames), (0, r.frames));
        }
    }
}

#[test]
fn roughfast_copies_every_frame_of_the_segments() {
    for codec in [AudioCodec::Aac, AudioCodec::Mp3] {
        let (rec, start) = (recording(codec), rec_start(codec));
        let clips = vec![
            clip(0, rec, start + 4_500_000, start + 5_000_000),
            clip(1, rec, start + 15_000_000, start + 18_000_000),
        ];
        let (out, report) = run(
            &format!("audio_only_rough_{codec:?}"),
            CutMode::RoughFast,
            clips.clone(),
        );
        check_audio_only(&out, &report, codec, &clips);
        assert_eq!(report.clips[0].segments, vec![2]);
        assert_eq!(report.clips[1].segments, vec![7, 8]);
        for (c, r) in clips.iter().zip(&report.clips) {
            // Every frame of the segments: their length within a frame each.
            let length: i64 = c.segments.iter().map(|s| s.duration_us).sum();
            let copied = r.frames as f64 * frame_us(codec);
            assert!(
                (copied - length as f64).abs() <= frame_us(codec) * c.segments.len() as f64,
                "{codec:?} clip {}: {copied} us for {length}",
                c.index
            );
        }
    }
}

#[test]
fn a_clip_with_video_after_an_audio_only_one_is_refused() {
    let rec = recording(AudioCodec::Aac);
    let clips = vec![
        clip(0, rec, AAC_START + 1_000_000, AAC_START + 2_000_000),
        clip(1, rec_a(), T0 + 1_000_000, T0 + 2_000_000),
    ];
    let job = job("audio_only_then_video", CutMode::AccurateFast, clips);
    let _ = std::fs::remove_file(&job.output);
    let err = livecut_media::cut(&job, &mut |_| {}).expect_err("refused");
    let message = err.to_string();
    assert!(message.contains("clip 1"), "{message}");
    assert!(message.contains("audio-only"), "{message}");
    assert!(!job.output.exists());
}
