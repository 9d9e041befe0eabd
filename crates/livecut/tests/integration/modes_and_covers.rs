//! The re-encoding modes (Accurate, Rough) with output sizes, and cover images, through the
//! official SDK: exact frames, exact sizes, and the JPEG showing exactly the frame on screen.

use std::path::Path;

use crate::fixtures::*;
use livecut_testkit::oracle;
use serde_json::{Value, json};

fn submit(sdk: &mut Sdk, clips: Value, produce: Value, output: Value) -> Value {
    sdk.cut(&clips, &produce, &output).1
}

fn size_of(path: &Path) -> (u64, u64) {
    let v = oracle::ffprobe_json(path).unwrap();
    let s = &v["streams"][0];
    (s["width"].as_u64().unwrap(), s["height"].as_u64().unwrap())
}

/// The frame on screen at `t` s: the last one presented at or before it.
fn on_screen(t: f64) -> u32 {
    ((t * 1e6).round() as i64 * i64::from(FPS) / 1_000_000) as u32
}

#[test]
fn covers_show_the_frame_on_screen_at_cover_time() {
    let svc = Service::start(&["cam1"], 20, &[], &[]);
    let (dir, mut sdk) = (svc.dir.path().to_path_buf(), svc.sdk);

    // Beside the output, from the first clip that has a CoverTime (the second clip here).
    let job = submit(
        &mut sdk,
        json!([
            {"StartTime": at(1.51), "EndTime": at(3.2)},
            {"StartTime": at(4.51), "EndTime": at(9.2), "CoverTime": at(6.517)},
            {"StartTime": at(10.0), "EndTime": at(12.0), "CoverTime": at(11.0)},
        ]),
        json!({"Mode": "AccurateFast"}),
        json!({"MediaURL": "oss://hlts/out/cov.mp4"}),
    );
    let jpeg = dir.join("buckets/hlts/out/cov.jpg");
    assert_eq!(
        oracle::read_jpeg_number(&jpeg).unwrap(),
        Some(on_screen(6.517))
    );
    assert_eq!(size_of(&jpeg), (320, 180), "output resolution");
    let info = ok_body(
        sdk.send(
            &sdk.call_as("get_media_info")
                .param("MediaId", job["MediaId"].as_str().unwrap()),
        ),
    );
    assert_eq!(
        info["MediaInfo"]["MediaBasicInfo"]["CoverURL"],
        "oss://hlts/out/cov.jpg"
    );

    // At the clip's CoverUrl, exactly on a frame's presentation time.
    let url = "https://hlts.oss-cn-shanghai.aliyuncs.com/covers/c2.jpg";
    let job = submit(
        &mut sdk,
        json!([{"StartTime": at(2.0), "EndTime": at(8.0), "CoverTime": at(4.0), "CoverUrl": url}]),
        json!({"Mode": "RoughFast"}),
        json!({"MediaURL": "oss://hlts/out/c2.mp4"}),
    );
    let jpeg = dir.join("buckets/hlts/covers/c2.jpg");
    assert_eq!(
        oracle::read_jpeg_number(&jpeg).unwrap(),
        Some(on_screen(4.0))
    );
    let info = ok_body(
        sdk.send(
            &sdk.call_as("get_media_info")
                .param("MediaId", job["MediaId"].as_str().unwrap()),
        ),
    );
    assert_eq!(info["MediaInfo"]["MediaBasicInfo"]["CoverURL"], url);
}

#[test]
fn accurate_and_rough_reencode_to_the_requested_size() {
    let svc = Service::start(&["cam1"], 20, &[], &[]);
    let (dir, mut sdk) = (svc.dir.path().to_path_buf(), svc.sdk);

    // Both sides at the source's aspect ratio: scaled, frame-exact, the cover at the output size.
    submit(
        &mut sdk,
        json!([
            {"StartTime": at(1.51), "EndTime": at(4.2), "CoverTime": at(2.0)},
            {"StartTime": at(7.77), "EndTime": at(9.1)},
        ]),
        json!({"Mode": "Accurate", "Width": 256, "Height": 144}),
        json!({"MediaURL": "oss://hlts/out/acc.mp4"}),
    );
    let out = dir.join("buckets/hlts/out/acc.mp4");
    assert_eq!(size_of(&out), (256, 144));
    let mut want = accurate_frames(1.51, 4.2);
    want.extend(accurate_frames(7.77, 9.1));
    assert_frames(&frames_of(&out), &want, "Accurate 256x144");
    let cover = dir.join("buckets/hlts/out/acc.jpg");
    assert_eq!(size_of(&cover), (256, 144));
    assert_eq!(
        oracle::read_jpeg_number(&cover).unwrap(),
        Some(on_screen(2.0))
    );

    // Another aspect ratio: fitted inside and padded to exactly 200x200 (the letterbox moves the
    // frame-number grid, so here the geometry and the frame count are what is checked).
    submit(
        &mut sdk,
        json!([{"StartTime": at(1.51), "EndTime": at(4.2)}]),
        json!({"Mode": "Accurate", "Width": 200, "Height": 200}),
        json!({"MediaURL": "oss://hlts/out/pad.mp4"}),
    );
    let out = dir.join("buckets/hlts/out/pad.mp4");
    assert_eq!(size_of(&out), (200, 200));
    assert_eq!(frames_of(&out).len(), accurate_frames(1.51, 4.2).len());

    // Height only: the width follows the 16:9 source; all frames of the overlapping segments.
    submit(
        &mut sdk,
        json!([{"StartTime": at(2.5), "EndTime": at(5.5)}]),
        json!({"Mode": "Rough"}),
        json!({"MediaURL": "oss://hlts/out/rough.mp4", "Height": 90, "Bitrate": 300}),
    );
    let out = dir.join("buckets/hlts/out/rough.mp4");
    assert_eq!(size_of(&out), (160, 90));
    let want: Vec<u32> = (60..180).collect();
    assert_frames(&frames_of(&out), &want, "Rough height 90");
}

#[test]
fn an_m3u8_media_url_gets_an_hls_vod_output() {
    let svc = Service::start(&["cam1"], 30, &[], &[]);
    let (dir, mut sdk) = (svc.dir.path().to_path_buf(), svc.sdk);
    let job = submit(
        &mut sdk,
        json!([
            {"StartTime": at(1.51), "EndTime": at(12.2), "CoverTime": at(3.0)},
            {"StartTime": at(15.77), "EndTime": at(27.1)},
        ]),
        json!({"Mode": "AccurateFast"}),
        json!({"MediaURL": "oss://hlts/vod/show.m3u8"}),
    );
    let folder = dir.join("buckets/hlts/vod");
    let playlist = folder.join("show.m3u8");
    let text = std::fs::read_to_string(&playlist).unwrap();
    assert!(
        text.contains("#EXT-X-PLAYLIST-TYPE:VOD") && text.contains("#EXT-X-ENDLIST"),
        "{text}"
    );
    let segments: Vec<&str> = text.lines().filter(|l| l.ends_with(".ts")).collect();
    assert!(segments.len() >= 3, "about 6 s per segment: {text}");
    for s in &segments {
        assert!(
            s.starts_with("show_") && folder.join(s).exists(),
            "segment {s} published beside the playlist"
        );
    }
    // Played as HLS, it holds exactly the clips' frames.
    let mut want = accurate_frames(1.51, 12.2);
    want.extend(accurate_frames(15.77, 27.1));
    assert_frames(&frames_of(&playlist), &want, "HLS output");
    assert_eq!(
        oracle::read_jpeg_number(&folder.join("show.jpg")).unwrap(),
        Some(on_screen(3.0))
    );
    assert!(!folder.join("show.mp4").exists());
    let info = ok_body(
        sdk.send(
            &sdk.call_as("get_media_info")
                .param("MediaId", job["MediaId"].as_str().unwrap()),
        ),
    );
    assert_eq!(
        info["MediaInfo"]["MediaBasicInfo"]["CoverURL"],
        "oss://hlts/vod/show.jpg"
    );
}
