//! Recordings and outputs in S3-compatible object storage (s3s-fs with SigV4 checking, in this
//! process, `livecut_testkit::s3`), through the official SDK: every mode, HLS output and covers
//! with exact frames; only the needed segments read, each once; Submit refusing buckets without
//! a backend or with refused credentials; `recordings add` and `config check` on URLs; the
//! storage going down for 20 s in the middle of a job's reads and of its upload.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::fixtures::*;
use livecut_testkit::oracle;
use livecut_testkit::s3::{S3Server, Trigger};
use serde_json::{Value, json};

/// An S3 server with buckets `rec` (recordings, Alibaba Live's `record/{AppName}/{StreamName}/`
/// layout) and `out`, a configuration naming them (unlisted buckets refused), a livecut server
/// on it and an SDK client.
struct S3Service {
    sdk: Sdk,
    server: Server,
    s3: S3Server,
    config: PathBuf,
    dir: tempfile::TempDir,
}

impl S3Service {
    fn start(seconds: u32, server_flags: &[&str]) -> S3Service {
        let dir = tempfile::tempdir().unwrap();
        let s3 = S3Server::start(
            &dir.path().join("s3"),
            S3_KEY,
            S3_SECRET,
            &["rec", "out", "locked"],
        );
        let rec = s3.bucket_dir("rec").join("record").join(APP).join("cam1");
        std::fs::create_dir_all(&rec).unwrap();
        testgen(&rec, seconds, "2026-11-24T10:00:00Z", &[]);
        let config = write_config(dir.path(), &s3);
        let data = dir.path().join("data");
        let server = Server::start(
            &data,
            &[&["--config", config.to_str().unwrap()], server_flags].concat(),
        );
        let key = create_key(&data, "ice:*");
        let sdk = Sdk::new(&server.endpoint, key);
        S3Service {
            sdk,
            server,
            s3,
            config,
            dir,
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Submits a cut of stream cam1 and waits for it to end.
    fn run(&mut self, clips: Value, produce: Value, output: Value) -> Value {
        let body = ok_body(self.sdk.submit(
            &[
                ("Clips", &clips.to_string()),
                ("LiveStreamConfig", &stream_config("cam1")),
                ("MediaProduceConfig", &produce.to_string()),
                ("OutputMediaConfig", &output.to_string()),
            ],
            livecut_testkit::sdk::Signature::V3,
        ));
        self.sdk
            .wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(240))
    }

    fn object(&self, bucket: &str, key: &str) -> PathBuf {
        self.s3.bucket_dir(bucket).join(key)
    }

    /// Runs a job that must succeed with exactly `want` in the object `key` of bucket `out`.
    fn cut_exactly(&mut self, clips: Value, produce: Value, url: &str, key: &str, want: &[u32]) {
        let job = self.run(clips, produce, json!({ "MediaURL": url }));
        assert_eq!(job["Status"], "Success", "{job}");
        assert_frames(&frames_of(&self.object("out", key)), want, url);
    }
}

/// The configuration of the tests; `locked` is a bucket whose configured secret the storage
/// refuses.
fn write_config(dir: &Path, s3: &S3Server) -> PathBuf {
    write_s3_config(
        dir,
        s3,
        &[("rec", true), ("out", true), ("locked", false)],
        "[[streams]]\nplaylists = \"s3://rec/record/{AppName}/{StreamName}/\"\n",
    )
}

fn segment_key(n: u32) -> String {
    format!("rec/record/{APP}/cam1/seg{n:05}.ts")
}

/// The recording's segments that were read, each with the bytes read of it.
fn segments_read(s3: &S3Server) -> Vec<(String, u64)> {
    let mut read: Vec<(String, u64)> = s3
        .bytes_served_per_object()
        .into_iter()
        .filter(|(k, _)| k.ends_with(".ts"))
        .collect();
    read.sort();
    read
}

#[test]
fn every_mode_reads_recordings_from_s3_and_writes_outputs_there() {
    let mut svc = S3Service::start(20, &[]);

    // AccurateFast with a cover beside the output: only the segments of [3.5, 9.2) and the
    // look-ahead one are read, each exactly once (both engine passes read the local copy).
    svc.s3.reset_counters();
    let job = svc.run(
        json!([{"StartTime": at(3.5), "EndTime": at(9.2), "CoverTime": at(5.0)}]),
        json!({"Mode": "AccurateFast"}),
        json!({"MediaURL": "oss://out/clips/af.mp4"}),
    );
    assert_eq!(job["Status"], "Success", "{job}");
    let mp4 = svc.object("out", "clips/af.mp4");
    assert_frames(
        &frames_of(&mp4),
        &accurate_frames(3.5, 9.2),
        "AccurateFast from S3",
    );
    assert_eq!(
        oracle::read_jpeg_number(&svc.object("out", "clips/af.jpg")).unwrap(),
        Some(150)
    );
    let want: Vec<(String, u64)> = (1..=5)
        .map(|n| {
            let key = segment_key(n);
            let size = std::fs::metadata(svc.s3.root().join(&key)).unwrap().len();
            (key, size)
        })
        .collect();
    assert_eq!(segments_read(&svc.s3), want, "segments read, bytes each");

    // RoughFast to a virtual-hosted https URL of the bucket: whole segments.
    svc.cut_exactly(
        json!([{"StartTime": at(2.5), "EndTime": at(5.0)}]),
        json!({"Mode": "RoughFast"}),
        "https://out.oss-cn-shanghai.aliyuncs.com/clips/rf.mp4",
        "clips/rf.mp4",
        &rough_frames(2.5, 5.0),
    );

    // The re-encoding modes, one with a size.
    svc.cut_exactly(
        json!([{"StartTime": at(1.51), "EndTime": at(4.2)}]),
        json!({"Mode": "Accurate", "Width": 160, "Height": 90}),
        "s3://out/clips/acc.mp4",
        "clips/acc.mp4",
        &accurate_frames(1.51, 4.2),
    );
    let v = oracle::ffprobe_json(&svc.object("out", "clips/acc.mp4")).unwrap();
    assert_eq!(v["streams"][0]["width"], 160);
    svc.cut_exactly(
        json!([{"StartTime": at(6.0), "EndTime": at(7.0)}]),
        json!({"Mode": "Rough"}),
        "oss://out/clips/rough.mp4",
        "clips/rough.mp4",
        &rough_frames(6.0, 7.0),
    );

    // HLS output: the playlist and every segment it names are objects of the bucket.
    let job = svc.run(
        json!([{"StartTime": at(2.0), "EndTime": at(16.0)}]),
        json!({"Mode": "AccurateFast"}),
        json!({"MediaURL": "oss://out/hls/show.m3u8"}),
    );
    assert_eq!(job["Status"], "Success", "{job}");
    let playlist = svc.object("out", "hls/show.m3u8");
    let text = std::fs::read_to_string(&playlist).unwrap();
    for line in text.lines().filter(|l| l.ends_with(".ts")) {
        assert!(svc.object("out", &format!("hls/{line}")).exists(), "{line}");
    }
    assert_frames(
        &frames_of(&playlist),
        &accurate_frames(2.0, 16.0),
        "HLS in S3",
    );

    // Nothing but the outputs is in the bucket, and nothing of an upload is left over.
    assert_eq!(
        svc.s3
            .list_objects("out")
            .into_iter()
            .filter(|k| !k.starts_with("hls/"))
            .collect::<Vec<_>>(),
        vec![
            "clips/acc.mp4",
            "clips/af.jpg",
            "clips/af.mp4",
            "clips/rf.mp4",
            "clips/rough.mp4",
        ]
    );
    assert!(svc.s3.leftovers().is_empty(), "{:?}", svc.s3.leftovers());
    // The local folder of the data dir holds no output: they all went to the storage.
    assert!(!svc.data().join("buckets/out").exists());
}

#[test]
fn submit_refuses_buckets_without_a_backend_or_access() {
    let mut svc = S3Service::start(6, &[]);
    let clips = json!([{"StartTime": at(1.0), "EndTime": at(3.0)}]).to_string();
    let submit_to = |sdk: &mut Sdk, output: Value, clips: &str, target: &str| {
        sdk.submit(
            &[
                ("Clips", clips),
                ("LiveStreamConfig", &stream_config("cam1")),
                ("MediaProduceConfig", r#"{"Mode":"RoughFast"}"#),
                ("OutputMediaConfig", &output.to_string()),
                ("OutputMediaTarget", target),
            ],
            livecut_testkit::sdk::Signature::V3,
        )
    };
    let submit =
        |sdk: &mut Sdk, output: Value, clips: &str| submit_to(sdk, output, clips, "oss-object");
    let (code, status, message) = err_code(&submit(
        &mut svc.sdk,
        json!({"MediaURL": "oss://nowhere/a.mp4"}),
        &clips,
    ));
    assert_eq!((code.as_str(), status), ("InvalidParameter", 400));
    assert!(
        message.contains("OutputMediaConfig.MediaURL") && message.contains("\"nowhere\""),
        "{message}"
    );
    let (code, _, message) = err_code(&submit(
        &mut svc.sdk,
        json!({"MediaURL": "oss://locked/a.mp4"}),
        &clips,
    ));
    assert_eq!(code, "InvalidParameter");
    assert!(
        message.contains("\"locked\"") && message.contains("credentials"),
        "{message}"
    );
    let cover = json!([{"StartTime": at(1.0), "EndTime": at(3.0), "CoverTime": at(2.0),
        "CoverUrl": "oss://nowhere/c.jpg"}])
    .to_string();
    let (code, _, message) = err_code(&submit(
        &mut svc.sdk,
        json!({"MediaURL": "oss://out/a.mp4"}),
        &cover,
    ));
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains("Clips[0].CoverUrl"), "{message}");
    // A VOD target names its bucket in StorageLocation.
    let (code, _, message) = err_code(&submit_to(
        &mut svc.sdk,
        json!({"StorageLocation": "nowhere.oss-cn-shanghai.aliyuncs.com", "FileName": "v.mp4"}),
        &clips,
        "vod-media",
    ));
    assert_eq!(code, "InvalidParameter");
    assert!(
        message.contains("OutputMediaConfig.StorageLocation"),
        "{message}"
    );
    // A VOD target in a configured bucket is written there and answers its VodMediaId.
    let body = ok_body(submit_to(
        &mut svc.sdk,
        json!({"StorageLocation": "out.oss-cn-shanghai.aliyuncs.com", "FileName": "vod/v.mp4"}),
        &clips,
        "vod-media",
    ));
    assert_eq!(body["VodMediaId"], body["MediaId"]);
    let job = svc
        .sdk
        .wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(120));
    assert_eq!(job["Status"], "Success", "{job}");
    assert!(svc.object("out", "vod/v.mp4").exists());
    // Another job may not overwrite an output a live job owns.
    let (code, _, message) = err_code(&submit(
        &mut svc.sdk,
        json!({"MediaURL": "oss://out/vod/v.mp4"}),
        &clips,
    ));
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains("already the output of job"), "{message}");
}

#[test]
fn recordings_and_config_are_checked_against_the_storage() {
    let svc = S3Service::start(6, &[]);
    let livecut = |args: &[&str]| {
        Command::new(BIN)
            .arg("--data-dir")
            .arg(svc.data())
            .arg("--config")
            .arg(&svc.config)
            .args(args)
            .output()
            .unwrap()
    };
    // config check: every bucket, what it resolves to, and the one the storage refuses.
    let out = livecut(&["config", "check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("bucket rec: s3://rec (endpoint http://127.0.0.1:")
            && text.contains("credentials from inline access_key_id / file ")
            && text.contains("... ok"),
        "{text}"
    );
    assert!(
        text.contains("bucket locked:") && text.contains("FAILED"),
        "{text}"
    );
    assert!(!text.contains(S3_SECRET), "a secret was printed: {text}");
    assert!(text.contains("other buckets: refused"), "{text}");

    // /healthz asks the storage too: fine while it answers (the refused bucket aside, every
    // configured bucket is probed), 503 naming the storage when it is down.
    let (status, body) = http_get(&svc.server.endpoint, "/healthz");
    assert_eq!(status, 503, "the locked bucket refuses us: {body}");
    assert!(body.contains("locked"), "{body}");

    // A playlist by URL is registered after reading it from the storage.
    let out = recordings_add(
        &svc.data(),
        "other",
        &["--config", svc.config.to_str().unwrap()],
        format!("s3://rec/record/{APP}/cam1/index.m3u8"),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!(
            "registered {DOMAIN}/{APP}/other: oss://rec/record/{APP}/cam1/index.m3u8 (3 segments"
        )),
        "{text}"
    );
    // One that does not exist, or in a bucket without a backend, is refused with the reason.
    let out = recordings_add(
        &svc.data(),
        "x",
        &["--config", svc.config.to_str().unwrap()],
        "oss://rec/record/none/index.m3u8",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("does not exist"),
        "{err}"
    );
    let out = recordings_add(
        &svc.data(),
        "x",
        &["--config", svc.config.to_str().unwrap()],
        "s3://nowhere/index.m3u8",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("\"nowhere\""),
        "{err}"
    );
}

#[test]
fn a_missing_segment_object_fails_the_job_naming_the_object() {
    let mut svc = S3Service::start(10, &[]);
    std::fs::remove_file(svc.s3.root().join(segment_key(2))).unwrap();
    let job = svc.run(
        json!([{"StartTime": at(1.0), "EndTime": at(7.0)}]),
        json!({"Mode": "AccurateFast"}),
        json!({"MediaURL": "oss://out/missing.mp4"}),
    );
    assert_eq!(job["Status"], "Failed", "{job}");
    assert_eq!(job["Code"], "InvalidParameter.ResourceNotFound", "{job}");
    let message = job["Message"].as_str().unwrap();
    assert!(
        message.contains(&format!("oss://{}", segment_key(2))) && message.contains("clip 0"),
        "{message}"
    );
    assert!(
        !message.contains(svc.dir.path().to_str().unwrap()),
        "a server path in: {message}"
    );
    assert!(svc.s3.list_objects("out").is_empty());
}

/// The storage goes down for 20 s when the job reads its first segment, and again when it
/// starts its upload: the job rides out both and succeeds, with nothing partial left.
#[test]
fn the_storage_down_for_20_seconds_during_reads_and_upload() {
    let mut svc = S3Service::start(12, &[]);
    svc.s3.down_on(
        Trigger::GetEndingWith("seg00001.ts".into()),
        Duration::from_secs(20),
    );
    svc.cut_exactly(
        json!([{"StartTime": at(2.5), "EndTime": at(8.5)}]),
        json!({"Mode": "AccurateFast"}),
        "oss://out/outage/reads.mp4",
        "outage/reads.mp4",
        &accurate_frames(2.5, 8.5),
    );
    assert!(!svc.s3.is_armed(), "the outage never fired");

    svc.s3.down_on(Trigger::Upload, Duration::from_secs(20));
    svc.cut_exactly(
        json!([{"StartTime": at(1.0), "EndTime": at(9.0), "CoverTime": at(2.0)}]),
        json!({"Mode": "RoughFast"}),
        "oss://out/outage/upload.mp4",
        "outage/upload.mp4",
        &rough_frames(1.0, 9.0),
    );
    assert!(!svc.s3.is_armed(), "the outage never fired");
    assert_eq!(
        svc.s3.list_objects("out"),
        vec!["outage/reads.mp4", "outage/upload.jpg", "outage/upload.mp4"]
    );
    assert!(svc.s3.leftovers().is_empty(), "{:?}", svc.s3.leftovers());
    drop(svc.server);
}

/// A recording on a plain HTTP server (Python's `http.server`, as a recorder's or CDN's web
/// server stands in) is cut when its origin is allowed, and refused at registration when not.
#[test]
fn recordings_over_http_from_allowed_origins() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    let rec = web.join("live").join("cam1");
    std::fs::create_dir_all(&rec).unwrap();
    testgen(&rec, 8, "2026-11-24T10:00:00Z", &[]);
    let http = WebServer::start(&web);
    let origin = http.origin.clone();
    let config = dir.path().join("livecut.toml");
    std::fs::write(
        &config,
        format!("[http]\nallowed_origins = [\"{origin}\"]\n"),
    )
    .unwrap();
    let data = dir.path().join("data");
    let add = |url: &str, config: &Path| {
        recordings_add(&data, "cam1", &["--config", config.to_str().unwrap()], url)
    };
    let playlist = format!("{origin}/live/cam1/index.m3u8");
    let out = add(&playlist, &config);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Another origin (here: the cloud metadata address) is not read at all.
    let out = add("http://169.254.169.254/latest/index.m3u8", &config);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("allowed_origins"),
        "{err}"
    );

    let server = Server::start(&data, &["--config", config.to_str().unwrap()]);
    let mut sdk = Sdk::new(&server.endpoint, create_key(&data, "ice:*"));
    let (_, job) = sdk.cut(
        &json!([{"StartTime": at(1.5), "EndTime": at(5.5)}]),
        &json!({"Mode": "AccurateFast"}),
        &json!({"MediaURL": "oss://local/http/clip.mp4"}),
    );
    assert_eq!(job["Status"], "Success", "{job}");
    assert_frames(
        &frames_of(&data.join("buckets/local/http/clip.mp4")),
        &accurate_frames(1.5, 5.5),
        "AccurateFast over HTTP",
    );
    drop(server);
    drop(http);
}

/// The server is SIGKILLed while its multipart upload is in flight (the storage holds the part
/// it was sending, then goes away); started again, the next attempt aborts that upload and
/// publishes the output whole, leaving no part behind.
#[test]
fn a_killed_attempts_upload_is_aborted_by_the_next_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = S3Server::start(&dir.path().join("s3"), S3_KEY, S3_SECRET, &["rec", "out"]);
    let rec = s3.bucket_dir("rec").join("record").join(APP).join("cam1");
    std::fs::create_dir_all(&rec).unwrap();
    // Big enough for a multipart upload (parts of 8 MiB).
    let out = Command::new(BIN)
        .args(["testgen", "--dir"])
        .arg(&rec)
        .args(["--seconds", "40", "--width", "1280", "--height", "720"])
        .args(["--preset", "ultrafast", "--start", "2026-11-24T10:00:00Z"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = write_config(dir.path(), &s3);
    let data = dir.path().join("data");
    let flags = ["--config", config.to_str().unwrap(), "--lease-seconds", "3"];
    let mut server = Server::start(&data, &flags);
    let mut sdk = Sdk::new(&server.endpoint, create_key(&data, "ice:*"));
    s3.down_on(Trigger::UploadPart, Duration::from_secs(4));
    let body = ok_body(sdk.submit(
        &[
            (
                "Clips",
                &json!([{"StartTime": at(0.0), "EndTime": at(40.0)}]).to_string(),
            ),
            ("LiveStreamConfig", &stream_config("cam1")),
            ("MediaProduceConfig", r#"{"Mode":"RoughFast"}"#),
            ("OutputMediaConfig", r#"{"MediaURL":"oss://out/big.mp4"}"#),
        ],
        livecut_testkit::sdk::Signature::V3,
    ));
    let started = std::time::Instant::now();
    while s3.is_armed() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no part upload"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    assert_eq!(
        s3.pending_multipart_uploads(),
        1,
        "the killed attempt's upload"
    );
    while !s3.is_up() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let server = Server::start(&data, &flags);
    let mut sdk = Sdk::new(&server.endpoint, sdk.key);
    let job = sdk.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(180));
    assert_eq!(job["Status"], "Success", "{job}");
    assert_eq!(s3.list_objects("out"), vec!["big.mp4"]);
    assert!(s3.leftovers().is_empty(), "{:?}", s3.leftovers());
    let frames = frames_of(&s3.bucket_dir("out").join("big.mp4"));
    assert_eq!(frames.len(), 1200);
    drop(server);
}

/// An fMP4 recording of the ffmpeg CLI in the bucket: each segment is downloaded with its
/// init section, which several segments share and which is read from storage once per job.
#[test]
fn fmp4_recordings_in_s3_are_downloaded_with_their_init_section() {
    let mut svc = S3Service::start(20, &[]);
    let cam1 = svc
        .s3
        .bucket_dir("rec")
        .join("record")
        .join(APP)
        .join("cam1");
    let fm1 = svc
        .s3
        .bucket_dir("rec")
        .join("record")
        .join(APP)
        .join("fm1");
    let t0 = ffmpeg_hls(
        &cam1.join("index.m3u8"),
        &fm1,
        &[
            "-c",
            "copy",
            "-bsf:a",
            "aac_adtstoasc",
            "-hls_segment_type",
            "fmp4",
        ],
    );
    for (mode, want) in [
        ("AccurateFast", accurate_frames(3.5, 9.2)),
        ("RoughFast", rough_frames(3.5, 9.2)),
    ] {
        svc.s3.reset_counters();
        let body = ok_body(svc.sdk.submit(
            &[
                (
                    "Clips",
                    &json!([{"StartTime": after(t0, 3.5), "EndTime": after(t0, 9.2)}]).to_string(),
                ),
                ("LiveStreamConfig", &stream_config("fm1")),
                ("MediaProduceConfig", &json!({ "Mode": mode }).to_string()),
                (
                    "OutputMediaConfig",
                    &json!({"MediaURL": format!("oss://out/fmp4/{mode}.mp4")}).to_string(),
                ),
            ],
            livecut_testkit::sdk::Signature::V3,
        ));
        let job = svc
            .sdk
            .wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(240));
        assert_eq!(job["Status"], "Success", "{job}");
        let out = svc.object("out", &format!("fmp4/{mode}.mp4"));
        assert_output(&out, &want, mode);
        let init_key = format!("rec/record/{APP}/fm1/init.mp4");
        let init_size = std::fs::metadata(svc.s3.root().join(&init_key))
            .unwrap()
            .len();
        let read = svc.s3.bytes_served_per_object();
        assert_eq!(read.get(&init_key), Some(&init_size), "{mode}: {read:?}");
    }
}
