//! Open GOPs: x264 `open-gop` (non-IDR I keyframes with a recovery point)
//! and x265's default (CRA keyframes with RASL pictures). Their leading
//! pictures are shown before their keyframe but reference the GOP before:
//! every mode must output exactly the selected frames, the copied ones
//! bit-identical to the source (a leading picture decoded against the
//! wrong references would differ without any decoder error).

use std::sync::OnceLock;

use crate::fixtures::*;
use livecut_media::testgen::RecordingSummary;
use livecut_media::{ClipInput, CutMode, VideoCodec};
use livecut_testkit::oracle;

/// 20 s, GOPs of 30 frames (1 s), 2 s segments, 2 B-frames, open GOPs.
fn open_recording(codec: VideoCodec) -> &'static RecordingSummary {
    static H264: OnceLock<RecordingSummary> = OnceLock::new();
    static HEVC: OnceLock<RecordingSummary> = OnceLock::new();
    let cell = match codec {
        VideoCodec::H264 => &H264,
        VideoCodec::Hevc => &HEVC,
    };
    cell.get_or_init(|| {
        make_recording(&format!("open_{}", codec.name()), |s| {
            s.video_codec = codec;
            s.open_gop = true;
            s.total_frames = 600;
        })
    })
}

/// Instant of frame `n` of a recording starting at T0 (30 fps), floored
/// to the microsecond: a range from `at(a)` to `at(b)` holds frames a..b.
fn at(n: i64) -> i64 {
    T0 + n * 1_000_000 / 30
}

/// A clip for the accurate modes: the overlapping segments and the one
/// after them, which codes the leading pictures shown at the range's end.
fn accurate_clip(index: usize, rec: &RecordingSummary, start: i64, end: i64) -> ClipInput {
    with_lookahead(rec, clip(index, rec, start, end))
}

/// What RoughFast gives for `clip`: every frame coded in its segments,
/// except the leading pictures of the first segment's keyframe (their
/// references are in the segment before, which is not listed).
fn rough_expectation(rec: &RecordingSummary, clip: &ClipInput) -> Vec<u32> {
    let first = rec
        .segments
        .iter()
        .position(|s| s.sequence == clip.segments[0].sequence)
        .expect("listed");
    let last = first + clip.segments.len() - 1;
    let start = rec.segments[first].first_frame_index;
    let mut end = rec.segments[last].first_frame_index + rec.segments[last].frames;
    if let Some(next) = rec.segments.get(last + 1) {
        // The next segment codes the last few frames shown before it.
        end -= u64::from(oracle::leading_pictures(&next.path).expect("ffprobe"));
    }
    (start as u32..end as u32).collect()
}

fn check_accuratefast(codec: VideoCodec, name: &str, first: i64, end: i64) {
    let rec = open_recording(codec);
    let expected: Vec<u32> = (first as u32..end as u32).collect();
    let (out, report) = run(
        &format!("open_{}_{name}", codec.name()),
        CutMode::AccurateFast,
        vec![accurate_clip(0, rec, at(first), at(end))],
    );
    let video = check_output(&out, &expected);
    let r = &report.clips[0];
    assert_eq!(r.frames as usize, expected.len());
    assert_eq!(
        identical_frames(&out, &video, &source_md5s(rec), 0),
        r.copied_frames,
        "every copied frame is bit-identical to the source"
    );
}

#[test]
fn the_recordings_really_have_open_gops() {
    for codec in [VideoCodec::H264, VideoCodec::Hevc] {
        let rec = open_recording(codec);
        let leading = oracle::leading_pictures(&rec.segments[3].path).expect("ffprobe");
        assert!(
            leading > 0,
            "{codec:?}: segment 3 starts with leading pictures"
        );
        let first = oracle::leading_pictures(&rec.segments[0].path).expect("ffprobe");
        assert_eq!(first, 0, "{codec:?}: the recording starts closed");
    }
}

#[test]
fn accuratefast_mid_gop_edges() {
    for codec in [VideoCodec::H264, VideoCodec::Hevc] {
        check_accuratefast(codec, "mid", 105, 277);
    }
}

#[test]
fn accuratefast_edges_among_leading_pictures() {
    for codec in [VideoCodec::H264, VideoCodec::Hevc] {
        // Frame 59 is a leading picture of keyframe 60, 119 of 120.
        check_accuratefast(codec, "leading", 59, 119);
    }
}

#[test]
fn accuratefast_edges_on_keyframes() {
    for codec in [VideoCodec::H264, VideoCodec::Hevc] {
        // Keyframe 60's leading pictures are not selected; the clip ends
        // right before keyframe 150, whose leading pictures are selected.
        check_accuratefast(codec, "keys", 60, 150);
    }
}

#[test]
fn roughfast_copies_every_decodable_frame_of_the_segments() {
    for codec in [VideoCodec::H264, VideoCodec::Hevc] {
        let rec = open_recording(codec);
        let c = clip(0, rec, at(130), at(250));
        let expected = rough_expectation(rec, &c);
        let (out, report) = run(
            &format!("open_{}_rough", codec.name()),
            CutMode::RoughFast,
            vec![c],
        );
        let video = check_output(&out, &expected);
        assert_eq!(report.clips[0].reencoded_frames, 0);
        assert_eq!(
            identical_frames(&out, &video, &source_md5s(rec), 0),
            expected.len() as u64
        );
    }
}

#[test]
fn accurate_re_encodes_exactly_the_selected_frames() {
    for codec in [VideoCodec::H264, VideoCodec::Hevc] {
        let rec = open_recording(codec);
        let (out, _) = run(
            &format!("open_{}_accurate", codec.name()),
            CutMode::Accurate,
            vec![accurate_clip(0, rec, at(59), at(152))],
        );
        check_output(&out, &(59..152).collect::<Vec<_>>());
    }
}

#[test]
fn open_and_closed_gop_clips_join() {
    let open = open_recording(VideoCodec::H264);
    let closed = rec_a();
    let clips = vec![
        accurate_clip(0, open, at(59), at(95)),
        clip(1, closed, at(100), at(131)),
        accurate_clip(2, open, at(178), at(242)),
    ];
    let mut expected: Vec<u32> = (59..95).collect();
    expected.extend(100..131);
    expected.extend(178..242);
    let (out, _) = run("open_join_af", CutMode::AccurateFast, clips);
    check_output(&out, &expected);
}

#[test]
fn roughfast_joins_open_gop_clips() {
    for codec in [VideoCodec::H264, VideoCodec::Hevc] {
        let rec = open_recording(codec);
        let a = clip(0, rec, at(130), at(200));
        let b = clip(1, rec, at(40), at(100));
        let mut expected = rough_expectation(rec, &a);
        expected.extend(rough_expectation(rec, &b));
        let (out, _) = run(
            &format!("open_{}_rough_join", codec.name()),
            CutMode::RoughFast,
            vec![a, b],
        );
        check_output(&out, &expected);
    }
}

#[test]
fn an_unreadable_segment_after_the_range_is_left_out() {
    let rec = open_recording(VideoCodec::Hevc);
    let mut c = accurate_clip(0, rec, at(59), at(117));
    let junk = output("junk_lookahead").with_extension("ts");
    std::fs::write(&junk, vec![0x47u8; 188 * 3]).expect("write");
    let last = c.segments.len() - 1;
    c.segments[last].path = junk;
    let (out, _) = run(
        "open_lookahead_junk",
        CutMode::AccurateFast,
        vec![c.clone()],
    );
    check_output(&out, &(59..117).collect::<Vec<_>>());
    c.segments[last].path = "/nonexistent/seg.ts".into();
    let (out, _) = run("open_lookahead_gone", CutMode::Accurate, vec![c]);
    check_output(&out, &(59..117).collect::<Vec<_>>());
}
