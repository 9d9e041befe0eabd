//! Cover images: the JPEG shows exactly the frame on screen at the cover
//! instant (read back from the picture by the ffmpeg CLI), at the
//! requested size, and bad inputs fail with the right code.

use std::path::PathBuf;

use crate::fixtures::*;
use livecut_media::testgen::RecordingSummary;
use livecut_media::{CoverReport, CoverRequest, MediaError, SegmentInput, cover};
use livecut_testkit::oracle;

const PTS_WRAP: i64 = 1 << 33;

fn jpeg(name: &str) -> PathBuf {
    output(name).with_extension("jpg")
}

/// Frame timing of a recording: start instant, rate and first number.
#[derive(Clone, Copy)]
struct Timing {
    start: i64,
    fps: (u32, u32),
    first_number: u32,
}

const A: Timing = Timing {
    start: T0,
    fps: (FPS, 1),
    first_number: 0,
};

impl Timing {
    /// Index of the last frame presented at or before `at`.
    fn on_screen(&self, at: i64) -> u32 {
        let num = i128::from(at - self.start) * i128::from(self.fps.0);
        let den = 1_000_000 * i128::from(self.fps.1);
        u32::try_from(num.div_euclid(den)).expect("after the start")
    }

    /// Presentation instant of frame `index`, rounded to the microsecond.
    fn frame_utc(&self, index: u32) -> i64 {
        let num = i128::from(index) * 1_000_000 * i128::from(self.fps.1);
        let den = i128::from(self.fps.0);
        self.start + i64::try_from((num + den / 2) / den).expect("fits")
    }

    /// The first microsecond at or after frame `index`'s instant.
    fn frame_ceil(&self, index: u32) -> i64 {
        let num = i128::from(index) * 1_000_000 * i128::from(self.fps.1);
        let den = i128::from(self.fps.0);
        self.start + i64::try_from((num + den - 1) / den).expect("fits")
    }
}

fn request(name: &str, segments: Vec<SegmentInput>, at: i64) -> CoverRequest {
    CoverRequest {
        clip_index: 2,
        segments,
        at_utc_us: at,
        output: jpeg(name),
        width: None,
        height: None,
    }
}

/// The segments a clip of `rec` around `at` would list.
fn around(rec: &RecordingSummary, at: i64) -> Vec<SegmentInput> {
    rec.inputs_overlapping(at - 3_000_000, at + 3_000_000)
}

/// Makes the cover and checks the frame it shows and the reported time.
fn check(name: &str, timing: Timing, req: &CoverRequest) -> CoverReport {
    let report = cover(req).unwrap_or_else(|e| panic!("{name}: {e}"));
    let index = timing.on_screen(req.at_utc_us);
    let shown = oracle::read_jpeg_number(&req.output).expect("the oracle decodes the JPEG");
    assert_eq!(
        shown,
        Some(timing.first_number + index),
        "{name}: cover at {} us",
        req.at_utc_us - timing.start
    );
    assert_eq!(report.frame_utc_us, timing.frame_utc(index), "{name}");
    report
}

#[test]
fn the_cover_is_the_frame_on_screen_at_the_instant() {
    let rec = rec_a();
    let cases: Vec<(&str, i64)> = vec![
        ("first_frame", T0),
        ("exact_idr_mid_segment", T0 + 3_000_000),
        ("just_before_the_next_frame", A.frame_ceil(101) - 1),
        ("segment_first_frame", T0 + 4_000_000),
        ("last_of_previous_segment", T0 + 4_000_000 - 1),
        ("last_segment", T0 + 29_000_000),
        ("last_frame", A.frame_ceil(899)),
    ];
    for (name, at) in cases {
        let report = check(name, A, &request(name, around(rec, at), at));
        assert_eq!((report.width, report.height), (320, 180), "{name}");
    }
    assert_eq!(A.on_screen(A.frame_ceil(101) - 1), 100);
    assert_eq!(A.on_screen(T0 + 4_000_000 - 1), 119);
}

#[test]
fn every_frame_of_a_gop_is_reachable() {
    // GOP 30 with 2 B-frames: I, P and (referenced and disposable) B
    // frames, each on its exact instant and one microsecond before it.
    let rec = rec_a();
    for index in 61..=72 {
        let on = A.frame_ceil(index);
        for at in [on, on - 1] {
            let name = format!("gop_{index}_{}", on - at);
            check(&name, A, &request(&name, around(rec, at), at));
        }
    }
}

#[test]
fn after_the_last_frame_the_last_frame_stays() {
    let rec = rec_a();
    let segments = rec.inputs_overlapping(T0 + 27_000_000, T0 + 30_000_000);
    let at = T0 + 60_000_000;
    let report = cover(&request("after_end", segments, at)).expect("cover");
    let shown = oracle::read_jpeg_number(&jpeg("after_end")).expect("oracle");
    assert_eq!(shown, Some(899));
    assert_eq!(report.frame_utc_us, A.frame_utc(899));
}

#[test]
fn rounded_playlist_times_send_the_search_to_the_neighbour() {
    // 29.97 fps with 40-frame segments: PROGRAM-DATE-TIMEs are rounded to
    // the millisecond, segment 1's up (1334.667 -> 1335 ms) and segment
    // 2's down (2669.333 -> 2669 ms).
    let rec = make_recording("cover_ntsc", |s| {
        s.fps_num = 30_000;
        s.fps_den = 1001;
        s.gop_frames = 40;
        s.segment_frames = 40;
        s.total_frames = 240;
    });
    let ntsc = Timing {
        start: T0,
        fps: (30_000, 1001),
        first_number: 0,
    };
    let all: Vec<SegmentInput> = rec
        .segments
        .iter()
        .map(livecut_media::testgen::GeneratedSegment::to_input)
        .collect();
    assert_eq!(all[1].utc_start_us, T0 + 1_335_000);
    assert_eq!(all[2].utc_start_us, T0 + 2_669_000);
    // Segment 0 by its PDT, but frame 40 of segment 1 is already shown.
    let forward = T0 + 1_334_800;
    check(
        "ntsc_forward",
        ntsc,
        &request("ntsc_forward", all.clone(), forward),
    );
    assert_eq!(ntsc.on_screen(forward), 40);
    // Segment 2 by its PDT, but its first frame is not shown yet.
    let back = T0 + 2_669_200;
    check("ntsc_back", ntsc, &request("ntsc_back", all.clone(), back));
    assert_eq!(ntsc.on_screen(back), 79);
    // A run that starts mid-recording anchors on its own first segment.
    let later = all[3..].to_vec();
    let at = ntsc.frame_ceil(200);
    let report = cover(&request("ntsc_later", later, at)).expect("cover");
    assert_eq!(
        oracle::read_jpeg_number(&jpeg("ntsc_later")).expect("oracle"),
        Some(200)
    );
    // The anchor is segment 3's millisecond PDT: within half a millisecond.
    assert!((report.frame_utc_us - ntsc.frame_utc(200)).abs() <= 500);
}

#[test]
fn covers_across_the_pts_wrap() {
    let rec = make_recording("cover_wrap", |s| {
        s.start_pts = PTS_WRAP - 5 * 90_000;
        s.total_frames = 360;
    });
    // The run starts before the wrap (4 s), the frame is after it (7 s).
    for at in [T0 + 7_000_000, T0 + 5_000_000, T0 + 5_000_000 - 1] {
        let name = format!("wrap_{}", at - T0);
        let segments = rec.inputs_overlapping(T0 + 4_000_000, T0 + 10_000_000);
        check(&name, A, &request(&name, segments, at));
    }
}

#[test]
fn a_gap_between_runs_shows_the_last_frame_before_it() {
    let a = rec_a();
    let b = rec_b();
    let mut segments = a.inputs_overlapping(T0 + 26_000_000, T0 + 30_000_000);
    let mut after = b.inputs_overlapping(B_START, B_START + 4_000_000);
    after[0].discontinuity = true;
    segments.extend(after);
    let timing_b = Timing {
        start: B_START,
        fps: (FPS, 1),
        first_number: B_FIRST_NUMBER,
    };
    let at = B_START + 1_000_000;
    check("gap_b", timing_b, &request("gap_b", segments.clone(), at));
    for (name, at) in [("gap_middle", T0 + 1_800_000_000), ("gap_end", B_START - 1)] {
        let report = cover(&request(name, segments.clone(), at)).expect("cover");
        assert_eq!(
            oracle::read_jpeg_number(&jpeg(name)).expect("oracle"),
            Some(899),
            "{name}"
        );
        assert_eq!(report.frame_utc_us, A.frame_utc(899), "{name}");
    }
}

/// Rows `y0..y1`, columns `x0..x1` of a gray picture.
fn crop(p: &oracle::GrayPicture, x0: u32, x1: u32, y0: u32, y1: u32) -> Vec<u8> {
    (y0..y1)
        .flat_map(|y| {
            let row = (y * p.width) as usize;
            p.pixels[row + x0 as usize..row + x1 as usize].to_vec()
        })
        .collect()
}

#[test]
fn sizes_follow_the_fit_and_pad_rule() {
    let rec = rec_a();
    let at = T0 + 5_000_000;
    let cases = [
        ("size_source", None, None, (320u32, 180u32)),
        ("size_width", Some(160), None, (160, 90)),
        // 120 * 16 / 9 = 213.3 -> 214 (even).
        ("size_height", None, Some(120), (214, 120)),
        ("size_box_same_aspect", Some(640), Some(360), (640, 360)),
    ];
    for (name, width, height, want) in cases {
        let req = CoverRequest {
            width,
            height,
            ..request(name, around(rec, at), at)
        };
        let report = check(name, A, &req);
        assert_eq!((report.width, report.height), want, "{name}");
        let picture = oracle::decode_image_gray(&req.output).expect("oracle");
        assert_eq!((picture.width, picture.height), want, "{name}: JPEG size");
    }
}

#[test]
fn a_box_of_another_shape_is_padded_black_around_the_picture() {
    let rec = rec_a();
    let at = T0 + 5_000_000;
    // (name, box, picture rectangle x0, x1, y0, y1)
    let cases = [
        // 200 x 112 picture, bars of 44 rows above and below.
        ("pad_square", (200, 200), (0, 200, 44, 156)),
        // Odd box: a 180 x 101 picture, 10 columns left, 11 right.
        ("pad_odd", (201, 101), (10, 190, 0, 101)),
    ];
    for (name, (w, h), (x0, x1, y0, y1)) in cases {
        let req = CoverRequest {
            width: Some(w),
            height: Some(h),
            ..request(name, around(rec, at), at)
        };
        let report = cover(&req).expect("cover");
        assert_eq!((report.width, report.height), (w, h), "{name}");
        let picture = oracle::decode_image_gray(&req.output).expect("oracle");
        assert_eq!((picture.width, picture.height), (w, h), "{name}");
        let inside = crop(&picture, x0, x1, y0, y1);
        assert_eq!(
            livecut_pattern::read_frame_number(&inside, x1 - x0, y1 - y0),
            Some(A.on_screen(at)),
            "{name}: the picture sits where the rule puts it"
        );
        // The bars, away from the JPEG blocks they share with the picture.
        let margin = 8;
        let bars = [
            crop(&picture, 0, w, 0, y0.saturating_sub(margin)),
            crop(&picture, 0, w, (y1 + margin).min(h), h),
            crop(&picture, 0, x0.saturating_sub(margin), 0, h),
            crop(&picture, (x1 + margin).min(w), w, 0, h),
        ];
        for bar in bars {
            assert!(bar.iter().all(|&v| v <= 24), "{name}: bars are black");
        }
    }
}

fn fail(name: &str, req: &CoverRequest) -> MediaError {
    let _ = std::fs::remove_file(&req.output);
    let err = cover(req).expect_err("the cover must fail");
    eprintln!("{name}: {:?} {err}", fault(&err));
    assert_nothing_written(&req.output, name);
    err
}

#[test]
fn an_instant_before_the_first_frame_is_resource_not_found() {
    let rec = rec_a();
    let at = T0 - 1;
    let err = fail("before", &request("before", around(rec, at), at));
    assert_eq!(fault(&err), Fault::NotRecorded, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("clip 2") && text.contains(&at.to_string()),
        "{text}"
    );

    let err = fail("no_segments", &request("no_segments", Vec::new(), T0));
    assert_eq!(fault(&err), Fault::NotRecorded, "{err}");
}

#[test]
fn a_corrupt_segment_is_resource_content_bad_naming_it() {
    let rec = rec_a();
    let at = T0 + 5_000_000;
    let mut segments = around(rec, at);
    let target = segments
        .iter()
        .position(|s| s.utc_start_us == T0 + 4_000_000)
        .expect("the segment at 4 s");
    segments[target].path = junk_segment("cover_junk", 0x9e37_79b9, 100_000);
    segments[target].uri = "junk00002.ts".into();
    let err = fail("corrupt", &request("corrupt", segments, at));
    assert_eq!(fault(&err), Fault::Damaged, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("clip 2") && text.contains("junk00002.ts"),
        "{text}"
    );
}

#[test]
fn only_the_segments_needed_are_read() {
    // A damaged segment late in the clip does not matter for a cover in
    // its first seconds.
    let rec = rec_a();
    let mut segments = rec.inputs_overlapping(T0, T0 + 12_000_000);
    let last = segments.len() - 1;
    segments[last].path = junk_segment("cover_junk_late", 0x9e37_79b9, 100_000);
    let at = T0 + 1_500_000;
    check("unread_junk", A, &request("unread_junk", segments, at));
}

#[test]
fn a_missing_segment_is_resource_not_found_naming_it() {
    let rec = rec_a();
    let at = T0 + 5_000_000;
    let mut segments = around(rec, at);
    for s in &mut segments {
        s.path = s.path.with_file_name("gone.ts");
        s.uri = "gone.ts".into();
    }
    let err = fail("missing", &request("missing", segments, at));
    assert_eq!(fault(&err), Fault::NotRecorded, "{err}");
    assert!(err.to_string().contains("gone.ts"), "{err}");
}

#[test]
fn impossible_sizes_are_invalid_parameters() {
    let rec = rec_a();
    let at = T0 + 5_000_000;
    for (name, width, height) in [
        ("size_zero", Some(0), None),
        ("size_huge", None, Some(100_000)),
    ] {
        let req = CoverRequest {
            width,
            height,
            ..request(name, around(rec, at), at)
        };
        let err = fail(name, &req);
        assert_eq!(fault(&err), Fault::BadJob, "{name}: {err}");
    }
}

#[test]
fn covers_of_hevc_and_of_open_gops_including_their_leading_pictures() {
    use livecut_media::VideoCodec;
    for (codec, open) in [
        (VideoCodec::Hevc, false),
        (VideoCodec::Hevc, true),
        (VideoCodec::H264, true),
    ] {
        let rec = make_recording(&format!("cover_{}_{open}", codec.name()), |s| {
            s.video_codec = codec;
            s.open_gop = open;
            s.total_frames = 300;
        });
        // Frames 58 and 59 are leading pictures of keyframe 60 when the
        // GOPs are open; 60 is the keyframe, 73 a B-frame mid-GOP.
        for index in [58, 59, 60, 73] {
            let at = A.frame_ceil(index);
            let name = format!("{}_{open}_{index}", codec.name());
            check(&name, A, &request(&name, around(&rec, at), at));
        }
    }
}
