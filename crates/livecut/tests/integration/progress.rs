//! Job progress: while an Accurate job re-encodes, GetLiveEditingJob's `Progress` (livecut's own
//! field, which the SDK's model drops, so read from the raw answer) shows its step and the frames written of
//! the frames planned, growing; the finished job shows 100.

use std::time::{Duration, Instant};

use crate::fixtures::*;
use serde_json::json;

#[test]
fn a_running_job_shows_frames_written_of_frames_planned() {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 32, &[]);
    let server = Server::start(dir.path(), &[]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key.clone());
    // 30 s re-encoded at 1080p: long enough to be seen mid-way.
    let clips = json!([{"StartTime": at(1.0), "EndTime": at(31.0)}]).to_string();
    let stream = stream_config("cam1");
    let body = ok_body(sdk.submit(
        &[
            ("Clips", clips.as_str()),
            ("LiveStreamConfig", stream.as_str()),
            ("MediaProduceConfig", r#"{"Mode":"Accurate"}"#),
            (
                "OutputMediaConfig",
                r#"{"MediaURL":"oss://out/progress.mp4","Width":1920,"Height":1080}"#,
            ),
        ],
        livecut_testkit::sdk::Signature::V3,
    ));
    let job_id = body["JobId"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut writing = Vec::new();
    let mut last_percent = 0;
    let final_progress = loop {
        let job = raw_job(&server.endpoint, &key, &job_id);
        let (status, progress) = (job["Status"].as_str().unwrap(), job["Progress"].clone());
        let percent = progress["Percent"]
            .as_u64()
            .unwrap_or_else(|| panic!("{progress}"));
        assert!(percent >= last_percent, "{progress} after {last_percent}");
        last_percent = percent;
        if status == "Processing" && progress["Step"] == "Writing" {
            assert_eq!(progress["Unit"], "frames", "{progress}");
            writing.push((
                progress["Done"].as_u64().unwrap(),
                progress["Total"].as_u64().unwrap(),
            ));
        }
        if status == "Success" || status == "Failed" {
            assert_eq!(status, "Success", "{progress}");
            break progress;
        }
        assert!(Instant::now() < deadline, "the job did not end: {progress}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(final_progress["Percent"], 100);
    assert_eq!(final_progress["Step"], "Done");
    let mid = writing
        .iter()
        .find(|(done, total)| *done > 0 && done < total)
        .unwrap_or_else(|| panic!("no report mid-way: {writing:?}"));
    // 30 s at 30 frames per second.
    assert!((891..=909).contains(&mid.1), "{} frames planned", mid.1);
    assert!(
        writing.windows(2).all(|w| w[0].0 <= w[1].0),
        "frames written never go back: {writing:?}"
    );
}
