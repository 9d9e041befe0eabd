//! The scale-out shape: two API processes (`serve --workers 0`) and three worker processes
//! (`livecut worker`) on one throwaway PostgreSQL and one S3 server, recordings and outputs in
//! the S3 server. 500 short jobs go in through both APIs; one worker is SIGKILLed mid-run and
//! another restarted (SIGTERM, then started again). Every job ends Success exactly once with a
//! correct output, no object is in the output bucket that no job owns (nor any part of an
//! upload), and `/metrics` of both APIs agree with the database.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::fixtures::*;
use livecut_testkit::s3::S3Server;
use serde_json::json;

const JOBS: usize = 500;

struct Cluster {
    url: String,
    data: tempfile::TempDir,
    config: std::path::PathBuf,
}

impl Cluster {
    fn flags<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        [
            &[
                "--database-url",
                self.url.as_str(),
                "--config",
                self.config.to_str().unwrap(),
            ],
            extra,
        ]
        .concat()
    }

    fn api(&self) -> Server {
        Server::start(self.data.path(), &self.flags(&["--workers", "0"]))
    }

    /// A worker with one slot and a short lease, so a killed worker's job is taken up soon.
    fn worker(&self) -> WorkerProcess {
        WorkerProcess::start(
            self.data.path(),
            &self.flags(&[
                "--workers",
                "1",
                "--lease-seconds",
                "3",
                "--poll-millis",
                "100",
                "--drain-seconds",
                "20",
            ]),
        )
    }
}

/// Rows of the shared database.
fn query_counts(url: &str, sql: &str) -> Vec<(String, i64)> {
    let url = url.to_string();
    let sql = sql.to_string();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            let rows: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(&pool)
                .await
                .unwrap();
            pool.close().await;
            rows
        })
}

fn done(url: &str) -> i64 {
    query_counts(
        url,
        "SELECT status, COUNT(*) FROM jobs WHERE status IN ('Success', 'Failed') GROUP BY status",
    )
    .iter()
    .map(|(_, n)| n)
    .sum()
}

fn wait_until(url: &str, jobs_done: i64, limit: Duration) {
    let start = Instant::now();
    while done(url) < jobs_done {
        assert!(
            start.elapsed() < limit,
            "{} of {jobs_done} jobs done after {limit:?}",
            done(url)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Submits every job through the APIs in turn, a few at a time; returns (JobId, output key).
fn submit_all(apis: &[&Server], key: &Key) -> Vec<(String, String)> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let clients: Vec<livecut::client::ApiClient> = apis
            .iter()
            .map(|a| livecut::client::ApiClient::new(&a.endpoint, &key.id, &key.secret).unwrap())
            .collect();
        let clients = &clients;
        let calls = (0..JOBS).map(|n| async move {
            // Clips of 1-3 s from 19 different starts; one in ten frame-exact.
            let start = 1.0 + (n % 19) as f64 * 0.5;
            let mode = if n % 10 == 0 {
                "AccurateFast"
            } else {
                "RoughFast"
            };
            let output = format!("jobs/{n:03}.mp4");
            let params = vec![
                (
                    "Clips".to_string(),
                    json!([{"StartTime": at(start), "EndTime": at(start + 1.0 + (n % 3) as f64)}])
                        .to_string(),
                ),
                ("LiveStreamConfig".to_string(), stream_config("cam1")),
                (
                    "MediaProduceConfig".to_string(),
                    json!({ "Mode": mode }).to_string(),
                ),
                (
                    "OutputMediaConfig".to_string(),
                    json!({ "MediaURL": format!("oss://out/{output}") }).to_string(),
                ),
            ];
            let body = clients[n % clients.len()]
                .call("SubmitLiveEditingJob", &params)
                .await
                .unwrap_or_else(|e| panic!("submit {n}: {e}"));
            (body["JobId"].as_str().unwrap().to_string(), output)
        });
        futures::stream::iter(calls)
            .buffered(8)
            .collect::<Vec<_>>()
            .await
    })
}

#[test]
fn five_processes_on_postgres_and_s3_finish_500_jobs_exactly_once() {
    let Some(url) = fresh_pg_database("scale_out") else {
        eprintln!("LIVECUT_TEST_PG_URL is not set: the scale-out test needs PostgreSQL");
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let s3 = S3Server::start(&data.path().join("s3"), S3_KEY, S3_SECRET, &["rec", "out"]);
    let rec = s3.bucket_dir("rec").join("record").join(APP).join("cam1");
    std::fs::create_dir_all(&rec).unwrap();
    testgen(&rec, 14, "2026-11-24T10:00:00Z", &[]);
    let config = write_s3_config(
        data.path(),
        &s3,
        &[("rec", true), ("out", true)],
        "[[streams]]\nplaylists = \"s3://rec/record/{AppName}/{StreamName}/\"\n",
    );
    let cluster = Cluster { url, data, config };
    let api_a = cluster.api();
    let api_b = cluster.api();
    let mut workers = vec![cluster.worker(), cluster.worker(), cluster.worker()];
    let key = {
        let out = std::process::Command::new(BIN)
            .arg("--data-dir")
            .arg(cluster.data.path())
            .args(cluster.flags(&["keys", "create", "--json"]))
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        Key {
            id: v["AccessKeyId"].as_str().unwrap().into(),
            secret: v["AccessKeySecret"].as_str().unwrap().into(),
        }
    };
    for endpoint in [&api_a.endpoint, &workers[2].endpoint] {
        assert_eq!(http_get(endpoint, "/healthz"), (200, "ok".to_string()));
    }
    let started = Instant::now();
    let jobs = submit_all(&[&api_a, &api_b], &key);
    assert_eq!(jobs.len(), JOBS);

    // One worker dies hard mid-run; later another is restarted the way an orchestrator does.
    wait_until(&cluster.url, 100, Duration::from_secs(600));
    workers[0].kill();
    wait_until(&cluster.url, 250, Duration::from_secs(600));
    workers[1].terminate();
    let status = workers[1].wait_exit(Duration::from_secs(60));
    assert!(status.success(), "a drained worker exits 0: {status:?}");
    workers[1] = cluster.worker();
    wait_until(&cluster.url, JOBS as i64, Duration::from_secs(900));
    let elapsed = started.elapsed();
    eprintln!("scale-out: {JOBS} jobs in {elapsed:?}");

    // Every job Success, each finished by one attempt that held its lease; its media asset
    // Normal with the size of the real object.
    let by_status = query_counts(
        &cluster.url,
        "SELECT status, COUNT(*) FROM jobs GROUP BY status",
    );
    assert_eq!(by_status, vec![("Success".to_string(), JOBS as i64)]);
    let normal = query_counts(
        &cluster.url,
        "SELECT status, COUNT(*) FROM media_assets GROUP BY status",
    );
    assert_eq!(normal, vec![("Normal".to_string(), JOBS as i64)]);
    let retried = query_counts(
        &cluster.url,
        "SELECT job_id, attempts FROM jobs WHERE attempts > 1",
    );
    assert!(
        retried.len() <= 2,
        "only the killed worker's job is retried: {retried:?}"
    );
    let sizes = query_counts(
        &cluster.url,
        "SELECT object_key, file_size FROM media_assets",
    );
    for (key, size) in &sizes {
        let file = s3.bucket_dir("out").join(key);
        let on_disk = std::fs::metadata(&file)
            .unwrap_or_else(|_| panic!("{key} missing"))
            .len();
        assert_eq!(on_disk as i64, *size, "{key}");
    }

    // Correct outputs: every tenth job's frames read back from the picture.
    for (n, (_, output)) in jobs.iter().enumerate().step_by(10).take(25) {
        let start = 1.0 + (n % 19) as f64 * 0.5;
        let end = start + 1.0 + (n % 3) as f64;
        let want = if n % 10 == 0 {
            accurate_frames(start, end)
        } else {
            rough_frames(start, end)
        };
        assert_frames(
            &frames_of(&s3.bucket_dir("out").join(output)),
            &want,
            output,
        );
    }

    // Exactly the jobs' outputs are in the bucket: no stray object, no part of an upload.
    let objects: BTreeSet<String> = s3.list_objects("out").into_iter().collect();
    let outputs: BTreeSet<String> = jobs.iter().map(|(_, o)| o.clone()).collect();
    assert_eq!(objects, outputs);
    assert!(s3.leftovers().is_empty(), "{:?}", s3.leftovers());
    let in_flight = query_counts(
        &cluster.url,
        "SELECT object_key, COUNT(*) FROM job_objects WHERE upload_id <> '' GROUP BY object_key",
    );
    assert!(in_flight.is_empty(), "{in_flight:?}");

    // Both APIs' /metrics say what the database says.
    for api in [&api_a, &api_b] {
        let (status, scrape) = http_get(&api.endpoint, "/metrics");
        assert_eq!(status, 200);
        let success: f64 = ["RoughFast", "AccurateFast"]
            .iter()
            .map(|m| {
                metric(
                    &scrape,
                    &format!("livecut_jobs{{status=\"Success\",mode=\"{m}\"}}"),
                )
                .unwrap_or(0.0)
            })
            .sum();
        assert_eq!(success, JOBS as f64, "{scrape}");
        assert_eq!(metric(&scrape, "livecut_queue_depth"), Some(0.0));
    }
    let submitted: f64 = [&api_a, &api_b]
        .iter()
        .map(|api| {
            let (_, scrape) = http_get(&api.endpoint, "/metrics");
            metric(
                &scrape,
                &format!(
                    "livecut_api_requests_total{{action=\"SubmitLiveEditingJob\",code=\"{}\"}}",
                    livecut::metrics::SUCCESS_CODE
                ),
            )
            .unwrap_or(0.0)
        })
        .sum();
    assert_eq!(submitted, JOBS as f64, "submits counted by the APIs");

    // With the storage down, every node says so on /healthz.
    s3.stop();
    let (status, body) = http_get(&api_a.endpoint, "/healthz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("storage"), "{body}");
    s3.resume();
    drop(workers);
}
