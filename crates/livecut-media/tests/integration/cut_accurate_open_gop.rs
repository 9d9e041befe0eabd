//! Accurate and Rough on HEVC open GOPs: every keyframe after the first is
//! a CRA whose RASL pictures (shown before it, referencing the GOP before)
//! follow it in the segment file. The RASL pictures of a clip's first CRA
//! cannot be decoded and are not frames of the clip; any other RASL
//! picture is, also when the range starts right on it (decoding then
//! starts one GOP earlier).

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use crate::fixtures::*;
use livecut_media::testgen::RecordingSummary;
use livecut_media::{ClipInput, CutMode, VideoCodec};

/// Recording O: A's settings (320x180@30, GOP 30, 2 s segments, 2
/// B-frames, AAC), libx265 with open GOPs, frames numbered from 400000.
const O_START: i64 = T0 + 14_400_000_000;
const O_FIRST_NUMBER: u32 = 400_000;
const O_START_PTS: i64 = 2_000_000;

fn rec_o() -> &'static RecordingSummary {
    static REC: OnceLock<RecordingSummary> = OnceLock::new();
    REC.get_or_init(|| {
        make_recording("o", |s| {
            s.video_codec = VideoCodec::Hevc;
            s.open_gop = true;
            s.start_utc_us = O_START;
            s.first_frame_number = O_FIRST_NUMBER;
            s.start_pts = O_START_PTS;
        })
    })
}

/// Frame numbers of the video packets of a segment file, in file order
/// (ffprobe, no decoding).
fn file_numbers(path: &Path) -> Vec<u32> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["packet=pts", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse::<i64>().ok())
        .map(|pts| O_FIRST_NUMBER + ((pts - O_START_PTS) / 3000) as u32)
        .collect()
}

/// What Rough must output for `segments`: every frame of their files in
/// presentation order, except the leading pictures of the first file's
/// keyframe (shown before it: their references are in the file before).
fn decodable_numbers(rec: &RecordingSummary, clip: &ClipInput) -> Vec<u32> {
    let mut numbers = Vec::new();
    for (i, input) in clip.segments.iter().enumerate() {
        let seg = rec
            .segments
            .iter()
            .find(|s| s.sequence == input.sequence)
            .expect("segment of O");
        let file = file_numbers(&seg.path);
        let key = file[0];
        numbers.extend(file.into_iter().filter(|&n| i > 0 || n >= key));
    }
    numbers.sort_unstable();
    numbers
}

/// The UTC instant of frame `number`, rounded as reports round it.
fn utc_of(number: u32) -> i64 {
    O_START + (i64::from(number - O_FIRST_NUMBER) * 1_000_000 + 15) / 30
}

/// A range start that includes frame `number` (its instant, floored).
fn start_at(number: u32) -> i64 {
    O_START + i64::from(number - O_FIRST_NUMBER) * 1_000_000 / 30
}

#[test]
fn the_recording_has_open_gops() {
    let rec = rec_o();
    // Segment 1 starts with the CRA of frame 60, followed in the file by
    // its RASL pictures 58 and 59 (shown before it).
    let file = file_numbers(&rec.segments[1].path);
    assert_eq!(file[0], O_FIRST_NUMBER + 60);
    assert!(file[1] < file[0], "{file:?}");
}

#[test]
fn rough_drops_only_the_undecodable_leading_pictures_of_the_first_keyframe() {
    let rec = rec_o();
    let c = clip(0, rec, O_START + 2_500_000, O_START + 7_000_000);
    assert_eq!(c.segments.len(), 3);
    let expected = decodable_numbers(rec, &c);
    // From the first CRA (frame 60) on, without a gap, through the last
    // frame of segment 3's file (the RASL of frame 240 are in file 4).
    assert_eq!(expected[0], O_FIRST_NUMBER + 60);
    let count = expected.len() as u32;
    assert_eq!(
        expected,
        (O_FIRST_NUMBER + 60..O_FIRST_NUMBER + 60 + count).collect::<Vec<_>>()
    );
    assert!((177..180).contains(&count), "{count} frames");
    let (out, report) = run("open_rough", CutMode::Rough, vec![c]);
    check_output(&out, &expected);
    check_reencoded_as(&out, HEVC_OUT, 320, 180, u64::from(count), true);
    check_all_reencoded(&report);
    assert_eq!(report.clips[0].frames, u64::from(count));
    assert_eq!(
        report.clips[0].first_frame_utc_us,
        utc_of(O_FIRST_NUMBER + 60)
    );
}

#[test]
fn accurate_starts_on_leading_pictures_by_decoding_the_gop_before() {
    let rec = rec_o();
    // Frame 89 is a RASL picture of the CRA at 90: decoding starts at the
    // CRA of 30. Frame 150 starts a segment: its RASL (148, 149) are
    // decodable after the GOP of 120.
    let (start, end) = (start_at(O_FIRST_NUMBER + 89), O_START + 5_550_000);
    let expected = range_numbers(start, end, O_START, O_FIRST_NUMBER, rec.frames);
    assert_eq!(expected[0], O_FIRST_NUMBER + 89);
    assert_eq!(*expected.last().expect("frames"), O_FIRST_NUMBER + 166);
    let (out, report) = run(
        "open_accurate",
        CutMode::Accurate,
        vec![clip(0, rec, start, end)],
    );
    check_output(&out, &expected);
    check_reencoded_as(&out, HEVC_OUT, 320, 180, expected.len() as u64, true);
    check_all_reencoded(&report);
    assert_eq!(
        report.clips[0].first_frame_utc_us,
        utc_of(O_FIRST_NUMBER + 89)
    );
}

#[test]
fn clips_starting_on_and_after_keyframes_join_with_audio_in_sync() {
    let (rec, a) = (rec_o(), rec_a());
    let ranges = [
        // Starts exactly on a segment's CRA (frame 120).
        (
            start_at(O_FIRST_NUMBER + 120),
            start_at(O_FIRST_NUMBER + 140),
        ),
        (T0 + 3_000_000, T0 + 3_500_000),
        // Starts on the RASL of the CRA at 210, in the middle of a segment.
        (
            start_at(O_FIRST_NUMBER + 208),
            start_at(O_FIRST_NUMBER + 260),
        ),
    ];
    let clips = vec![
        clip(0, rec, ranges[0].0, ranges[0].1),
        clip(1, a, ranges[1].0, ranges[1].1),
        clip(2, rec, ranges[2].0, ranges[2].1),
    ];
    let expected = [
        range_numbers(
            ranges[0].0,
            ranges[0].1,
            O_START,
            O_FIRST_NUMBER,
            rec.frames,
        ),
        range_numbers(ranges[1].0, ranges[1].1, T0, 0, a.frames),
        range_numbers(
            ranges[2].0,
            ranges[2].1,
            O_START,
            O_FIRST_NUMBER,
            rec.frames,
        ),
    ]
    .concat();
    assert_eq!(expected.len(), 20 + 15 + 52);
    assert_eq!(expected[35], O_FIRST_NUMBER + 208);
    let (out, report) = run("open_joins", CutMode::Accurate, clips);
    check_output(&out, &expected);
    check_reencoded_as(&out, HEVC_OUT, 320, 180, expected.len() as u64, true);
    check_all_reencoded(&report);
}
