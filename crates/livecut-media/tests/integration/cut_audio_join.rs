//! The copy modes (AccurateFast, RoughFast) joining clips whose audio
//! formats differ: the first clip's AAC 48 kHz stereo decides the copied
//! track, and the clips of a 44.1 kHz mono AAC recording and of an MP3
//! recording are decoded and encoded again into it (AAC-LC, 48 kHz
//! stereo), cut to their video span. Exact frames, no decoder complaint,
//! every audio marker on its frame (also in the re-encoded clips and right
//! after each join), the output's audio AAC 48 kHz stereo, and the report
//! naming the re-encoded audio. An MP3 track still refuses a clip of other
//! audio, saying why.
//!
//! Every recording numbers its frames from 19 (mod 30), and every clip
//! starts on such a frame (AccurateFast: on a frame whose index is a
//! multiple of 30; RoughFast: segments of 60 frames), so no marker burst
//! starts at a join (see `join_sync.rs`): a tone that leaked across a join,
//! or audio shifted by more than an AAC frame, fails the sync check.

use std::sync::OnceLock;

use crate::fixtures::*;
use livecut_media::testgen::AudioSpec;
use livecut_media::{AudioCodec, ClipInput, CutMode, CutReport};
use livecut_testkit::oracle;

/// 12 s recordings: six 2 s segments.
const FRAMES: u64 = 360;

/// S: AAC 48 kHz stereo (the output's track).
fn rec_s() -> &'static Source {
    static REC: OnceLock<Source> = OnceLock::new();
    REC.get_or_init(|| source("join_s", T0 + 36_000_000_000, 100_009, 5_000_000, |_| {}))
}

/// L: AAC 44.1 kHz mono, GOPs of 20 frames (its clips start mid-GOP).
fn rec_l() -> &'static Source {
    static REC: OnceLock<Source> = OnceLock::new();
    REC.get_or_init(|| {
        source("join_l", T0 + 39_600_000_000, 200_029, 900_000_000, |s| {
            s.gop_frames = 20;
            s.audio = Some(AudioSpec {
                sample_rate: 44_100,
                channels: 1,
                ..AudioSpec::default()
            });
        })
    })
}

/// M: MP3 48 kHz stereo.
fn rec_m() -> &'static Source {
    static REC: OnceLock<Source> = OnceLock::new();
    REC.get_or_init(|| {
        source("join_m", T0 + 43_200_000_000, 300_019, 3_000_000_000, |s| {
            s.audio_codec = AudioCodec::Mp3;
        })
    })
}

fn source(
    name: &str,
    start_utc_us: i64,
    first_number: u32,
    start_pts: i64,
    tweak: impl FnOnce(&mut livecut_media::testgen::RecordingSpec),
) -> Source {
    let rec = make_recording(name, |s| {
        s.total_frames = FRAMES;
        s.start_utc_us = start_utc_us;
        s.first_frame_number = first_number;
        s.start_pts = start_pts;
        tweak(s);
    });
    Source {
        rec,
        start_utc_us,
        first_number,
    }
}

/// The clips: S, L, M, S (joins copied -> re-encoded, re-encoded ->
/// re-encoded of another source format, re-encoded -> copied), as (source,
/// first frame index, frame count). Every first index is a multiple of 30
/// (number 19 mod 30); 62 and 75 frames end mid-GOP and cross into the
/// next segment.
fn layout() -> Vec<(&'static Source, u64, u64)> {
    vec![
        (rec_s(), 30, 62),
        (rec_l(), 90, 75),
        (rec_m(), 120, 62),
        (rec_s(), 210, 75),
    ]
}

/// The clips of `layout`, each from 7 ms before its first frame to 7 ms
/// after its last, with the overlapping segments.
fn clips() -> Vec<(ClipInput, &'static Source)> {
    layout()
        .into_iter()
        .enumerate()
        .map(|(i, (src, first, len))| {
            let start = src.frame_utc_us(first) - 7_000;
            let end = src.frame_utc_us(first + len - 1) + 7_000;
            (clip(i, &src.rec, start, end), src)
        })
        .collect()
}

/// The output's audio must be the copied AAC 48 kHz stereo.
fn check_aac_track(out: &std::path::Path) {
    let probe = oracle::ffprobe_json(out).expect("ffprobe");
    let audio = stream(&probe, "audio");
    assert_eq!(audio["codec_name"], "aac", "{audio}");
    assert_eq!(audio["profile"], "LC", "{audio}");
    assert_eq!(audio["sample_rate"], "48000", "{audio}");
    assert_eq!(audio["channels"], 2, "{audio}");
}

/// The L and M clips say their audio was re-encoded, the S clips do not.
fn check_notes(report: &CutReport) {
    let note = |i: usize| {
        report.clips[i]
            .notes
            .iter()
            .find(|n| n.starts_with("audio re-encoded"))
            .cloned()
    };
    assert_eq!(
        note(1).as_deref(),
        Some(
            "audio re-encoded from AAC 44100 Hz, 1 channels to the output's AAC 48000 Hz, 2 channels"
        ),
        "{:?}",
        report.clips[1].notes
    );
    assert_eq!(
        note(2).as_deref(),
        Some(
            "audio re-encoded from MP3 48000 Hz, 2 channels to the output's AAC 48000 Hz, 2 channels"
        ),
        "{:?}",
        report.clips[2].notes
    );
    for i in [0, 3] {
        assert_eq!(note(i), None, "clip {i}: {:?}", report.clips[i].notes);
    }
}

#[test]
fn accuratefast_reencodes_other_audio_formats_in_sync() {
    let clips = clips();
    let mut expected = Vec::new();
    for ((c, src), (_, first, len)) in clips.iter().zip(layout()) {
        let numbers = src.range_numbers(c);
        let want = src.numbers(first, first + len);
        assert_eq!(numbers, want, "the test's own arithmetic");
        assert_eq!(numbers[0] % 30, 19);
        expected.extend(numbers);
    }
    let (out, report) = run(
        "audio_join_acc",
        CutMode::AccurateFast,
        clips.into_iter().map(|(c, _)| c).collect(),
    );
    check_output(&out, &expected);
    check_aac_track(&out);
    check_notes(&report);
}

#[test]
fn roughfast_reencodes_other_audio_formats_in_sync() {
    let clips = clips();
    let mut expected = Vec::new();
    for (c, src) in &clips {
        let numbers = segment_numbers(&c.segments, &src.rec, src.first_number);
        assert_eq!(numbers[0] % 30, 19);
        expected.extend(numbers);
    }
    let (out, report) = run(
        "audio_join_rough",
        CutMode::RoughFast,
        clips.into_iter().map(|(c, _)| c).collect(),
    );
    check_output(&out, &expected);
    check_aac_track(&out);
    check_notes(&report);
}

#[test]
fn an_mp3_track_still_refuses_other_audio_saying_why() {
    let (m, l) = (rec_m(), rec_l());
    let clips = vec![
        clip(0, &m.rec, m.frame_utc_us(30), m.frame_utc_us(60)),
        clip(1, &l.rec, l.frame_utc_us(30), l.frame_utc_us(60)),
    ];
    let job = job("audio_join_refused", CutMode::AccurateFast, clips);
    let err = livecut_media::cut(&job, &mut |_| {}).expect_err("refused");
    let message = err.to_string();
    for part in [
        "clip 1",
        "AAC 44100 Hz, 1 channels",
        "only an AAC-LC track can take re-encoded audio, and the output's is MP3 48000 Hz",
    ] {
        assert!(message.contains(part), "{message}");
    }
    assert!(!job.output.exists(), "nothing written");
}
