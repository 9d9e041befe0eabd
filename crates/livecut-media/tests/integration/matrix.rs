//! The media engine's matrix: every mode × {H.264, HEVC} × {with audio,
//! video only} × {one clip, five clips from two streams made with different
//! encoder settings}, plus twenty-clip joins. Every output decodes with no
//! error; the accurate modes hold exactly the frames of the ranges, the
//! rough modes exactly those of the overlapping segments; re-encoded
//! outputs have exactly the requested size; audio markers sit on their
//! frames, within one AAC frame, through every join.
//!
//! Stream A: veryfast, CRF 23, 2 B-frames, GOP 30. Stream B: ultrafast,
//! CRF 30, no B-frames, GOP 15, another clock, PTS origin and numbering; for
//! H.264 both use SPS/PPS id 0 with different content, so the copy modes
//! must carry the sets in-band.
//!
//! Every clip starts and ends mid-GOP, on a frame whose number is 19
//! (mod 30): 11 frames before the next audio marker, so no marker tone is
//! cut in two at a join. A's frames are numbered from 10 and B's from 50000,
//! so no segment starts on a marker either (the rough modes join whole
//! segments).

use std::sync::OnceLock;

use crate::fixtures::*;
use livecut_media::testgen::RateControl;
use livecut_media::{ClipInput, CutMode, VideoCodec};
use livecut_testkit::oracle;

const FRAMES: u64 = 600;

/// Stream A or B of `codec`, with or without audio.
fn source(codec: VideoCodec, b: bool, audio: bool) -> &'static Source {
    static CELLS: [OnceLock<Source>; 8] = [const { OnceLock::new() }; 8];
    let slot = usize::from(codec == VideoCodec::Hevc) * 4 + usize::from(b) * 2 + usize::from(audio);
    CELLS[slot].get_or_init(|| {
        let name = format!(
            "matrix_{}_{}_{}",
            codec.name(),
            if b { "b" } else { "a" },
            if audio { "av" } else { "v" }
        );
        let rec = make_recording(&name, |s| {
            s.video_codec = codec;
            s.total_frames = FRAMES;
            if !audio {
                s.audio = None;
            }
            s.first_frame_number = 10;
            if b {
                s.x264_preset = "ultrafast".into();
                s.rate = RateControl::Crf(30.0);
                s.bframes = 0;
                s.gop_frames = 15;
                s.start_utc_us = B_START;
                s.first_frame_number = B_FIRST_NUMBER;
                s.start_pts = 5_000_000;
            }
        });
        Source {
            rec,
            start_utc_us: if b { B_START } else { T0 },
            first_number: if b { B_FIRST_NUMBER } else { 10 },
        }
    })
}

const MODES: [CutMode; 4] = [
    CutMode::RoughFast,
    CutMode::Rough,
    CutMode::AccurateFast,
    CutMode::Accurate,
];

fn accurate(mode: CutMode) -> bool {
    matches!(mode, CutMode::Accurate | CutMode::AccurateFast)
}

fn reencodes(mode: CutMode) -> bool {
    matches!(mode, CutMode::Accurate | CutMode::Rough)
}

/// Runs `clips` (each with its source and frame range) in every mode and
/// checks the outputs.
fn run_matrix(name: &str, audio: bool, clips: &[(&Source, u64, u64)], size: (u32, u32)) {
    let inputs: Vec<ClipInput> = clips
        .iter()
        .enumerate()
        .map(|(i, (src, from, to))| src.clip(i, *from, *to))
        .collect();
    for mode in MODES {
        let expected: Vec<u32> = if accurate(mode) {
            clips
                .iter()
                .flat_map(|(src, from, to)| src.numbers(*from, *to))
                .collect()
        } else {
            clips
                .iter()
                .zip(&inputs)
                .flat_map(|((src, _, _), c)| {
                    segment_numbers(&c.segments, &src.rec, src.first_number)
                })
                .collect()
        };
        let label = format!("{name}_{mode:?}");
        let mut job = job(&label, mode, inputs.clone());
        if reencodes(mode) {
            job.output_width = Some(size.0);
            job.output_height = Some(size.1);
        }
        let report = run_job(&job);
        check_output_with(&job.output, &expected, (FPS, 1), audio);
        let json = oracle::ffprobe_json(&job.output).expect("ffprobe");
        let video = &json["streams"][0];
        let want = if reencodes(mode) { size } else { (320, 180) };
        assert_eq!(
            (video["width"].as_u64(), video["height"].as_u64()),
            (Some(u64::from(want.0)), Some(u64::from(want.1))),
            "{label}"
        );
        assert_eq!(report.clips.len(), clips.len(), "{label}");
        let frames: u64 = report.clips.iter().map(|c| c.frames).sum();
        assert_eq!(frames as usize, expected.len(), "{label}");
    }
}

fn one_clip(codec: VideoCodec, audio: bool) {
    let a = source(codec, false, audio);
    run_matrix(
        &format!("one_{}_{audio}", codec.name()),
        audio,
        &[(a, 69, 219)],
        (256, 144),
    );
}

fn five_clips(codec: VideoCodec, audio: bool) {
    let (a, b) = (source(codec, false, audio), source(codec, true, audio));
    // Numbers 19 (mod 30) are A's indices 9 and B's indices 29 (mod 30).
    run_matrix(
        &format!("five_{}_{audio}", codec.name()),
        audio,
        &[
            (a, 39, 129),
            (b, 119, 209),
            (a, 249, 339),
            (b, 359, 449),
            (a, 459, 549),
        ],
        (480, 270),
    );
}

#[test]
fn h264_one_clip_with_audio() {
    one_clip(VideoCodec::H264, true);
}

#[test]
fn h264_one_clip_video_only() {
    one_clip(VideoCodec::H264, false);
}

#[test]
fn h264_five_clips_with_audio() {
    five_clips(VideoCodec::H264, true);
}

#[test]
fn h264_five_clips_video_only() {
    five_clips(VideoCodec::H264, false);
}

#[test]
fn hevc_one_clip_with_audio() {
    one_clip(VideoCodec::Hevc, true);
}

#[test]
fn hevc_one_clip_video_only() {
    one_clip(VideoCodec::Hevc, false);
}

#[test]
fn hevc_five_clips_with_audio() {
    five_clips(VideoCodec::Hevc, true);
}

#[test]
fn hevc_five_clips_video_only() {
    five_clips(VideoCodec::Hevc, false);
}

/// Twenty one-second clips alternating between A and B: the audio markers
/// stay on their frames through all nineteen joins, in every mode.
fn twenty_clips(codec: VideoCodec) {
    let (a, b) = (source(codec, false, true), source(codec, true, true));
    let clips: Vec<(&Source, u64, u64)> = (0..20u64)
        .map(|k| {
            let round = 60 * (k / 2);
            if k % 2 == 0 {
                (a, 9 + round, 39 + round)
            } else {
                (b, 29 + round, 59 + round)
            }
        })
        .collect();
    run_matrix(
        &format!("twenty_{}", codec.name()),
        true,
        &clips,
        (320, 180),
    );
}

#[test]
fn h264_twenty_clips() {
    twenty_clips(VideoCodec::H264);
}

#[test]
fn hevc_twenty_clips() {
    twenty_clips(VideoCodec::Hevc);
}
