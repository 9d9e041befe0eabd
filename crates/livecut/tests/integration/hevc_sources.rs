//! HEVC and open-GOP recordings through the whole service and the official SDK: the output
//! holds exactly the requested frames (edges among the leading pictures of open GOPs, whose
//! last ones are coded in the segment after the range), and GetMediaInfo describes the real
//! HEVC file.

use crate::fixtures::*;
use livecut_testkit::oracle;
use serde_json::{Value, json};

fn run(sdk: &mut Sdk, clips: Value, mode: &str, url: &str) -> Value {
    sdk.cut(
        &clips,
        &json!({ "Mode": mode }),
        &json!({ "MediaURL": url }),
    )
    .0
}

fn video_stream(sdk: &mut Sdk, media_id: &str) -> Value {
    let info = ok_body(sdk.send(&sdk.call_as("get_media_info").param("MediaId", media_id)));
    info["MediaInfo"]["FileInfoList"][0]["VideoStreamInfoList"][0].clone()
}

#[test]
fn hevc_open_gop_recordings_cut_frame_exact() {
    let svc = Service::start(&["cam1"], 20, &["--codec", "hevc", "--open-gop"], &[]);
    let (dir, mut sdk) = (svc.dir.path().to_path_buf(), svc.sdk);
    // 1.97 s and 3.97 s fall among the leading pictures of the keyframes at 2 s and 4 s.
    let ranges = [(1.97, 3.97), (6.51, 9.2)];
    let clips: Vec<Value> = ranges
        .iter()
        .map(|(a, b)| json!({"StartTime": at(*a), "EndTime": at(*b)}))
        .collect();
    let expected: Vec<u32> = ranges
        .iter()
        .flat_map(|(a, b)| accurate_frames(*a, *b))
        .collect();
    for (mode, name, codec_tag) in [("AccurateFast", "af", "hev1"), ("Accurate", "acc", "hvc1")] {
        let url = format!("oss://hlts/out/hevc_{name}.mp4");
        let body = run(&mut sdk, json!(clips), mode, &url);
        let path = dir.join(format!("buckets/hlts/out/hevc_{name}.mp4"));
        assert_frames(&frames_of(&path), &expected, mode);
        let probe = oracle::ffprobe_json(&path).unwrap();
        assert_eq!(probe["streams"][0]["codec_tag_string"], codec_tag, "{mode}");
        let video = video_stream(&mut sdk, body["MediaId"].as_str().unwrap());
        assert_eq!(video["CodecName"], "hevc", "{mode}: {video}");
        assert_eq!(video["Profile"], "Main", "{mode}: {video}");
        assert_eq!(video["PixFmt"], "yuv420p", "{mode}: {video}");
        assert_eq!(video["NumFrames"], expected.len().to_string(), "{mode}");
    }
}

#[test]
fn h264_open_gop_and_hevc_main10_recordings() {
    let svc = Service::start(&["cam1"], 12, &["--open-gop"], &[]);
    let (dir, mut sdk) = (svc.dir.path().to_path_buf(), svc.sdk);
    let clips = json!([{"StartTime": at(1.97), "EndTime": at(5.5)}]);
    run(
        &mut sdk,
        clips,
        "AccurateFast",
        "oss://hlts/out/open264.mp4",
    );
    assert_frames(
        &frames_of(&dir.join("buckets/hlts/out/open264.mp4")),
        &accurate_frames(1.97, 5.5),
        "H.264 open GOP",
    );

    let svc = Service::start(&["cam1"], 12, &["--codec", "hevc", "--ten-bit"], &[]);
    let (dir, mut sdk) = (svc.dir.path().to_path_buf(), svc.sdk);
    let clips = json!([{"StartTime": at(1.51), "EndTime": at(5.5)}]);
    let body = run(&mut sdk, clips, "AccurateFast", "oss://hlts/out/main10.mp4");
    assert_frames(
        &frames_of(&dir.join("buckets/hlts/out/main10.mp4")),
        &accurate_frames(1.51, 5.5),
        "Main 10",
    );
    let video = video_stream(&mut sdk, body["MediaId"].as_str().unwrap());
    assert_eq!(video["Profile"], "Main 10", "{video}");
    assert_eq!(video["PixFmt"], "yuv420p10le", "{video}");
}
