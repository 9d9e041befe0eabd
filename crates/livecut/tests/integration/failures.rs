//! Jobs that cannot succeed fail with a Code and a Message that say what and where, leave no
//! output, and never take the server down: corrupt and missing segments, a media process that
//! crashes, and one that exceeds the job time limit.

use std::time::{Duration, Instant};

use crate::fixtures::*;
use livecut_testkit::sdk::{SdkReply, Signature};
use serde_json::{Value, json};

fn submit_one(sdk: &mut Sdk, stream: &str, a: f64, b: f64, name: &str) -> String {
    let body = ok_body(sdk.submit(
        &[
            (
                "Clips",
                &json!([{"StartTime": at(a), "EndTime": at(b)}]).to_string(),
            ),
            ("LiveStreamConfig", &stream_config(stream)),
            (
                "OutputMediaConfig",
                &json!({"MediaURL": format!("oss://fails/{name}")}).to_string(),
            ),
        ],
        Signature::V3,
    ));
    body["JobId"].as_str().unwrap().to_string()
}

fn media_status(sdk: &mut Sdk, job: &Value) -> String {
    let call = sdk
        .call_as("get_media_info")
        .param("MediaId", job["MediaId"].as_str().unwrap());
    let info = ok_body(sdk.send(&call));
    info["MediaInfo"]["MediaBasicInfo"]["Status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn bad_recordings_fail_their_job_with_what_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let rec = make_recording(dir.path(), "cam1", 12, &[]);
    // Segment 2 (4 s .. 6 s) becomes garbage; segment 4 (8 s .. 10 s) disappears.
    let garbage: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(rec.join("seg00002.ts"), garbage).unwrap();
    std::fs::remove_file(rec.join("seg00004.ts")).unwrap();
    let server = Server::start(dir.path(), &[]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);

    let corrupt = submit_one(&mut sdk, "cam1", 4.5, 5.5, "corrupt.mp4");
    let job = sdk.wait_job(&corrupt, Duration::from_secs(60));
    assert_eq!(job["Status"], "Failed");
    assert_eq!(job["Code"], "InvalidParameter.ResourceContentBad", "{job}");
    let msg = job["Message"].as_str().unwrap();
    assert!(msg.contains("seg00002.ts"), "names the segment: {msg}");
    assert!(
        msg.to_lowercase().contains("clip 0"),
        "names the clip: {msg}"
    );
    assert_eq!(media_status(&mut sdk, &job), "ProduceFailed");

    let missing = submit_one(&mut sdk, "cam1", 7.5, 9.5, "missing.mp4");
    let job = sdk.wait_job(&missing, Duration::from_secs(60));
    assert_eq!(job["Status"], "Failed");
    assert_eq!(job["Code"], "InvalidParameter.ResourceNotFound", "{job}");
    assert!(
        job["Message"].as_str().unwrap().contains("seg00004.ts"),
        "{job}"
    );

    let nothing = submit_one(&mut sdk, "cam1", 100.0, 110.0, "nothing.mp4");
    let job = sdk.wait_job(&nothing, Duration::from_secs(60));
    assert_eq!(job["Code"], "InvalidParameter.ResourceNotFound", "{job}");
    assert!(job["Message"].as_str().unwrap().contains("Clip 0"), "{job}");

    // The server is still fine and cuts the healthy part.
    let ok = submit_one(&mut sdk, "cam1", 0.5, 3.5, "ok.mp4");
    assert_eq!(
        sdk.wait_job(&ok, Duration::from_secs(60))["Status"],
        "Success"
    );
    for name in ["corrupt.mp4", "missing.mp4", "nothing.mp4"] {
        assert!(
            !dir.path().join("buckets/fails").join(name).exists(),
            "{name} must not exist"
        );
    }
}

/// Pid of the `livecut media-job` child working in `data_dir`, once it runs.
fn media_child(data_dir: &std::path::Path, limit: Duration) -> u32 {
    let start = Instant::now();
    loop {
        if let Some(pid) = media_child_of(data_dir) {
            return pid;
        }
        assert!(start.elapsed() < limit, "no media child appeared");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn long_job(sdk: &mut Sdk, name: &str) -> String {
    let clips: Vec<Value> = (0..40)
        .map(|i| {
            let a = 0.513 + f64::from(i) * 1.4;
            json!({"StartTime": at(a), "EndTime": at(a + 1.1)})
        })
        .collect();
    let body = ok_body(sdk.submit(
        &[
            ("Clips", &Value::Array(clips).to_string()),
            ("LiveStreamConfig", &stream_config("cam1")),
            // Every frame encoded again at 640x360: seconds of work, so the child is caught
            // running however fast the copy paths get.
            (
                "MediaProduceConfig",
                r#"{"Mode":"Accurate","Width":640,"Height":360}"#,
            ),
            (
                "OutputMediaConfig",
                &json!({"MediaURL": format!("oss://fails/{name}")}).to_string(),
            ),
        ],
        Signature::V3,
    ));
    body["JobId"].as_str().unwrap().to_string()
}

#[test]
fn a_crashing_media_process_fails_only_its_job() {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 60, &[]);
    let server = Server::start(dir.path(), &[]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);
    let job_id = long_job(&mut sdk, "crash.mp4");
    // What a libav fault on a hostile recording looks like from the outside. A process ended by
    // a signal gets one more attempt; the same end again fails the job.
    let first = media_child(dir.path(), Duration::from_secs(30));
    let killed = std::process::Command::new("kill")
        .args(["-SEGV", &first.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let second = loop {
        if let Some(pid) = media_child_of(dir.path()).filter(|p| *p != first) {
            break pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no second attempt appeared"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    let killed = std::process::Command::new("kill")
        .args(["-SEGV", &second.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let job = sdk.wait_job(&job_id, Duration::from_secs(60));
    assert_eq!(job["Status"], "Failed");
    assert_eq!(job["Code"], "InternalError.MediaProcessCrashed", "{job}");
    let message = job["Message"].as_str().unwrap();
    assert!(
        message.contains("signal 11") && message.contains("retried once"),
        "{job}"
    );
    assert!(
        !message.contains("corrupt"),
        "a crash is not blamed on the recording: {job}"
    );
    assert!(!dir.path().join("buckets/fails/crash.mp4").exists());
    // The server survived and still answers.
    assert!(matches!(sdk.get_job(&job_id), SdkReply::Ok { .. }));
}

#[test]
fn the_job_time_limit_stops_a_media_process() {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 60, &[]);
    let server = Server::start(dir.path(), &["--job-timeout-seconds", "1"]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);
    let job_id = long_job(&mut sdk, "slow.mp4");
    let pid = media_child(dir.path(), Duration::from_secs(30));
    // Freeze the child, as a hang inside a decoder would.
    std::process::Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status()
        .unwrap();
    let job = sdk.wait_job(&job_id, Duration::from_secs(60));
    assert_eq!(job["Status"], "Failed");
    assert_eq!(job["Code"], "InternalError.MediaProcessTimeout", "{job}");
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists() || is_zombie_or_gone(pid),
        "the hung child was killed"
    );
    assert!(!dir.path().join("buckets/fails/slow.mp4").exists());
}

fn is_zombie_or_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.split_whitespace().nth(2) == Some("Z"),
        Err(_) => true,
    }
}
