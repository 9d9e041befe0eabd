//! Audio-only recordings in every mode, into an MP4 with one audio track,
//! clips joined back to back. The copy modes copy the frames (AAC or MP3):
//! AccurateFast those whose middle lies in each range, RoughFast every frame
//! of the listed segments. The re-encode modes encode AAC on one sample
//! clock: Accurate decodes each range's audio and cuts it to the sample,
//! Rough takes the whole listed segments. Checked through the ffmpeg CLI:
//! one audio stream, no decoder complaint, the frame count, duration and
//! format the report and the first clip give, and every audio marker at its
//! time.

use std::path::Path;

use crate::fixtures::*;
use livecut_media::testgen::{AudioSpec, RecordingSummary};
use livecut_media::{AudioCodec, ClipInput, CutJob, CutMode, CutReport};
use livecut_testkit::oracle;
use serde_json::Value;
use std::sync::OnceLock;

const AAC_START: i64 = T0 + 46_800_000_000;
const MP3_START: i64 = T0 + 50_400_000_000;
/// Mono 44.1 kHz AAC, to join other formats.
const MONO_START: i64 = T0 + 54_000_000_000;

/// One output AAC frame at 48 kHz, in seconds.
const AAC_FRAME_S: f64 = 1024.0 / 48_000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Aac,
    Mp3,
    Mono,
}

fn recording(source: Source) -> &'static RecordingSummary {
    static AAC: OnceLock<RecordingSummary> = OnceLock::new();
    static MP3: OnceLock<RecordingSummary> = OnceLock::new();
    static MONO: OnceLock<RecordingSummary> = OnceLock::new();
    let (cell, name, codec, rate, channels) = match source {
        Source::Aac => (&AAC, "audio_only_aac", AudioCodec::Aac, SAMPLE_RATE, 2),
        Source::Mp3 => (&MP3, "audio_only_mp3", AudioCodec::Mp3, SAMPLE_RATE, 2),
        Source::Mono => (&MONO, "audio_only_mono", AudioCodec::Aac, 44_100, 1),
    };
    cell.get_or_init(|| {
        make_recording(name, |s| {
            s.video = false;
            s.audio_codec = codec;
            s.audio = Some(AudioSpec {
                sample_rate: rate,
                channels,
                bit_rate: 64_000 * u64::from(channels),
            });
            s.start_utc_us = rec_start(source);
            s.start_pts = 3_000_000;
        })
    })
}

fn rec_start(source: Source) -> i64 {
    match source {
        Source::Aac => AAC_START,
        Source::Mp3 => MP3_START,
        Source::Mono => MONO_START,
    }
}

/// A clip of `source` from `from` to `to` us after its start.
fn clip_of(index: usize, source: Source, from: i64, to: i64) -> ClipInput {
    let start = rec_start(source);
    clip(index, recording(source), start + from, start + to)
}

fn run_checked(name: &str, mode: CutMode, clips: &[ClipInput]) -> (std::path::PathBuf, CutReport) {
    let (out, report) = run(name, mode, clips.to_vec());
    assert_eq!(report.clips.len(), clips.len());
    (out, report)
}

fn stream_f64(stream: &Value, key: &str) -> f64 {
    match &stream[key] {
        Value::String(s) => s.parse().expect("a number"),
        Value::Number(n) => n.as_f64().expect("a number"),
        other => panic!("{key}: {other:?}"),
    }
}

/// Checks an audio-only re-encode of `clips` (of `sources`): one AAC
/// stream at `rate` Hz with `channels`, no decoder complaint, clips back
/// to back as long as the report says, an output of `expected_s` seconds
/// within `slack_s`, and every marker (one per second of each recording)
/// at the output instant the report's sample clock gives, within 2 ms.
/// Onsets in a clip's first 150 ms are left out (the first frame after a
/// join may start mid-tone or fade in), markers are required from 300 ms
/// into a clip on.
#[allow(clippy::too_many_arguments)]
fn check_reencoded_audio(
    out: &Path,
    report: &CutReport,
    clips: &[ClipInput],
    sources: &[Source],
    rate: u32,
    channels: u64,
    expected_s: f64,
    slack_s: f64,
) {
    let errors = oracle::decode_errors(out).expect("ffmpeg runs");
    assert!(errors.is_empty(), "decoder errors: {errors:?}");
    let probe = oracle::ffprobe_json(out).expect("ffprobe");
    let streams = probe["streams"].as_array().expect("streams");
    assert_eq!(streams.len(), 1, "audio only: {streams:?}");
    assert_eq!(streams[0]["codec_type"], "audio");
    assert_eq!(streams[0]["codec_name"], "aac");
    assert_eq!(stream_f64(&streams[0], "sample_rate") as u32, rate);
    assert_eq!(streams[0]["channels"].as_u64(), Some(channels));
    let duration = stream_f64(&streams[0], "duration");
    assert!(
        (duration - expected_s).abs() <= slack_s,
        "{duration} s for {expected_s} s (within {slack_s})"
    );
    // The MP4's edit list has millisecond precision.
    assert!(
        (duration - report.duration_us as f64 / 1e6).abs() <= 0.001 + 1.0 / f64::from(rate),
        "{duration} s, reported {} us",
        report.duration_us
    );
    // Back to back: each clip starts where the previous one ends, and as
    // long as its first to last sample.
    let mut ends = Vec::new();
    for (k, r) in report.clips.iter().enumerate() {
        let end = report
            .clips
            .get(k + 1)
            .map_or(report.duration_us, |n| n.output_offset_us);
        let length = (r.last_frame_utc_us - r.first_frame_utc_us) as f64 + 1e6 / f64::from(rate);
        assert!(
            ((end - r.output_offset_us) as f64 - length).abs() <= 2.0,
            "clip {k}: {} us in the output, {length} us of recording",
            end - r.output_offset_us
        );
        ends.push(end as f64 / 1e6);
    }
    assert_eq!(report.clips[0].output_offset_us, 0);
    let onsets = oracle::audio_marker_onsets(out).expect("audio decodes");
    let mut expected = Vec::new();
    let mut windows = Vec::new();
    for ((r, &end), &source) in report.clips.iter().zip(&ends).zip(sources) {
        let clip_start = r.output_offset_us as f64 / 1e6;
        windows.push((clip_start + 0.15, end - 0.01));
        let start = rec_start(source);
        let mut m = start + (r.first_frame_utc_us - start + 999_999) / 1_000_000 * 1_000_000;
        // Markers are scheduled at the recording's (virtual) frames only.
        let scheduled_end = start + recording(source).frames as i64 * 1_000_000 / i64::from(FPS);
        while m <= r.last_frame_utc_us && m < scheduled_end {
            let at = clip_start + (m - r.first_frame_utc_us) as f64 / 1e6;
            if at >= clip_start + 0.3 && at < end - 0.01 {
                expected.push(at);
            }
            m += 1_000_000;
        }
    }
    let tolerance = 0.002;
    assert_onsets_are_markers(onsets, &windows, &expected, tolerance, clips.len());
}

/// The three ranges of the joins, in us after a recording's start.
const RANGES: [(i64, i64); 3] = [
    (2_500_000, 5_700_000),
    (10_350_000, 12_800_000),
    (20_600_000, 21_900_000),
];

fn range_seconds(clips: &[ClipInput]) -> f64 {
    clips
        .iter()
        .map(|c| (c.end_utc_us - c.start_utc_us) as f64 / 1e6)
        .sum()
}

/// Each clip of an Accurate output starts at its range's start, to the
/// microsecond the sample clock allows.
fn check_accurate_edges(report: &CutReport, clips: &[ClipInput], rate: u32) {
    let sample_us = 1e6 / f64::from(rate);
    for (c, r) in clips.iter().zip(&report.clips) {
        assert!(
            ((r.first_frame_utc_us - c.start_utc_us) as f64).abs() <= sample_us,
            "clip {} starts at {} for {}",
            c.index,
            r.first_frame_utc_us,
            c.start_utc_us
        );
        assert!(
            ((c.end_utc_us - r.last_frame_utc_us) as f64 - sample_us).abs() <= sample_us + 1.0,
            "clip {} ends at {} for {}",
            c.index,
            r.last_frame_utc_us,
            c.end_utc_us
        );
        assert_eq!(r.copied_frames, 0);
        assert_eq!(r.reencoded_frames, r.frames);
    }
}

#[test]
fn accurate_cuts_one_range_to_the_sample() {
    for source in [Source::Aac, Source::Mp3] {
        let clips = vec![clip_of(0, source, RANGES[0].0, RANGES[0].1)];
        let (out, report) = run_checked(&format!("acc_one_{source:?}"), CutMode::Accurate, &clips);
        let length = range_seconds(&clips);
        check_reencoded_audio(
            &out,
            &report,
            &clips,
            &[source],
            SAMPLE_RATE,
            2,
            length,
            AAC_FRAME_S,
        );
        check_accurate_edges(&report, &clips, SAMPLE_RATE);
    }
}

#[test]
fn accurate_joins_three_ranges() {
    for source in [Source::Aac, Source::Mp3] {
        let clips: Vec<ClipInput> = RANGES
            .iter()
            .enumerate()
            .map(|(k, &(from, to))| clip_of(k, source, from, to))
            .collect();
        let (out, report) = run_checked(&format!("acc_join_{source:?}"), CutMode::Accurate, &clips);
        check_reencoded_audio(
            &out,
            &report,
            &clips,
            &[source; 3],
            SAMPLE_RATE,
            2,
            range_seconds(&clips),
            AAC_FRAME_S,
        );
        check_accurate_edges(&report, &clips, SAMPLE_RATE);
    }
}

#[test]
fn accurate_joins_other_formats_at_the_first_clips() {
    // Mono 44.1 kHz first: the output is mono 44.1 kHz; the 48 kHz stereo
    // AAC and MP3 clips after it are resampled and downmixed.
    let sources = [Source::Mono, Source::Aac, Source::Mp3];
    let clips: Vec<ClipInput> = RANGES
        .iter()
        .zip(sources)
        .enumerate()
        .map(|(k, (&(from, to), source))| clip_of(k, source, from, to))
        .collect();
    let (out, report) = run_checked("acc_mixed", CutMode::Accurate, &clips);
    check_reencoded_audio(
        &out,
        &report,
        &clips,
        &sources,
        44_100,
        1,
        range_seconds(&clips),
        1024.0 / 44_100.0,
    );
    check_accurate_edges(&report, &clips, 44_100);
}

/// The span of a clip's listed segments, in seconds.
fn segments_seconds(clips: &[ClipInput]) -> f64 {
    clips
        .iter()
        .map(|c| c.segments.iter().map(|s| s.duration_us).sum::<i64>() as f64 / 1e6)
        .sum()
}

#[test]
fn rough_takes_the_whole_segments() {
    for source in [Source::Aac, Source::Mp3] {
        let one = vec![clip_of(0, source, 4_500_000, 5_000_000)];
        let three = vec![
            clip_of(0, source, 4_500_000, 5_000_000),
            clip_of(1, source, 15_000_000, 18_000_000),
            clip_of(2, source, 23_100_000, 23_200_000),
        ];
        for (name, clips) in [("one", one), ("join", three)] {
            let (out, report) =
                run_checked(&format!("rough_{name}_{source:?}"), CutMode::Rough, &clips);
            // Every listed segment's audio: the segments' span, within a
            // source frame at each segment's edges.
            let slack = clips.iter().map(|c| c.segments.len()).sum::<usize>() as f64 * 0.025;
            let sources = vec![source; clips.len()];
            check_reencoded_audio(
                &out,
                &report,
                &clips,
                &sources,
                SAMPLE_RATE,
                2,
                segments_seconds(&clips),
                slack,
            );
            for (c, r) in clips.iter().zip(&report.clips) {
                let first = c.segments[0].utc_start_us;
                assert!(
                    (r.first_frame_utc_us - first).abs() <= 25_000,
                    "clip {} starts at {} for segment start {first}",
                    c.index,
                    r.first_frame_utc_us
                );
                let sequences: Vec<u64> = c.segments.iter().map(|s| s.sequence).collect();
                assert_eq!(r.segments, sequences, "clip {}", c.index);
            }
        }
    }
}

/// The audio-only recording of a copied `codec`.
fn of(codec: AudioCodec) -> Source {
    match codec {
        AudioCodec::Aac => Source::Aac,
        AudioCodec::Mp3 => Source::Mp3,
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
    let start = rec_start(of(codec));
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
    let (rec, start) = (recording(of(codec)), rec_start(of(codec)));
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
        let (rec, start) = (recording(of(codec)), rec_start(of(codec)));
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

fn a_clip_with_video_after_an_audio_only_one_is_refused(mode: CutMode) {
    let clips = vec![
        clip_of(0, Source::Aac, 1_000_000, 2_000_000),
        clip(1, rec_a(), T0 + 1_000_000, T0 + 2_000_000),
    ];
    let job = job(&format!("refused_{mode:?}"), mode, clips);
    let _ = std::fs::remove_file(&job.output);
    let err = livecut_media::cut(&job, &mut |_| {}).expect_err("refused");
    let message = err.to_string();
    assert!(message.contains("clip 1"), "{message}");
    assert!(message.contains("audio-only"), "{message}");
    assert!(!job.output.exists());
}

per_mode!(a_clip_with_video_after_an_audio_only_one_is_refused:
    accurate_fast => AccurateFast, accurate => Accurate, rough => Rough);

#[test]
fn output_size_options_are_ignored() {
    let clips = vec![clip_of(0, Source::Aac, 6_000_000, 8_000_000)];
    let job = CutJob {
        output_width: Some(640),
        output_height: Some(360),
        video_bitrate_kbps: Some(800),
        ..job("sized", CutMode::Accurate, clips.clone())
    };
    let report = run_job(&job);
    check_reencoded_audio(
        &job.output,
        &report,
        &clips,
        &[Source::Aac],
        SAMPLE_RATE,
        2,
        2.0,
        AAC_FRAME_S,
    );
}

#[test]
fn ranges_reaching_past_the_recording_end_where_its_audio_does() {
    // 1 s before the recording's first sample to 1.5 s into it, and the
    // last 1.5 s of its 30 s to 1 s past its end: no silence is added.
    let clips = vec![
        clip_of(0, Source::Aac, -1_000_000, 1_500_000),
        clip_of(1, Source::Aac, 28_500_000, 31_000_000),
    ];
    let (out, report) = run_checked("beyond", CutMode::Accurate, &clips);
    let rec = recording(Source::Aac);
    let last = rec.segments.last().expect("segments");
    let recorded_end = last.utc_start_us + last.duration_us;
    // The recording's audio starts at its first segment's PDT (the
    // encoder's priming frame makes that a frame before the schedule).
    let recorded_start = clips[0].segments[0].utc_start_us;
    assert_eq!(report.clips[0].first_frame_utc_us, recorded_start);
    let head = (AAC_START + 1_500_000 - recorded_start) as f64 / 1e6;
    let tail = (recorded_end - (AAC_START + 28_500_000)) as f64 / 1e6;
    check_reencoded_audio(
        &out,
        &report,
        &clips,
        &[Source::Aac; 2],
        SAMPLE_RATE,
        2,
        head + tail,
        AAC_FRAME_S,
    );
}
