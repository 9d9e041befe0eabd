//! H.264 outputs of every mode, each a join of clips from two streams, play to the end in
//! headless Chromium (Debian's package, driven by playwright-core): the <video> element reaches
//! `ended`, its duration matches the frames within one frame, every frame is decoded, none corrupt.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::fixtures::*;
use livecut_testkit::sdk::Signature;
use serde_json::{Value, json};

const CLIPS: [(&str, f64, f64); 3] = [
    ("cam1", 1.51, 4.27),
    ("cam2", 5.1, 7.9),
    ("cam1", 9.02, 11.5),
];

fn player() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser/play.js")
}

#[test]
fn every_mode_plays_to_the_end_in_chromium() {
    let svc = Service::start(&["cam1", "cam2"], 14, &[], &[]);
    let (dir, mut sdk) = (svc.dir.path().to_path_buf(), svc.sdk);
    let clips: Vec<Value> = CLIPS
        .iter()
        .map(|(s, a, b)| json!({"StartTime": at(*a), "EndTime": at(*b), "StreamName": s}))
        .collect();
    let mut outputs = Vec::new();
    for mode in ["RoughFast", "Rough", "AccurateFast", "Accurate"] {
        let name = format!("{}.mp4", mode.to_lowercase());
        let body = ok_body(sdk.submit(
            &[
                ("Clips", &Value::Array(clips.clone()).to_string()),
                ("LiveStreamConfig", &stream_config("cam1")),
                ("MediaProduceConfig", &json!({"Mode": mode}).to_string()),
                (
                    "OutputMediaConfig",
                    &json!({"MediaURL": format!("oss://web/{name}")}).to_string(),
                ),
            ],
            Signature::V3,
        ));
        let job = sdk.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(180));
        assert_eq!(job["Status"], "Success", "{mode}: {job}");
        let frames: usize = CLIPS
            .iter()
            .map(|(_, a, b)| {
                if mode.starts_with("Rough") {
                    rough_frames(*a, *b).len()
                } else {
                    accurate_frames(*a, *b).len()
                }
            })
            .sum();
        outputs.push((mode, dir.join("buckets/web").join(name), frames));
    }

    let out = Command::new("node")
        .arg(player())
        .args(outputs.iter().map(|(_, p, _)| p))
        .output()
        .expect("run node (make setup installs it)");
    assert!(
        out.status.success(),
        "player failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), outputs.len());
    for ((mode, _, frames), r) in outputs.iter().zip(&reports) {
        assert_eq!(r["outcome"], "ended", "{mode}: {r}");
        let want = *frames as f64 / f64::from(FPS);
        let duration = r["duration"].as_f64().unwrap();
        assert!(
            (duration - want).abs() <= 1.0 / f64::from(FPS),
            "{mode}: duration {duration} s, expected {want} s"
        );
        assert_eq!(
            r["totalVideoFrames"], *frames as u64,
            "{mode}: every frame decoded: {r}"
        );
        assert_eq!(r["corruptedVideoFrames"], 0, "{mode}: {r}");
    }
}
