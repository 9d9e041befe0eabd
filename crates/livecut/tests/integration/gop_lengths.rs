//! Long (10 s) and very short (0.5 s) GOPs: every mode still holds exactly the expected frames.

use std::time::Duration;

use crate::fixtures::*;
use livecut_testkit::oracle;
use livecut_testkit::sdk::Signature;
use serde_json::json;

fn run(gop_s: &str, segment_s: &str, segment_frames: u32) {
    let gop = ["--gop-seconds", gop_s, "--segment-seconds", segment_s];
    let svc = Service::start(&["cam1"], 30, &gop, &[]);
    let mut sdk = svc.sdk;
    let (a, b) = (3.51, 21.2);
    for mode in ["AccurateFast", "Accurate", "RoughFast"] {
        let name = format!("gop{gop_s}-{}.mp4", mode.to_lowercase());
        let body = ok_body(sdk.submit(
            &[
                (
                    "Clips",
                    &json!([{"StartTime": at(a), "EndTime": at(b)}]).to_string(),
                ),
                ("LiveStreamConfig", &stream_config("cam1")),
                ("MediaProduceConfig", &json!({"Mode": mode}).to_string()),
                (
                    "OutputMediaConfig",
                    &json!({"MediaURL": format!("oss://gops/{name}")}).to_string(),
                ),
            ],
            Signature::V3,
        ));
        let job = sdk.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(120));
        assert_eq!(job["Status"], "Success", "{mode} GOP {gop_s}s: {job}");
        let out = svc.dir.path().join("buckets/gops").join(&name);
        let errors = oracle::decode_errors(&out).unwrap();
        assert!(errors.is_empty(), "{mode} GOP {gop_s}s: {errors:?}");
        let want: Vec<u32> = if mode == "RoughFast" {
            let first = (a * 30.0) as u32 / segment_frames * segment_frames;
            let last = ((b * 30.0) as u32 / segment_frames + 1) * segment_frames;
            (first..last).collect()
        } else {
            accurate_frames(a, b)
        };
        let video = oracle::decode_video_numbers(&out).unwrap();
        assert_frames(&video.numbers(), &want, &format!("{mode} GOP {gop_s}s"));
        let onsets = oracle::audio_marker_onsets(&out).unwrap();
        oracle::check_av_sync(&video, &onsets, f64::from(FPS), 48_000)
            .unwrap_or_else(|e| panic!("{mode} GOP {gop_s}s: {e}"));
    }
}

#[test]
fn ten_second_gops() {
    run("10", "10", 300);
}

#[test]
fn half_second_gops() {
    run("0.5", "2", 60);
}
