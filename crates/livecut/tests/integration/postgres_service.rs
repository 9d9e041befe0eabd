//! The scale-out database: the whole service (API, queue, workers, CLI keys) on PostgreSQL, with
//! two server processes sharing one database: jobs submitted to either are done once and are
//! visible through both.

use std::time::Duration;

use crate::fixtures::*;
use livecut_testkit::sdk::Signature;
use serde_json::json;

#[test]
fn two_servers_on_one_postgresql_database() {
    let Some(url) = fresh_pg_database("svc") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 12, &[]);
    let db = ["--database-url", url.as_str()];
    let a = Server::start(dir.path(), &[&db[..], &["--poll-millis", "100"]].concat());
    let b = Server::start(dir.path(), &[&db[..], &["--poll-millis", "100"]].concat());
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(db)
        .args(["keys", "create", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = || Key {
        id: v["AccessKeyId"].as_str().unwrap().into(),
        secret: v["AccessKeySecret"].as_str().unwrap().into(),
    };
    let mut sdk_a = Sdk::new(&a.endpoint, key());
    let mut sdk_b = Sdk::new(&b.endpoint, key());
    let mut jobs = Vec::new();
    for i in 0..6 {
        let sdk = if i % 2 == 0 { &mut sdk_a } else { &mut sdk_b };
        let start = 0.51 + f64::from(i) * 1.5;
        let body = ok_body(sdk.submit(
            &[
                (
                    "Clips",
                    &json!([{"StartTime": at(start), "EndTime": at(start + 1.2)}]).to_string(),
                ),
                ("LiveStreamConfig", &stream_config("cam1")),
                (
                    "OutputMediaConfig",
                    &json!({"MediaURL": format!("oss://pg-out/{i}.mp4")}).to_string(),
                ),
            ],
            Signature::V3,
        ));
        jobs.push((i, start, body["JobId"].as_str().unwrap().to_string()));
    }
    for (i, start, job_id) in jobs {
        // Either server answers for every job: the state lives in PostgreSQL.
        let job = sdk_b.wait_job(&job_id, Duration::from_secs(120));
        assert_eq!(job["Status"], "Success", "{job}");
        let numbers = livecut_testkit::oracle::decode_video_numbers(
            &dir.path().join(format!("buckets/pg-out/{i}.mp4")),
        )
        .unwrap()
        .numbers();
        assert_frames(
            &numbers,
            &accurate_frames(start, start + 1.2),
            &format!("job {i}"),
        );
    }
}
