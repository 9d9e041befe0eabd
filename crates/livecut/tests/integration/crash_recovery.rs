//! Acceptance: the server is SIGKILLed while a job is Processing and restarted; the job ends
//! Success with a correct output, and no partial file was ever visible at the MediaURL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::fixtures::*;
use livecut_testkit::oracle;
use livecut_testkit::sdk::{SdkReply, Signature};
use serde_json::json;

#[test]
fn a_killed_server_finishes_its_job_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 60, &[]);
    let flags = ["--lease-seconds", "3", "--poll-millis", "200"];
    let mut server = Server::start(dir.path(), &flags);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);

    // Many short clips keep the job busy long enough to be caught Processing.
    let clips: Vec<_> = (0..25)
        .map(|i| {
            let a = 1.113 + f64::from(i) * 2.3;
            json!({"StartTime": at(a), "EndTime": at(a + 1.7)})
        })
        .collect();
    let out = dir.path().join("buckets/crash/final.mp4");
    let body = ok_body(sdk.submit(
        &[
            (
                "Clips",
                &serde_json::Value::Array(clips.clone()).to_string(),
            ),
            ("LiveStreamConfig", &stream_config("cam1")),
            (
                "OutputMediaConfig",
                r#"{"MediaURL":"oss://crash/final.mp4"}"#,
            ),
        ],
        Signature::V3,
    ));
    let job_id = body["JobId"].as_str().unwrap().to_string();

    // Watch the output path the whole time: every time it exists, record its size.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        let out = out.clone();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Ok(m) = std::fs::metadata(&out) {
                    seen.push(m.len());
                }
                std::thread::sleep(Duration::from_micros(500));
            }
            seen
        })
    };

    let start = Instant::now();
    loop {
        match sdk.get_job(&job_id) {
            SdkReply::Ok { body, .. } if body["LiveEditingJob"]["Status"] == "Processing" => break,
            SdkReply::Ok { body, .. } => assert_ne!(
                body["LiveEditingJob"]["Status"], "Success",
                "job finished before it could be interrupted; make it longer"
            ),
            SdkReply::Err { code, .. } => panic!("{code}"),
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "job never started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // Mid-cut: the media child runs in the attempt's scratch folder.
    while media_child_of(dir.path()).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no media child appeared"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    server.kill(); // SIGKILL
    std::thread::sleep(Duration::from_millis(500));
    assert!(!out.exists(), "no output may appear while no server runs");
    assert_eq!(
        media_child_of(dir.path()),
        None,
        "the media child must die with its server"
    );

    // The killed attempt left its scratch folder behind.
    let killed_scratch = dir.path().join("scratch").join(format!("{job_id}-1"));
    assert!(killed_scratch.exists(), "the killed attempt's folder");
    let server = Server::start(dir.path(), &flags);
    sdk.endpoint = server.endpoint.clone();
    let job = sdk.wait_job(&job_id, Duration::from_secs(120));
    assert_eq!(job["Status"], "Success", "{job}");
    assert!(
        !killed_scratch.exists(),
        "the next attempt removed the killed attempt's scratch"
    );
    stop.store(true, Ordering::Relaxed);
    let seen = watcher.join().unwrap();
    let final_size = std::fs::metadata(&out).unwrap().len();
    assert!(
        seen.iter().all(|s| *s == final_size),
        "a partial file was visible: sizes {:?}",
        seen.iter()
            .filter(|s| **s != final_size)
            .take(5)
            .collect::<Vec<_>>()
    );

    let errors = oracle::decode_errors(&out).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let video = oracle::decode_video_numbers(&out).unwrap();
    let expected: Vec<u32> = (0..25)
        .flat_map(|i| {
            let a = 1.113 + f64::from(i) * 2.3;
            accurate_frames(a, a + 1.7)
        })
        .collect();
    let got: Vec<Option<u32>> = video.frames.iter().map(|f| f.number).collect();
    assert_frames(&got, &expected, "restarted job output");
}
