//! Many processes on one database: an API-only `serve --workers 0` and `livecut worker`
//! processes. Jobs submitted to the API are done by the workers; SIGTERM drains a worker (its job
//! finished, or handed back when the drain time is up, then exit 0); a SIGKILLed worker shows as
//! dead in `livecut workers` and its job is taken over after its lease; `/metrics` agrees with
//! the database. On PostgreSQL when `LIVECUT_TEST_PG_URL` is set (always in CI), else on one
//! SQLite file shared by the processes.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::fixtures::*;
use livecut_testkit::sdk::{SdkReply, Signature};
use serde_json::{Value, json};

/// A data dir with a recording, and the database its processes share.
struct Deployment {
    dir: tempfile::TempDir,
    url: String,
}

impl Deployment {
    fn new(tag: &str, recording_seconds: u32) -> Deployment {
        let dir = tempfile::tempdir().unwrap();
        make_recording(dir.path(), "cam1", recording_seconds, &[]);
        let url = fresh_pg_database(tag).unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("livecut.db").display()
            )
        });
        Deployment { dir, url }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn with_db<'a>(&'a self, flags: &[&'a str]) -> Vec<&'a str> {
        [&["--database-url", self.url.as_str()], flags].concat()
    }

    /// `livecut serve --workers 0`: the API only.
    fn api(&self) -> Server {
        Server::start(self.path(), &self.with_db(&["--workers", "0"]))
    }

    fn worker(&self, flags: &[&str]) -> WorkerProcess {
        WorkerProcess::start(self.path(), &self.with_db(flags))
    }

    fn cli(&self, args: &[&str]) -> Vec<u8> {
        let out = Command::new(BIN)
            .arg("--data-dir")
            .arg(self.path())
            .args(["--database-url", &self.url])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "livecut {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    fn sdk(&self, api: &Server) -> Sdk {
        let v: Value = serde_json::from_slice(&self.cli(&["keys", "create", "--json"])).unwrap();
        let key = Key {
            id: v["AccessKeyId"].as_str().unwrap().into(),
            secret: v["AccessKeySecret"].as_str().unwrap().into(),
        };
        Sdk::new(&api.endpoint, key)
    }

    /// `livecut workers --json`, the entry of `id`.
    fn registry_entry(&self, id: &str) -> Value {
        let list: Value = serde_json::from_slice(&self.cli(&["workers", "--json"])).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .find(|w| w["WorkerId"] == id)
            .unwrap_or_else(|| panic!("{id} not in {list}"))
            .clone()
    }

    /// (status, attempts) of a job, straight from the database.
    fn job_row(&self, job_id: &str) -> (String, i64) {
        let row: (String, i64) = self.query(
            "SELECT status, attempts FROM jobs WHERE job_id = $1",
            Some(job_id),
        );
        row
    }

    fn query<T>(&self, sql: &'static str, bind: Option<&str>) -> T
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let url = self.url.clone();
        let bind = bind.map(str::to_string);
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                sqlx::any::install_default_drivers();
                let pool = sqlx::AnyPool::connect(&url).await.unwrap();
                let mut q = sqlx::query_as::<_, T>(sql);
                if let Some(b) = bind {
                    q = q.bind(b);
                }
                let row = q.fetch_one(&pool).await.unwrap();
                pool.close().await;
                row
            })
    }
}

/// A job of 25 short clips of a 60-second recording: long enough to be caught running.
/// The most clips a job may have, overlapping, so that the job runs for seconds even as the
/// engine gets faster (the drain tests stop a worker while it runs).
const LONG_JOB_CLIPS: i32 = 100;
const LONG_JOB_STEP: f64 = 0.57;

fn submit_long_job(sdk: &mut Sdk, bucket: &str) -> String {
    let clips: Vec<_> = (0..LONG_JOB_CLIPS)
        .map(|i| {
            let a = 1.113 + f64::from(i) * LONG_JOB_STEP;
            json!({"StartTime": at(a), "EndTime": at(a + 1.7)})
        })
        .collect();
    submit(
        sdk,
        &Value::Array(clips),
        &format!("oss://{bucket}/long.mp4"),
    )
}

fn long_job_frames() -> Vec<u32> {
    (0..LONG_JOB_CLIPS)
        .flat_map(|i| {
            let a = 1.113 + f64::from(i) * LONG_JOB_STEP;
            accurate_frames(a, a + 1.7)
        })
        .collect()
}

fn submit(sdk: &mut Sdk, clips: &Value, media_url: &str) -> String {
    let body = ok_body(sdk.submit(
        &[
            ("Clips", &clips.to_string()),
            ("LiveStreamConfig", &stream_config("cam1")),
            (
                "OutputMediaConfig",
                &json!({ "MediaURL": media_url }).to_string(),
            ),
        ],
        Signature::V3,
    ));
    body["JobId"].as_str().unwrap().to_string()
}

/// Polls until the job is Processing (it must not have ended first).
fn wait_processing(sdk: &mut Sdk, job_id: &str) {
    let start = Instant::now();
    loop {
        match sdk.get_job(job_id) {
            SdkReply::Ok { body, .. } if body["LiveEditingJob"]["Status"] == "Processing" => {
                return;
            }
            SdkReply::Ok { body, .. } => assert_eq!(
                body["LiveEditingJob"]["Status"], "Queuing",
                "the job ended before it could be caught running"
            ),
            SdkReply::Err { code, message, .. } => panic!("{code}: {message}"),
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "job never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until a media child runs in the data dir (the job is past planning, cutting).
fn wait_media_child(dir: &Path) {
    let start = Instant::now();
    while media_child_of(dir).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no media child started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_output(dir: &Path, bucket: &str, want: &[u32]) {
    let numbers = frames_of(&dir.join(format!("buckets/{bucket}/long.mp4")));
    assert_frames(&numbers, want, bucket);
}

#[test]
fn api_node_and_worker_node_share_the_work_and_a_drained_worker_finishes_its_job() {
    let d = Deployment::new("wk_share", 60);
    let api = d.api();
    let mut w1 = d.worker(&["--poll-millis", "100", "--drain-seconds", "120"]);
    let mut sdk = d.sdk(&api);

    // The API node has no worker: the worker node does the job.
    let short = submit(
        &mut sdk,
        &json!([{"StartTime": at(0.51), "EndTime": at(1.71)}]),
        "oss://share/short.mp4",
    );
    let job = sdk.wait_job(&short, Duration::from_secs(120));
    assert_eq!(job["Status"], "Success", "{job}");
    assert_frames(
        &frames_of(&d.path().join("buckets/share/short.mp4")),
        &accurate_frames(0.51, 1.71),
        "short job",
    );
    let entry = d.registry_entry(&w1.id);
    assert_eq!(entry["State"], "running", "{entry}");
    assert_eq!(entry["Dead"], false);
    assert_eq!(entry["Slots"], 1);

    // Both nodes answer /healthz and serve the database's figures at /metrics.
    for endpoint in [&api.endpoint, &w1.endpoint] {
        assert_eq!(http_get(endpoint, "/healthz"), (200, "ok".to_string()));
        let (status, scrape) = http_get(endpoint, "/metrics");
        assert_eq!(status, 200);
        let jobs = |s: &str| {
            metric(
                &scrape,
                &format!("livecut_jobs{{status=\"{s}\",mode=\"AccurateFast\"}}"),
            )
        };
        assert_eq!(jobs("Success"), Some(1.0), "{scrape}");
        assert_eq!(jobs("Queuing"), Some(0.0), "{scrape}");
        assert_eq!(metric(&scrape, "livecut_queue_depth"), Some(0.0));
        assert_eq!(
            metric(&scrape, "livecut_workers{state=\"running\"}"),
            Some(1.0)
        );
    }
    // Events are counted where they happened: requests on the API node, the job on the worker.
    let (_, api_scrape) = http_get(&api.endpoint, "/metrics");
    assert_eq!(
        metric(
            &api_scrape,
            "livecut_api_requests_total{action=\"SubmitLiveEditingJob\",code=\"Success\"}"
        ),
        Some(1.0),
        "{api_scrape}"
    );
    assert!(
        metric(
            &api_scrape,
            "livecut_api_requests_total{action=\"GetLiveEditingJob\",code=\"Success\"}"
        )
        .unwrap()
            >= 1.0
    );
    assert!(
        api_scrape.contains("livecut_api_request_seconds_bucket{action=\"SubmitLiveEditingJob\"")
    );
    let (_, worker_scrape) = http_get(&w1.endpoint, "/metrics");
    assert_eq!(
        metric(
            &worker_scrape,
            "livecut_jobs_finished_total{mode=\"AccurateFast\",status=\"Success\"}"
        ),
        Some(1.0),
        "{worker_scrape}"
    );
    let media = metric(
        &worker_scrape,
        "livecut_job_media_seconds_sum{mode=\"AccurateFast\"}",
    )
    .unwrap();
    assert!((1.1..1.3).contains(&media), "1.2 s of media: {media}");

    // SIGTERM while a job runs: the worker claims nothing more, finishes it, exits 0.
    let long = submit_long_job(&mut sdk, "drained");
    wait_processing(&mut sdk, &long);
    let queued_after = submit(
        &mut sdk,
        &json!([{"StartTime": at(0.51), "EndTime": at(1.71)}]),
        "oss://share/after.mp4",
    );
    w1.terminate();
    let status = w1.wait_exit(Duration::from_secs(120));
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert_eq!(d.job_row(&long), ("Success".to_string(), 1));
    assert_output(d.path(), "drained", &long_job_frames());
    assert_eq!(
        d.job_row(&queued_after).0,
        "Queuing",
        "a draining worker claims nothing new"
    );
    let entry = d.registry_entry(&w1.id);
    assert_eq!(entry["State"], "stopped", "{entry}");
    assert_eq!(entry["RunningJobs"], json!([]));
}

#[test]
fn a_drain_that_runs_out_of_time_hands_the_job_back() {
    let d = Deployment::new("wk_handback", 60);
    let api = d.api();
    // A long lease: only a hand-back (not the lease recovery) can give the job to w2 quickly.
    let flags = ["--poll-millis", "100", "--lease-seconds", "600"];
    let mut w1 = d.worker(&[&flags[..], &["--drain-seconds", "1"]].concat());
    let mut sdk = d.sdk(&api);
    let job_id = submit_long_job(&mut sdk, "handback");
    wait_processing(&mut sdk, &job_id);
    wait_media_child(d.path());

    let signalled = Instant::now();
    w1.terminate();
    let status = w1.wait_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(20),
        "the drain is bounded: {:?}",
        signalled.elapsed()
    );
    assert_eq!(media_child_of(d.path()), None, "the media child was killed");
    assert_eq!(
        d.job_row(&job_id),
        ("Queuing".to_string(), 0),
        "handed back, the attempt not counted"
    );
    assert_eq!(d.registry_entry(&w1.id)["State"], "stopped");

    let w2 = d.worker(&flags);
    let job = sdk.wait_job(&job_id, Duration::from_secs(180));
    assert_eq!(job["Status"], "Success", "{job}");
    assert_eq!(d.job_row(&job_id).1, 1, "one attempt: w2's");
    assert_output(d.path(), "handback", &long_job_frames());
    drop(w2);
}

#[test]
fn a_killed_worker_is_listed_dead_and_its_job_is_taken_over_after_the_lease() {
    let d = Deployment::new("wk_killed", 60);
    let api = d.api();
    let flags = ["--poll-millis", "100", "--lease-seconds", "2"];
    let mut w1 = d.worker(&flags);
    let mut sdk = d.sdk(&api);
    let job_id = submit_long_job(&mut sdk, "killed");
    wait_processing(&mut sdk, &job_id);
    wait_media_child(d.path());
    let running = d.registry_entry(&w1.id);
    assert_eq!(running["RunningJobs"], json!([job_id]), "{running}");

    w1.kill(); // SIGKILL: no drain, no goodbye in the registry
    let killed = Instant::now();
    let entry = loop {
        let entry = d.registry_entry(&w1.id);
        if entry["Dead"] == true {
            break entry;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(15),
            "never listed dead: {entry}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(entry["State"], "dead", "{entry}");
    assert_eq!(
        entry["RunningJobs"],
        json!([job_id]),
        "what it ran when it died"
    );

    // The lease recovery, not the registry, gives the job to the next worker.
    let w2 = d.worker(&flags);
    let job = sdk.wait_job(&job_id, Duration::from_secs(180));
    assert_eq!(job["Status"], "Success", "{job}");
    assert_eq!(d.job_row(&job_id).1, 2, "the killed attempt counts");
    assert_output(d.path(), "killed", &long_job_frames());

    // Scraped after the death, the figures are the database's.
    let (_, scrape) = http_get(&api.endpoint, "/metrics");
    let (successes,): (i64,) = d.query(
        "SELECT COUNT(*) FROM jobs WHERE status = 'Success' AND mode = 'AccurateFast'",
        None,
    );
    assert_eq!(
        metric(
            &scrape,
            "livecut_jobs{status=\"Success\",mode=\"AccurateFast\"}"
        ),
        Some(successes as f64),
        "{scrape}"
    );
    assert_eq!(
        metric(
            &scrape,
            "livecut_jobs{status=\"Processing\",mode=\"AccurateFast\"}"
        ),
        Some(0.0)
    );
    assert_eq!(
        metric(&scrape, "livecut_workers{state=\"dead\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&scrape, "livecut_workers{state=\"running\"}"),
        Some(1.0)
    );
    drop(w2);
}

#[test]
fn serve_drains_its_workers_on_sigterm_too() {
    let d = Deployment::new("wk_serve", 60);
    let flags = ["--poll-millis", "100", "--lease-seconds", "600"];
    let mut server = Server::start(
        d.path(),
        &d.with_db(&[&flags[..], &["--drain-seconds", "1"]].concat()),
    );
    let mut sdk = d.sdk(&server);
    let job_id = submit_long_job(&mut sdk, "serve");
    wait_processing(&mut sdk, &job_id);
    wait_media_child(d.path());
    signal(&server.child, "TERM");
    let status = wait_exit(&mut server.child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert_eq!(media_child_of(d.path()), None, "the media child was killed");
    assert_eq!(d.job_row(&job_id), ("Queuing".to_string(), 0));

    let server = Server::start(d.path(), &d.with_db(&flags));
    sdk.endpoint = server.endpoint.clone();
    let job = sdk.wait_job(&job_id, Duration::from_secs(180));
    assert_eq!(job["Status"], "Success", "{job}");
    assert_output(d.path(), "serve", &long_job_frames());
}
