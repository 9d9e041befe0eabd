//! A live encoder changing its resolution mid-recording (a new IDR with new
//! parameter sets under the same ids, no discontinuity): in every mode the
//! output holds every recorded frame of the range, in order, at one size —
//! the first frame's — with the stretch at the other size re-encoded to it.

use std::path::Path;
use std::sync::OnceLock;

use crate::fixtures::*;
use livecut_media::testgen::{RecordingSummary, SizeChange};
use livecut_media::{CutMode, VideoCodec};
use livecut_testkit::oracle;

/// 20 s at 320x180; from frame 300 (10 s, a segment start) 480x270, from
/// frame 480 (16 s) 240x180 (4:3, pillarboxed when scaled back).
fn changing(codec: VideoCodec) -> &'static RecordingSummary {
    static H264: OnceLock<RecordingSummary> = OnceLock::new();
    static HEVC: OnceLock<RecordingSummary> = OnceLock::new();
    let cell = if codec == VideoCodec::H264 {
        &H264
    } else {
        &HEVC
    };
    cell.get_or_init(|| {
        make_recording(&format!("size_change_{}", codec.name()), |s| {
            s.video_codec = codec;
            s.total_frames = 600;
            s.size_changes = vec![
                SizeChange {
                    at_frame: 300,
                    width: 480,
                    height: 270,
                },
                SizeChange {
                    at_frame: 480,
                    width: 240,
                    height: 180,
                },
            ];
        })
    })
}

fn size(path: &Path) -> (u64, u64) {
    let json = oracle::ffprobe_json(path).expect("ffprobe");
    let v = &json["streams"][0];
    (
        v["width"].as_u64().unwrap_or(0),
        v["height"].as_u64().unwrap_or(0),
    )
}

#[test]
fn a_resolution_change_inside_the_range_joins_at_the_first_size() {
    for codec in [VideoCodec::H264, VideoCodec::Hevc] {
        let rec = changing(codec);
        // 7.51 s .. 13.2 s: copied 320x180 GOPs, then 480x270 ones.
        let (start, end) = (T0 + 7_510_000, T0 + 13_200_000);
        let c = clip(0, rec, start, end);
        let accurate = range_numbers(start, end, T0, 0, rec.frames);
        let rough = segment_numbers(&c.segments, rec, 0);
        for mode in [
            CutMode::AccurateFast,
            CutMode::RoughFast,
            CutMode::Accurate,
            CutMode::Rough,
        ] {
            let name = format!("size_change_{}_{mode:?}", codec.name());
            let (out, report) = run(&name, mode, vec![c.clone()]);
            let want = if matches!(mode, CutMode::AccurateFast | CutMode::Accurate) {
                &accurate
            } else {
                &rough
            };
            check_output(&out, want);
            assert_eq!(size(&out), (320, 180), "{name}");
            let r = &report.clips[0];
            assert_eq!(r.frames as usize, want.len(), "{name}");
            if mode == CutMode::RoughFast {
                // Frames before the change are copied, after it re-encoded.
                assert_eq!(r.copied_frames, 300 - u64::from(want[0]), "{name}");
            }
        }
    }
}

#[test]
fn a_range_starting_after_the_change_keeps_the_new_size_and_copies() {
    let rec = changing(VideoCodec::H264);
    // 10.5 s .. 15 s lies in the 480x270 stretch; then one clip across the
    // 4:3 change at 16 s, pillarboxed into 480x270.
    let (start, end) = (T0 + 10_500_000, T0 + 17_300_000);
    let (out, report) = run(
        "size_change_after",
        CutMode::AccurateFast,
        vec![clip(0, rec, start, end)],
    );
    assert_eq!(size(&out), (480, 270));
    let errors = oracle::decode_errors(&out).expect("ffmpeg");
    assert!(errors.is_empty(), "{errors:?}");
    let want = range_numbers(start, end, T0, 0, rec.frames);
    // Frames from 480 on are 4:3, centred between black bars 60 px wide.
    let split = want
        .iter()
        .position(|&n| n == 480)
        .expect("crosses the change");
    let whole = oracle::decode_video_numbers(&out)
        .expect("decode")
        .numbers();
    let inside = numbers_inside(&out, (60, 0, 360, 270));
    let got: Vec<Option<u32>> = whole[..split]
        .iter()
        .chain(&inside[split..])
        .copied()
        .collect();
    assert_eq!(got, want.iter().map(|&n| Some(n)).collect::<Vec<_>>());
    let r = &report.clips[0];
    assert!(r.copied_frames >= 120, "{r:?}");
    assert_eq!(r.frames as usize, want.len());
}
