//! Acceptance: a running server driven only through the official Python SDK, V3 and V1
//! signatures, 3 clips from 2 streams of one app cut mid-GOP; the MP4 is checked frame by frame
//! with the ffmpeg CLI as an independent oracle.

use std::time::Duration;

use crate::fixtures::*;
use livecut_testkit::oracle;
use livecut_testkit::sdk::Signature;
use serde_json::{Value, json};

/// (stream, start s, end s) relative to the recordings' frame 0; every edge is mid-GOP
/// (GOP = 2 s = 60 frames) and between two frames.
const CLIPS: [(&str, f64, f64); 3] = [
    ("cam1", 3.51, 9.27),
    ("cam2", 11.1, 16.9),
    ("cam1", 20.02, 24.5),
];

fn clips_json() -> String {
    let v: Vec<Value> = CLIPS
        .iter()
        .map(|(s, a, b)| json!({"StartTime": format!(" {}", at(*a)), "EndTime": at(*b), "StreamName": s}))
        .collect();
    Value::Array(v).to_string()
}

fn check_output(path: &std::path::Path, expected: &[u32]) {
    let errors = oracle::decode_errors(path).expect("ffmpeg decode");
    assert!(
        errors.is_empty(),
        "decode errors in {}: {errors:?}",
        path.display()
    );
    let video = oracle::decode_video_numbers(path).expect("decode frame numbers");
    let got: Vec<Option<u32>> = video.frames.iter().map(|f| f.number).collect();
    let want: Vec<Option<u32>> = expected.iter().map(|n| Some(*n)).collect();
    assert_eq!(got.len(), want.len(), "frame count of {}", path.display());
    assert!(
        got == want,
        "frames differ: first got {:?}, want {:?}",
        &got[..got.len().min(5)],
        &want[..5]
    );
    // Timestamps are continuous across segments and clips: one frame duration apart.
    assert_one_frame_apart(&video, &path.display().to_string());
    let onsets = oracle::audio_marker_onsets(path).expect("audio markers");
    assert!(
        onsets.len() >= 10,
        "expected about one marker per second, got {}",
        onsets.len()
    );
    oracle::check_av_sync(&video, &onsets, f64::from(FPS), 48_000).expect("A/V sync");
}

#[test]
fn three_clips_two_streams_v3_and_v1_through_the_official_sdk() {
    // The start latency below is measured on an otherwise idle machine, as when this was a test
    // binary of its own: no other test's server or recording runs meanwhile.
    let _alone = alone();
    let dir = tempfile::tempdir().unwrap();
    for s in ["cam1", "cam2"] {
        make_recording(dir.path(), s, 30, &["--bframes", "2"]);
    }
    let server = Server::start(dir.path(), &[]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);
    let clips = clips_json();
    let stream = stream_config("cam1");

    let mut jobs = Vec::new();
    for (mode, sig, name) in [
        ("AccurateFast", Signature::V3, "accurate-v3.mp4"),
        ("AccurateFast", Signature::V1, "accurate-v1.mp4"),
        ("RoughFast", Signature::V1, "rough-v1.mp4"),
        ("RoughFast", Signature::V3, "rough-v3.mp4"),
    ] {
        let url = format!("https://highlights.oss-cn-shanghai.aliyuncs.com/out/{name}");
        let body = ok_body(sdk.submit(
            &[
                ("Clips", &clips),
                ("LiveStreamConfig", &stream),
                ("MediaProduceConfig", &json!({"Mode": mode}).to_string()),
                ("OutputMediaConfig", &json!({"MediaURL": url}).to_string()),
                (
                    "UserData",
                    r#"{"NotifyAddress":"http://callbacks.invalid/none","k":"v"}"#,
                ),
            ],
            sig,
        ));
        assert_eq!(body["MediaURL"], url);
        jobs.push((mode, name, body));
    }
    for (i, (mode, name, submitted)) in jobs.iter().enumerate() {
        let job_id = submitted["JobId"].as_str().unwrap();
        let job = sdk.wait_job(job_id, Duration::from_secs(120));
        assert_eq!(job["Status"], "Success", "{mode}: {job}");
        if i == 0 {
            // The worker was idle: the submit must wake it, not a slow poll.
            let (created, started) = job_times(dir.path(), job_id);
            let latency = started.expect("started_at") - created;
            assert!(latency < 100, "job started {latency} ms after submit");
        }
        assert_eq!(job["MediaId"], submitted["MediaId"]);
        assert_eq!(job["ProjectId"], submitted["ProjectId"]);
        assert_eq!(
            job["MediaProduceConfig"]["Mode"], *mode,
            "configs come back as objects"
        );
        assert_eq!(job["LiveStreamConfig"]["StreamName"], "cam1");
        assert_eq!(
            job["Clips"], clips,
            "Clips is echoed as the submitted string"
        );
        assert!(
            job["CompleteTime"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );

        // The per-clip report is an extra field the SDK models drop; read it raw.
        let raw = raw_job(&server.endpoint, &sdk.key, job_id);
        let results = raw["ClipResults"].as_array().expect("ClipResults");
        assert_eq!(results.len(), CLIPS.len());
        for (r, (_, a, b)) in results.iter().zip(CLIPS) {
            if *mode == "AccurateFast" {
                let frames = accurate_frames(a, b);
                let first = frames[0];
                let last = *frames.last().unwrap();
                assert_eq!(
                    r["FirstFrameTime"],
                    at(f64::from(first) / f64::from(FPS)),
                    "{r}"
                );
                assert_eq!(
                    r["LastFrameTime"],
                    at(f64::from(last) / f64::from(FPS)),
                    "{r}"
                );
                assert_eq!(r["Frames"], frames.len() as u64, "{r}");
                let reencoded = r["ReencodedFrames"].as_u64().unwrap();
                assert!(
                    reencoded > 0 && reencoded < frames.len() as u64,
                    "only partial GOPs are re-encoded: {r}"
                );
                assert_eq!(
                    r["CopiedFrames"].as_u64().unwrap() + reencoded,
                    frames.len() as u64
                );
            } else {
                assert_eq!(r["ReencodedFrames"], 0, "{r}");
            }
            assert_eq!(r["RequestedStartTime"], at(a));
            assert_eq!(r["MissingRanges"], json!([]));
        }

        let path = dir.path().join("buckets/highlights/out").join(name);
        let expected: Vec<u32> = CLIPS
            .iter()
            .flat_map(|(_, a, b)| {
                if *mode == "AccurateFast" {
                    accurate_frames(*a, *b)
                } else {
                    rough_frames(*a, *b)
                }
            })
            .collect();
        check_output(&path, &expected);

        let info = ok_body(
            sdk.send(
                &sdk.call_as("get_media_info")
                    .param("MediaId", submitted["MediaId"].as_str().unwrap()),
            ),
        );
        let file = &info["MediaInfo"]["FileInfoList"][0];
        let size = std::fs::metadata(&path).unwrap().len();
        assert_eq!(file["FileBasicInfo"]["FileSize"], size.to_string());
        assert_eq!(file["FileBasicInfo"]["Width"], "320");
        assert_eq!(file["VideoStreamInfoList"][0]["CodecName"], "h264");
        assert_eq!(
            file["VideoStreamInfoList"][0]["NumFrames"],
            expected.len().to_string()
        );
        assert_eq!(file["AudioStreamInfoList"][0]["CodecName"], "aac");
        let duration: f64 = file["FileBasicInfo"]["Duration"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let video_s = expected.len() as f64 / f64::from(FPS);
        assert!(
            (duration - video_s).abs() < 0.1,
            "duration {duration} vs {video_s}"
        );
        assert_eq!(info["MediaInfo"]["MediaBasicInfo"]["Status"], "Normal");

        // The same asset by InputURL, in another of its URL forms.
        let by_url = ok_body(
            sdk.send(
                &sdk.call_as("get_media_info")
                    .param("InputURL", format!("oss://highlights/out/{name}")),
            ),
        );
        assert_eq!(by_url["MediaInfo"]["MediaId"], submitted["MediaId"]);
    }
}
